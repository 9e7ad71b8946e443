"""Ablation of MVC and OMA: baseline, +MVC, +OMA, +MVC+OMA with identical steps and seeds.

    python tools/experiments/mvc_ablation.py [--iters 300] [--seeds 0 1 2] [--out work_dirs/ablation]
        [--no-real] [--update-docs]

Synthetic benchmark: the generator's occlusion / class-imbalance videos (fixed seeds). Real row:
the DAVIS 2016 sequences of ../shared/data/real, each split in time (first 70 % of the frames
train, the rest val). Every run trains the CPU-sized Mask2Former-VIS of the quick start, then is
scored with the local YouTube-VIS AP and, when ``mvc_plugin.analysis`` is available, with the
diagnostics (masked-input robustness, identity switches / flicker, OMA attention mass).
Writes ``<out>/runs.json`` (one record per run), ``<out>/summary.json`` (mean ± std per variant)
and, with ``--update-docs``, the generated block of ``docs/results.md`` and its plots.
"""
import argparse
import json
import os
import os.path as osp
import statistics
import sys
import time
from typing import Dict, List, Optional

_REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if osp.isfile(osp.join(_REPO, 'mvc_plugin', '__init__.py')):
    sys.path.insert(0, _REPO)

import mvc_plugin  # noqa: E402,F401
from mmengine.runner import Runner  # noqa: E402

from mvc_plugin.datasets.synthetic import SyntheticVideoSpec, write_ytvis  # noqa: E402
from mvc_plugin.engine.launch import load_config  # noqa: E402

VARIANTS = {
    'baseline': 'vis_synthetic_quickstart_baseline.py',
    'mvc': 'vis_synthetic_quickstart.py',
    'oma': 'vis_synthetic_quickstart_baseline_oma.py',
    'mvc_oma': 'vis_synthetic_quickstart_oma.py',
}
SYNTH_TRAIN = dict(num_videos=48, num_frames=8, height=96, width=128, seed=100)
SYNTH_VAL = dict(num_videos=12, num_frames=12, height=96, width=128, seed=100, first_index=5000)
DAVIS_SEQS = ('blackswan', 'car-shadow', 'dance-twirl', 'libby')
BLOCK = '<!-- ablation:begin -->', '<!-- ablation:end -->'


def make_synthetic(root: str) -> str:
    stamp = osp.join(root, 'spec.json')
    wanted = dict(train=SYNTH_TRAIN, val=SYNTH_VAL)
    if not (osp.isfile(stamp) and json.load(open(stamp)) == wanted):
        for split, spec in wanted.items():
            write_ytvis(SyntheticVideoSpec(**spec), root, split=split)
        with open(stamp, 'w') as f:
            json.dump(wanted, f)
    return root


def make_davis(root: str, davis: str) -> str:
    """Temporal split of the real DAVIS sequences: 70 % of each sequence trains, 30 % validates."""
    from mvc_plugin.datasets.converters import convert_davis_to_ytvis
    full = convert_davis_to_ytvis(davis, None, sequences=list(DAVIS_SEQS), progress=False)
    parts = {'train': dict(full, videos=[], annotations=[]),
             'val': dict(full, videos=[], annotations=[])}
    for video in full['videos']:
        n = len(video['file_names'])
        cut = int(n * 0.7)
        for split, sl in (('train', slice(0, cut)), ('val', slice(cut, n))):
            names = video['file_names'][sl]
            parts[split]['videos'].append(dict(video, file_names=names, length=len(names)))
            for ann in full['annotations']:
                if ann['video_id'] == video['id']:
                    segs = ann['segmentations'][sl]
                    parts[split]['annotations'].append(dict(
                        ann, segmentations=segs, areas=ann.get('areas', [None] * n)[sl],
                        bboxes=ann.get('bboxes', [None] * n)[sl]))
    os.makedirs(osp.join(root, 'annotations'), exist_ok=True)
    for split, data in parts.items():
        with open(osp.join(root, 'annotations', f'{split}.json'), 'w') as f:
            json.dump(data, f)
    return root


SWEEP = [(0.5, 16), (0.9, 16), (0.7, 8), (0.7, 32)]  # (mask_ratio, block_size); default 0.7 / 16


def run_one(variant: str, seed: int, data_root: str, img_root: Dict[str, str], iters: int,
            work_dir: str, num_classes: int, diagnostics: bool,
            mask: Optional[tuple] = None) -> dict:
    opts = {'randomness.seed': seed, 'train_cfg.max_iters': iters,
            'train_cfg.val_interval': iters + 1, 'param_scheduler.end': iters,
            'param_scheduler.milestones': [int(iters * 0.8)],
            'default_hooks.checkpoint.interval': iters, 'default_hooks.logger.interval': 50}
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        split = 'train' if key.startswith('train') else 'val'
        opts[f'{key}.dataset.data_root'] = data_root
        opts[f'{key}.dataset.ann_file'] = f'annotations/{split}.json'
        opts[f'{key}.dataset.data_prefix.img_path'] = img_root[split]
    if mask is not None:  # a point of the masking sweep (MVC config)
        opts['model.mask_generator.mask_ratio'], opts['model.mask_generator.block_size'] = mask
    cfg = load_config(osp.join(_REPO, 'configs', VARIANTS[variant.split('@')[0]]), work_dir,
                      opts, 'none')
    host = cfg.model.model if cfg.model.type == 'MaskedVideoConsistency' else cfg.model
    host.track_head.num_classes = num_classes
    host.track_head.loss_cls.class_weight = [1.0] * num_classes + [0.1]
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None  # score once, after training
    start = time.time()
    runner = Runner.from_cfg(cfg)
    runner.train()
    train_s = time.time() - start
    metrics = {k.split('/')[-1]: v for k, v in runner.test().items()}
    record = dict(variant=variant, seed=seed, iters=iters, train_s=round(train_s, 1),
                  metrics=metrics, checkpoint=osp.join(work_dir, f'iter_{iters}.pth'))
    if diagnostics:
        from mvc_plugin.analysis import AnalysisSettings, run_analysis, write_report
        runner.model.eval()
        report = run_analysis(runner.model, runner.test_dataloader, AnalysisSettings(seed=seed),
                              progress=False)
        write_report(report, osp.join(work_dir, 'analysis'))
        record['diagnostics'] = _diagnostic_summary(report)
    return record


def _diagnostic_summary(report: dict) -> dict:
    """The few numbers of the analysis report that the results table shows."""
    out = {}
    rob = report.get('robustness', {})
    for entry in rob.get('per_ratio', []):
        out[f'AP@mask{entry["ratio"]}'] = entry['metrics'].get('AP')
    for entry in report.get('consistency', {}).get('per_ratio', []):
        if entry['ratio'] == 0:
            out['id_switches_per_100'] = entry.get('id_switches_per_100_frames')
            out['flicker_per_100'] = entry.get('flicker_per_100_frames')
    layers = [layer for layer in report.get('attention', {}).get('layers', [])
              if layer.get('mass_on_background') is not None]
    if layers:
        out['attention_on_background'] = sum(x['mass_on_background'] for x in layers) / len(layers)
    return out


DIAG_KEYS = ('AP@mask0.25', 'AP@mask0.5', 'id_switches_per_100', 'flicker_per_100',
             'attention_on_background')


def _mean_std(vals: List[float]) -> tuple:
    return statistics.mean(vals), statistics.stdev(vals) if len(vals) > 1 else 0.0


def summarize(runs: List[dict]) -> dict:
    out: Dict[str, dict] = {}
    for bench in sorted({r['bench'] for r in runs}):
        names = list(VARIANTS) + sorted({r['variant'] for r in runs} - set(VARIANTS))
        for variant in names:
            rs = [r for r in runs if r['bench'] == bench and r['variant'] == variant]
            if not rs:
                continue
            row = {}
            for key in ('AP', 'AP50', 'AP75', 'AR10'):
                row[key] = _mean_std([r['metrics'][key] for r in rs])
            for key in DIAG_KEYS:
                vals = [r['diagnostics'].get(key) for r in rs
                        if isinstance(r.get('diagnostics'), dict)]
                if vals and all(v is not None for v in vals):
                    row[key] = _mean_std(vals)
            row['train_s'] = statistics.mean(r['train_s'] for r in rs)
            row['seeds'] = [r['seed'] for r in rs]
            out.setdefault(bench, {})[variant] = row
    return out


def markdown(summary: dict, iters: int) -> str:
    lines = []
    for bench, rows in summary.items():
        seeds = next(iter(rows.values()))['seeds']
        keys = ['AP', 'AP50', 'AP75', 'AR10'] + [k for k in DIAG_KEYS
                                                  if all(k in r for r in rows.values())]
        lines += [f'### {bench} ({iters} iterations, seeds {seeds}, mean ± std)', '',
                  '| variant | ' + ' | '.join(keys) + ' | train s / run |',
                  '|---' * (len(keys) + 2) + '|']
        for variant, row in rows.items():
            digits = {'attention_on_background': 3}
            cells = ' | '.join(f'{row[k][0]:.{digits.get(k, 1)}f} ± {row[k][1]:.{digits.get(k, 1)}f}'
                               for k in keys)
            lines.append(f'| {variant} | {cells} | {row["train_s"]:.0f} |')
        lines.append('')
    return '\n'.join(lines)


def plot_robustness(runs: List[dict], path: str) -> None:
    """AP vs share of masked input blocks, mean ± std over seeds, one line per variant."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    benches = [b for b in ('synthetic', 'davis') if any(r['bench'] == b for r in runs)]
    fig, axes = plt.subplots(1, len(benches), figsize=(5 * len(benches), 3.6), squeeze=False)
    ratios = (0.0, 0.25, 0.5, 0.75)
    for ax, bench in zip(axes[0], benches):
        for variant in VARIANTS:
            rs = [r for r in runs if r['bench'] == bench and r['variant'] == variant
                  and isinstance(r.get('diagnostics'), dict)]
            if not rs:
                continue
            vals = [[r['diagnostics'].get(f'AP@mask{x}') or 0.0 for x in ratios] for r in rs]
            mean = [statistics.mean(v) for v in zip(*vals)]
            std = [statistics.stdev(v) if len(v) > 1 else 0.0 for v in zip(*vals)]
            ax.errorbar(ratios, mean, yerr=std, marker='o', capsize=3, label=variant)
        ax.set(title=f'{bench} ({len({r["seed"] for r in runs if r["bench"] == bench})} '
                     'seed(s))', xlabel='share of input blocks masked at test time',
               ylabel='YouTube-VIS AP')
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    os.makedirs(osp.dirname(path), exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def update_docs(text: str) -> None:
    path = osp.join(_REPO, 'docs', 'results.md')
    doc = open(path).read() if osp.isfile(path) else f'# Results\n\n{BLOCK[0]}\n{BLOCK[1]}\n'
    head, rest = doc.split(BLOCK[0], 1)
    _, tail = rest.split(BLOCK[1], 1)
    with open(path, 'w') as f:
        f.write(f'{head}{BLOCK[0]}\n{text}\n{BLOCK[1]}{tail}')


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--iters', type=int, default=300)
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--variants', nargs='+', default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument('--out', default=osp.join(_REPO, 'work_dirs', 'ablation'))
    parser.add_argument('--no-real', action='store_true', help='skip the real DAVIS row')
    parser.add_argument('--no-diagnostics', action='store_true')
    parser.add_argument('--update-docs', action='store_true')
    parser.add_argument('--sweep', action='store_true',
                        help=f'also train MVC with (mask_ratio, block_size) in {SWEEP}, '
                        'first seed, synthetic benchmark')
    args = parser.parse_args(argv)

    benches = {'synthetic': (make_synthetic(osp.join(args.out, 'data', 'synthetic')),
                             {'train': 'train/JPEGImages', 'val': 'val/JPEGImages'}, 5)}
    davis = osp.join(osp.dirname(_REPO), 'shared', 'data', 'real', 'davis2016_val_subset')
    if not args.no_real and osp.isdir(davis):
        img = osp.join(davis, 'JPEGImages', '480p')
        benches['davis'] = (make_davis(osp.join(args.out, 'data', 'davis'), davis),
                            {'train': img, 'val': img}, 4)
    elif not args.no_real:
        print(f'[ablation] real row skipped: {davis} not found')
    runs_path = osp.join(args.out, 'runs.json')
    runs = json.load(open(runs_path)) if osp.isfile(runs_path) else []
    done = {(r['bench'], r['variant'], r['seed'], r['iters']) for r in runs}
    for bench, (root, img_root, num_classes) in benches.items():
        for seed in args.seeds:
            for variant in args.variants:
                if (bench, variant, seed, args.iters) in done:
                    continue  # resumable: finished runs are kept
                print(f'[ablation] {bench} / {variant} / seed {seed}', flush=True)
                rec = run_one(variant, seed, root, img_root, args.iters,
                              osp.join(args.out, bench, f'{variant}_s{seed}'), num_classes,
                              not args.no_diagnostics)
                runs.append(dict(rec, bench=bench))
                with open(runs_path, 'w') as f:
                    json.dump(runs, f, indent=1)
    if args.sweep:
        root, img_root, num_classes = benches['synthetic']
        seed = args.seeds[0]
        for ratio, block in SWEEP:
            variant = f'mvc@r{ratio}_b{block}'
            if ('synthetic-sweep', variant, seed, args.iters) in done:
                continue
            print(f'[ablation] sweep {variant} / seed {seed}', flush=True)
            rec = run_one(variant, seed, root, img_root, args.iters,
                          osp.join(args.out, 'sweep', f'{variant}_s{seed}'), num_classes,
                          not args.no_diagnostics, mask=(ratio, block))
            runs.append(dict(rec, bench='synthetic-sweep'))
            with open(runs_path, 'w') as f:
                json.dump(runs, f, indent=1)
    runs = [r for r in runs if r['iters'] == args.iters]
    summary = summarize(runs)
    with open(osp.join(args.out, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=1)
    text = markdown(summary, args.iters)
    print(text)
    if args.update_docs:
        plot_robustness(runs, osp.join(_REPO, 'docs', 'results', 'robustness_ablation.png'))
        update_docs(text + '\n![AP vs masked input](results/robustness_ablation.png)\n')
    return summary


if __name__ == '__main__':
    main()
