"""The README's first command: DVIS++ and DVIS++ with MVC + OMA, three stages each, on CPU.

Writes a synthetic YouTube-VIS set, then trains the quick-start DVIS++ model
(``configs/dvis_pp/dvis-pp_r18_synthetic-ytvis_{segmenter,online,offline}.py``: a small R18
Mask2Former segmenter with DVIS++'s re-id branch, the DVIS++ referring tracker and temporal
refiner, the official losses) and the same model with MVC + OMA (``mvc-oma_*`` next to them):
segmenter -> online tracker -> offline refiner, each stage from the previous stage's checkpoint.
Scores the online and the offline model with the local YouTube-VIS AP on the synthetic val split
and prints both variants side by side. Re-running reuses the generated data (regenerated when the
generator settings change). Progress bars come from mmengine's runner.
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

CONFIGS = osp.join(_REPO, 'configs', 'dvis_pp')
VARIANTS = (('DVIS++', 'dvis-pp_r18_synthetic-ytvis'),
            ('DVIS++ + MVC + OMA', 'mvc-oma_dvis-pp_r18_synthetic-ytvis'))
STAGES = ('segmenter', 'online', 'offline')
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


def _last_checkpoint(work_dir: str) -> str:
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


def run_stage(config: str, work_dir: str, data_root: str, previous: str = None,
              iters: int = None) -> dict:
    """Train one stage (from ``previous``'s checkpoint), then evaluate it; the metrics."""
    options = {f'{k}.dataset.data_root': data_root
               for k in ('train_dataloader', 'val_dataloader', 'test_dataloader')}
    options['train_cfg.val_begin'] = 10 ** 9  # evaluated once, by runner.test() below
    if previous is not None:  # online / offline configs: a bare DVISPlusVideoSegmentor
        options['model.init_cfg.checkpoint'] = previous
    if iters is not None:
        options.update({'train_cfg.max_iters': iters, 'param_scheduler.end': iters,
                        'param_scheduler.milestones': [max(1, int(iters * 0.8))],
                        'default_hooks.checkpoint.interval': iters})
    cfg = load_config(config, work_dir, options, 'none')
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.test() if not config.endswith('_segmenter.py') else {}
    return {k.split('/')[-1]: v for k, v in metrics.items()}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data-root', default=osp.join(_REPO, 'data', 'synthetic_ytvis'))
    parser.add_argument('--work-dir', default=osp.join(_REPO, 'work_dirs', 'quickstart'))
    parser.add_argument('--iters', type=int, default=None,
                        help='override every stage\'s train_cfg.max_iters (smoke runs)')
    parser.add_argument('--variants', nargs='+', default=[v for _, v in VARIANTS],
                        choices=[v for _, v in VARIANTS])
    args = parser.parse_args(argv)

    start = time.time()
    make_data(args.data_root)
    results = {}
    for name, prefix in VARIANTS:
        if prefix not in args.variants:
            continue
        previous, row = None, {}
        for stage in STAGES:
            config = osp.join(CONFIGS, f'{prefix}_{stage}.py')
            work = osp.join(args.work_dir, f'{prefix}_{stage}')
            print(f'\n[quickstart] {name}: {stage} stage ({osp.relpath(config, _REPO)})')
            t0 = time.time()
            metrics = run_stage(config, work, args.data_root, previous, args.iters)
            row[f'{stage}_seconds'] = round(time.time() - t0, 1)
            if metrics:
                row[f'{stage}_AP'] = metrics['AP']
                row[f'{stage}_AP50'] = metrics['AP50']
            previous = _last_checkpoint(work)
        row['checkpoint'] = previous
        results[name] = row
    os.makedirs(args.work_dir, exist_ok=True)
    with open(osp.join(args.work_dir, 'quickstart_metrics.json'), 'w') as f:
        json.dump(results, f, indent=2)
    print('\n[quickstart] local YouTube-VIS AP on the synthetic val split (percent):')
    print(f'  {"model":<20} {"online AP":>9} {"offline AP":>10} {"online AP50":>11} '
          f'{"offline AP50":>12} {"train+eval s":>12}')
    for name, row in results.items():
        seconds = sum(v for k, v in row.items() if k.endswith('_seconds'))
        print(f'  {name:<20} {row["online_AP"]:>9.1f} {row["offline_AP"]:>10.1f} '
              f'{row["online_AP50"]:>11.1f} {row["offline_AP50"]:>12.1f} {seconds:>12.0f}')
    for name, row in results.items():
        print(f'[quickstart] {name} offline checkpoint: {row["checkpoint"]}')
    print(f'[quickstart] logs and results: {args.work_dir}')
    print(f'[quickstart] done in {time.time() - start:.0f} s')
    return results


if __name__ == '__main__':
    os.environ.setdefault('PYTHONUNBUFFERED', '1')
    main()
