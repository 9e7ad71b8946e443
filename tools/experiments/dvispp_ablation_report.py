"""Tables and plots of the DVIS++ ablation (``dvispp_ablation.py``) from its run records.

``collect`` reads ``<out>/runs/*.json``; ``summarize`` gives mean ± std over seeds per
(benchmark, stage, variant); ``write_report`` writes ``<out>/summary.json``, prints the tables
and, with ``update_docs``, regenerates the block between ``<!-- decoupled:begin -->`` and
``<!-- decoupled:end -->`` of ``docs/results.md`` (other presets: ``decoupled-<preset>``),
``docs/results/dvispp_ablation_summary.json`` and the two plots (identity switches; metric vs
masked share of the input).
"""
import glob
import json
import os
import os.path as osp
import statistics
from typing import Dict, List, Optional

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

def block_marks(preset: str = 'cpu') -> tuple:
    """The markers of the generated block: ``decoupled`` (CPU preset), ``decoupled-<preset>``."""
    name = 'decoupled' if preset == 'cpu' else f'decoupled-{preset}'
    return f'<!-- {name}:begin -->', f'<!-- {name}:end -->'

VARIANTS = ('baseline', 'mvc', 'oma', 'mvc_oma')
SEGMENTER_OF = {'baseline': 'baseline', 'oma': 'baseline', 'mvc': 'mvc', 'mvc_oma': 'mvc'}
MAIN = {'vis': 'AP', 'vss': 'mIoU', 'vps': 'VPQ'}
# columns per task: (label, key in the flattened record)
COLUMNS = {
    'vis': [('AP', 'AP'), ('AP50', 'AP50'), ('AP rare', 'AP_rare'),
            ('AP frequent', 'AP_frequent'), ('APso', 'APso'), ('APmo', 'APmo'),
            ('APho', 'APho'), ('AP 25 % masked', 'AP@0.25'), ('AP 50 % masked', 'AP@0.5'),
            ('ID sw / 100 fr', 'id_switches'), ('flicker / 100 fr', 'flicker')],
    'vss': [('mIoU', 'mIoU'), ('VC8', 'VC8'), ('mIoU 25 % masked', 'mIoU@0.25'),
            ('mIoU 50 % masked', 'mIoU@0.5')],
    'vps': [('VPQ', 'VPQ'), ('VPQ thing', 'VPQ_thing'), ('VPQ stuff', 'VPQ_stuff'),
            ('STQ', 'STQ'), ('VPQ 25 % masked', 'VPQ@0.25'), ('VPQ 50 % masked', 'VPQ@0.5')],
}
TAIL = [('attn. on bg', 'attention'), ('train s', 'train_s')]


def collect(runs_dir: str, preset: str) -> List[dict]:
    """Every stage record of ``preset`` in ``runs_dir``."""
    runs = []
    for path in sorted(glob.glob(osp.join(runs_dir, '*.json'))):
        with open(path) as f:
            runs += [r for r in json.load(f) if r.get('preset', 'cpu') == preset]
    return runs


def _bench_order(bench: str) -> tuple:
    """Synthetic benchmarks first (VIS, VSS, VPS), then the real ones, then any other."""
    order = ('synthetic-vis', 'synthetic-vss', 'synthetic-vps', 'davis-vis', 'camvid-vss')
    return (order.index(bench) if bench in order else len(order), bench)


def flatten(rec: dict, segmenter_s: float) -> Dict[str, Optional[float]]:
    """One online / offline record -> ``{column key: value}``."""
    main = MAIN[rec['task']]
    out: Dict[str, Optional[float]] = {}
    for p in rec['passes']:
        if p['ratio'] == 0:
            out.update(p['metrics'])
            cons = p.get('consistency') or {}
            out['id_switches'] = cons.get('id_switches_per_100_frames')
            out['flicker'] = cons.get('flicker_per_100_frames')
            attn = p.get('attention') or {}
            part = 'tracker' if rec['stage'] == 'online' else 'refiner'
            out['attention'] = attn.get(f'{part}_mass_on_background')
        else:
            out[f'{main}@{p["ratio"]}'] = p['metrics'].get(main)
    out['train_s'] = segmenter_s + rec['train_s']  # this model's stages so far
    return out


def summarize(runs: List[dict]) -> dict:
    """``{bench: {stage: {variant: {key: [mean, std, n]}}}}`` over seeds (None values left out);
    segmenter rows carry only ``train_s``; online / offline ``train_s`` adds earlier stages."""
    train_s = {(r['bench'], r['variant'], r['seed'], r['stage']): r['train_s'] for r in runs}
    out: dict = {}
    for rec in runs:
        if rec['stage'] == 'segmenter':
            continue
        seg = train_s.get((rec['bench'], SEGMENTER_OF[rec['variant']], rec['seed'],
                           'segmenter'), 0.0)
        if rec['stage'] == 'offline':
            seg += train_s.get((rec['bench'], rec['variant'], rec['seed'], 'online'), 0.0)
        rec['_flat'] = flatten(rec, seg)
    for bench in sorted({r['bench'] for r in runs}, key=_bench_order):
        for stage in ('segmenter', 'online', 'offline'):
            for variant in VARIANTS:
                rs = [r for r in runs if r['bench'] == bench and r['stage'] == stage and
                      r['variant'] == (SEGMENTER_OF[variant] if stage == 'segmenter'
                                       else variant)]
                if not rs:
                    continue
                flats = [r['_flat'] if stage != 'segmenter' else {'train_s': r['train_s']}
                         for r in rs]
                row = {'seeds': sorted(r['seed'] for r in rs), 'task': rs[0]['task']}
                for key in sorted({k for f in flats for k in f}):
                    vals = [f[key] for f in flats if f.get(key) is not None]
                    if vals:
                        row[key] = [statistics.mean(vals),
                                    statistics.stdev(vals) if len(vals) > 1 else 0.0,
                                    len(vals)]
                out.setdefault(bench, {}).setdefault(stage, {})[variant] = row
    for rec in runs:
        rec.pop('_flat', None)
    return out


def _cell(row: dict, key: str, digits: int = 1) -> str:
    if key not in row:
        return 'n/a'
    mean, std, n = row[key]
    partial = '' if n == len(row['seeds']) else f' ({n})'
    return f'{mean:.{digits}f} ± {std:.{digits}f}{partial}'


def markdown(summary: dict, device_note: Optional[str] = None) -> str:
    lines = []
    if device_note:
        lines += [f'Ran on: {device_note}.', '']
    for bench, stages in summary.items():
        task = next(iter(next(iter(stages.values())).values()))['task']
        seeds = sorted({s for st in stages.values() for row in st.values()
                        for s in row['seeds']})
        lines += [f'### {bench} ({task.upper()}, seeds {seeds}, mean ± std)', '']
        seg = stages.get('segmenter', {})
        if seg:
            lines.append('Stage 1, segmenter (no video inference of its own; train s): ' +
                         ', '.join(f'{v} {_cell(r, "train_s", 0)}' for v, r in seg.items()
                                   if v in ('baseline', 'mvc')) +
                         ' (+OMA reuses the baseline segmenter, +MVC+OMA the MVC one).')
            lines.append('')
        cols = COLUMNS[task] + TAIL
        for stage in ('online', 'offline'):
            rows = stages.get(stage)
            if not rows:
                continue
            lines += [f'Stage {2 if stage == "online" else 3}, {stage}:', '',
                      '| variant | ' + ' | '.join(c for c, _ in cols) + ' |',
                      '|---' * (len(cols) + 1) + '|']
            for variant, row in rows.items():
                cells = [_cell(row, k, 3 if k == 'attention' else 0 if k == 'train_s' else 1)
                         for _, k in cols]
                lines.append(f'| {variant} | ' + ' | '.join(cells) + ' |')
            lines.append('')
    return '\n'.join(lines)


def plot(summary: dict, out_dir: str) -> List[str]:
    """``dvispp_id_switches.png`` (VIS) and ``dvispp_robustness.png`` (main metric vs masked
    share, offline models); mean ± std over seeds."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    vis = [b for b, st in summary.items()
           if any(row['task'] == 'vis' for rows in st.values() for row in rows.values())]
    if vis:
        fig, axes = plt.subplots(1, len(vis), figsize=(5 * len(vis), 3.4), squeeze=False)
        for ax, bench in zip(axes[0], vis):
            for i, stage in enumerate(('online', 'offline')):
                rows = summary[bench].get(stage, {})
                xs = [j + (i - 0.5) * 0.38 for j in range(len(rows))]
                ax.bar(xs, [r.get('id_switches', [0, 0])[0] for r in rows.values()], 0.38,
                       yerr=[r.get('id_switches', [0, 0])[1] for r in rows.values()],
                       capsize=3, label=stage)
                ax.set_xticks(range(len(rows)), list(rows))
            ax.set(title=bench, ylabel='identity switches / 100 frames')
            ax.legend()
        fig.tight_layout()
        paths.append(osp.join(out_dir, 'dvispp_id_switches.png'))
        fig.savefig(paths[-1], dpi=100)
        plt.close(fig)
    benches = list(summary)
    if benches:
        fig, axes = plt.subplots(1, len(benches), figsize=(4 * len(benches), 3.4),
                                 squeeze=False)
        for ax, bench in zip(axes[0], benches):
            rows = summary[bench].get('offline', {})
            task = next(iter(rows.values()))['task'] if rows else 'vis'
            main = MAIN[task]
            for variant, row in rows.items():
                keys = [main, f'{main}@0.25', f'{main}@0.5']
                ax.errorbar([0, 25, 50], [row.get(k, [float('nan')])[0] for k in keys],
                            yerr=[row.get(k, [0, 0])[1] for k in keys], marker='o',
                            capsize=3, label=variant)
            ax.set(title=f'{bench} (offline)', xlabel='% of input blocks masked',
                   ylabel=main)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7)
        fig.tight_layout()
        paths.append(osp.join(out_dir, 'dvispp_robustness.png'))
        fig.savefig(paths[-1], dpi=100)
        plt.close(fig)
    return paths


def replace_block(text: str, path: str, preset: str = 'cpu') -> None:
    """Replace the generated block of ``preset`` in ``path`` (appended when missing)."""
    BLOCK = block_marks(preset)
    doc = open(path).read() if osp.isfile(path) else '# Results\n'
    if BLOCK[0] not in doc:
        doc = doc.rstrip('\n') + f'\n\n{BLOCK[0]}\n{BLOCK[1]}\n'
    head, rest = doc.split(BLOCK[0], 1)
    if BLOCK[1] not in rest:
        raise ValueError(f'{path}: {BLOCK[0]} without {BLOCK[1]}')
    _, tail = rest.split(BLOCK[1], 1)
    with open(path, 'w') as f:
        f.write(f'{head}{BLOCK[0]}\n{text}\n{BLOCK[1]}{tail}')


def write_report(runs: List[dict], out: str, preset: str, update_docs: bool = False,
                 device_note: Optional[str] = None,
                 docs_dir: str = osp.join(REPO, 'docs')) -> dict:
    summary = summarize(runs)
    with open(osp.join(out, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=1)
    text = markdown(summary, device_note)
    print(text)
    if update_docs:
        figures = osp.join(docs_dir, 'results')
        suffix = '' if preset == 'cpu' else f'_{preset}'
        pngs = plot(summary, osp.join(figures, f'dvispp{suffix}'))
        with open(osp.join(figures, f'dvispp_ablation_summary{suffix}.json'), 'w') as f:
            json.dump(summary, f, indent=1)
        text += '\n' + '\n'.join(f'![{osp.basename(p)[:-4]}]({osp.relpath(p, docs_dir)})'
                                 for p in pngs) + '\n'
        replace_block(text, osp.join(docs_dir, 'results.md'), preset)
    return summary
