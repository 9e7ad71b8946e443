"""Speed and size benchmarks, each one run comparing a baseline and a variant on the same input.

    python tools/benchmark.py mvc [--config CFG] [--steps N] [--warmup N]

``mvc`` prints one JSON line: parameter counts of the baseline and of the MVC-wrapped model and the
time ratios (variant / baseline) of a training step in ``'replace'`` and ``'dual'`` mode and of
inference with the MVC-trained model. Goals: params equal, replace <= 1.10, dual <= 2.0,
infer <= 1.03. Steps of the three models are interleaved and the median is taken, so slow drifts
of the machine affect all of them alike.
"""
import argparse
import copy
import json
import os.path as osp
import statistics
import sys
import tempfile
import time

_REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
if osp.isfile(osp.join(_REPO, 'mvc_plugin', '__init__.py')):
    sys.path.insert(0, _REPO)

import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.dataset import pseudo_collate  # noqa: E402
from mmengine.optim import OptimWrapper  # noqa: E402
from mmengine.registry import DATASETS, MODELS, init_default_scope  # noqa: E402

import mvc_plugin  # noqa: E402,F401
from mvc_plugin.datasets.synthetic import SyntheticVideoSpec, write_ytvis  # noqa: E402

DEFAULT_CONFIG = osp.join(_REPO, 'configs', 'vis_synthetic_quickstart.py')


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench_mvc(args: argparse.Namespace) -> dict:
    cfg = Config.fromfile(args.config)
    if cfg.model.type != 'MaskedVideoConsistency':
        raise ValueError(f'{args.config}: model.type must be MaskedVideoConsistency')
    init_default_scope(cfg.default_scope)
    torch.manual_seed(0)
    host_cfg = cfg.model.model
    mvc_args = {k: v for k, v in cfg.model.items() if k not in ('type', 'model', 'mode')}

    base = MODELS.build(copy.deepcopy(host_cfg))
    variants = {'baseline': base}
    for mode in ('replace', 'dual'):
        m = MODELS.build(dict(type='MaskedVideoConsistency', model=copy.deepcopy(host_cfg),
                              mode=mode, **copy.deepcopy(mvc_args)))
        m.load_state_dict(base.state_dict())
        variants[mode] = m

    with tempfile.TemporaryDirectory() as root:
        spec = SyntheticVideoSpec(num_videos=4, num_frames=4, height=96, width=128, seed=3)
        write_ytvis(spec, root, split='train', progress=False)
        write_ytvis(spec, root, split='val', progress=False)
        batches = {}
        for split, key, n in (('train', 'train_dataloader', 2), ('val', 'test_dataloader', 1)):
            ds_cfg = copy.deepcopy(cfg[key].dataset)
            ds_cfg.update(data_root=root, ann_file=f'annotations/{split}.json',
                          data_prefix=dict(img_path=f'{split}/JPEGImages'))
            ds = DATASETS.build(ds_cfg)
            batches[split] = pseudo_collate([ds[i] for i in range(n)])

    optims = {k: OptimWrapper(torch.optim.AdamW(m.parameters(), lr=1e-5))
              for k, m in variants.items()}
    train_times = {k: [] for k in variants}
    for step in range(args.warmup + args.steps):
        for k, m in variants.items():
            m.train()
            t = _timed(lambda: m.train_step(copy.deepcopy(batches['train']), optims[k]))
            if step >= args.warmup:
                train_times[k].append(t)
    infer_times = {k: [] for k in ('baseline', 'dual')}
    with torch.no_grad():
        for step in range(args.warmup + args.steps):
            for k in infer_times:
                variants[k].eval()
                t = _timed(lambda: variants[k].test_step(copy.deepcopy(batches['val'])))
                if step >= args.warmup:
                    infer_times[k].append(t)
    med = {k: statistics.median(v) for k, v in train_times.items()}
    inf = {k: statistics.median(v) for k, v in infer_times.items()}
    return dict(
        benchmark='mvc', config=osp.relpath(args.config, _REPO), steps=args.steps,
        threads=torch.get_num_threads(),
        params_baseline=sum(p.numel() for p in base.parameters()),
        params_mvc=sum(p.numel() for p in variants['dual'].parameters()),
        train_step_s_baseline=round(med['baseline'], 4),
        train_step_ratio_replace=round(med['replace'] / med['baseline'], 3),
        train_step_ratio_dual=round(med['dual'] / med['baseline'], 3),
        infer_s_baseline=round(inf['baseline'], 4),
        infer_ratio=round(inf['dual'] / inf['baseline'], 3))


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest='benchmark', required=True)
    p = sub.add_parser('mvc', help='MVC training/inference cost vs the plain model')
    p.add_argument('--config', default=DEFAULT_CONFIG)
    p.add_argument('--steps', type=int, default=20)
    p.add_argument('--warmup', type=int, default=3)
    args = parser.parse_args(argv)
    result = {'mvc': bench_mvc}[args.benchmark](args)
    print(json.dumps(result))
    return result


if __name__ == '__main__':
    main()
