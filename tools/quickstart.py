"""The README's first command: make a synthetic YouTube-VIS set, train, evaluate, report.

Trains the small Mask2Former-VIS of ``configs/vis_synthetic_quickstart.py`` on CPU with a
progress bar, scores it with the local YouTube-VIS AP and prints where the checkpoint is.
Re-running reuses the generated data (regenerated when the generator settings change).
"""
import argparse
import json
import os
import os.path as osp
import sys
import time

_REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
if osp.isfile(osp.join(_REPO, 'mvc_plugin', '__init__.py')):
    sys.path.insert(0, _REPO)

import mvc_plugin  # noqa: E402,F401
from mmengine.runner import Runner  # noqa: E402

from mvc_plugin.datasets.synthetic import SyntheticVideoSpec, write_ytvis  # noqa: E402
from mvc_plugin.engine.launch import load_config  # noqa: E402

CONFIG = osp.join(_REPO, 'configs', 'vis_synthetic_quickstart.py')
# train and val videos come from disjoint index ranges of the same generator
TRAIN_SPEC = dict(num_videos=24, num_frames=8, height=96, width=128, seed=0, first_index=0)
VAL_SPEC = dict(num_videos=6, num_frames=8, height=96, width=128, seed=0, first_index=1000)


def make_data(root: str) -> None:
    """Write the synthetic set once; the stamp records the settings that produced it."""
    stamp = osp.join(root, 'quickstart_spec.json')
    wanted = dict(train=TRAIN_SPEC, val=VAL_SPEC)
    if osp.isfile(stamp):
        with open(stamp) as f:
            if json.load(f) == wanted:
                print(f'[quickstart] reusing synthetic data in {root}')
                return
    print(f'[quickstart] writing synthetic YouTube-VIS data to {root}')
    for split, spec in wanted.items():
        write_ytvis(SyntheticVideoSpec(**spec), root, split=split)
    with open(stamp, 'w') as f:
        json.dump(wanted, f)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data-root', default=osp.join(_REPO, 'data', 'synthetic_ytvis'))
    parser.add_argument('--work-dir', default=osp.join(_REPO, 'work_dirs', 'quickstart'))
    parser.add_argument('--iters', type=int, default=None, help='override train_cfg.max_iters')
    args = parser.parse_args(argv)

    start = time.time()
    make_data(args.data_root)
    options = {'train_dataloader.dataset.data_root': args.data_root,
               'val_dataloader.dataset.data_root': args.data_root,
               'test_dataloader.dataset.data_root': args.data_root}
    if args.iters is not None:
        options.update({'train_cfg.max_iters': args.iters,
                        'param_scheduler.end': args.iters,
                        'param_scheduler.milestones': [int(args.iters * 0.8)],
                        'train_cfg.val_interval': args.iters + 1,
                        'default_hooks.checkpoint.interval': max(1, args.iters // 2)})
    cfg = load_config(CONFIG, args.work_dir, options, 'none')
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.test()

    ckpt_link = osp.join(cfg.work_dir, 'last_checkpoint')
    ckpt = '(none written)'
    if osp.isfile(ckpt_link):
        with open(ckpt_link) as f:
            ckpt = f.read().strip()
    results = {k.split('/')[-1]: v for k, v in metrics.items()}
    with open(osp.join(cfg.work_dir, 'quickstart_metrics.json'), 'w') as f:
        json.dump(results, f, indent=2)
    print('\n[quickstart] local YouTube-VIS evaluation on the synthetic val split (percent):')
    print('  ' + '  '.join(f'{k}={v:.1f}' for k, v in results.items()))
    print(f'[quickstart] checkpoint: {ckpt}')
    print(f'[quickstart] logs and results: {cfg.work_dir}')
    print(f'[quickstart] done in {time.time() - start:.0f} s')
    return results


if __name__ == '__main__':
    os.environ.setdefault('PYTHONUNBUFFERED', '1')
    main()
