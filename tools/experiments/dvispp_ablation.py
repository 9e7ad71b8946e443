"""Ablation of MVC and OMA on DVIS++: baseline, +MVC, +OMA, +MVC+OMA through all three stages.

    python tools/experiments/dvispp_ablation.py [--seeds 0 1 2] [--benches ...] [--jobs 2]
        [--out work_dirs/dvispp_ablation] [--preset cpu|gpu] [--update-docs]

Every variant trains segmenter -> online tracker -> offline refiner with identical data, steps
and seeds (``randomness.seed``), from the quick-start-size configs
``configs/dvis_pp/dvis-pp_r18_synthetic-<format>_<stage>.py`` (the baseline = DVIS++). The
variants change only what :func:`apply_variant` says, the settings of the shipped ``mvc-oma_*``
configs (a test checks that ``mvc_oma`` equals them): MVC = ``MaskedVideoConsistency`` around the
segmenter (16 px blocks, ratio 0.7, dual views, weight 1) and 20 % of the frame queries masked in
the tracker / refiner stages; OMA = hard OMA (tau 0.5) in the tracker's and refiner's key
attention. A segmenter that two variants share (baseline / +OMA, +MVC / +MVC+OMA: same config,
same seed) is trained once. Each online and offline model is then scored with the config's
official metric on the clean test set and with 25 % / 50 % of the input blocks masked, and with
the diagnostics of :mod:`mvc_plugin.analysis.decoupled`.

Resumable: each (benchmark, seed) writes ``<out>/runs/<bench>_s<seed>.json`` stage by stage;
finished stages are kept. ``--jobs 2`` runs two (benchmark, seed) groups at a time, one thread
each. ``--update-docs`` regenerates the ``decoupled`` block of ``docs/results.md`` and its plots
from every finished run (``dvispp_ablation_report.py``).
"""
import argparse
import json
import os
import os.path as osp
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import List, Optional

_HERE = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(osp.dirname(_HERE))
for path in (REPO, _HERE):
    if path not in sys.path:
        sys.path.insert(0, path)

from dvispp_ablation_data import BENCHES, REAL_BENCHES, prepare  # noqa: E402

VARIANTS = ('baseline', 'mvc', 'oma', 'mvc_oma')
STAGES = ('segmenter', 'online', 'offline')
MASK_RATIOS = (0.0, 0.25, 0.5)
MASK_BLOCK = 16  # px at 128 x 96: the MVC block of these configs (64 px at full scale)
MASK_SEED = 1234  # test-time masks: the same blocks for every model
MVC_SEGMENTER = dict(mask_generator=dict(block_size=16, mask_ratio=0.7, mode='frame'),
                     mode='dual', masked_loss_weight=1.0)
QUERY_MASK_RATIO = 0.2
PRESETS = {  # iterations per stage (None = the config's) and data size
    'cpu': dict(iters=None, size='cpu', img_scale=None),
    'gpu': dict(iters=dict(segmenter=400, online=200, offline=200), size='gpu',
                img_scale=(320, 240)),
    'smoke': dict(iters=dict(segmenter=1, online=1, offline=1), size='smoke',
                  img_scale=(64, 48)),  # tests: the whole pipeline in seconds
}


def apply_variant(cfg, variant: str, stage: str) -> None:
    """Turn the baseline (DVIS++) config of ``stage`` into ``variant``, in place."""
    if variant not in VARIANTS:
        raise ValueError(f'variant must be one of {VARIANTS}, got {variant!r}')
    mvc, oma = 'mvc' in variant, 'oma' in variant
    if stage == 'segmenter':
        if mvc:
            cfg.model = dict(type='MaskedVideoConsistency', model=cfg.model, **MVC_SEGMENTER)
        return
    if mvc:
        cfg.model.query_mask_ratio = QUERY_MASK_RATIO
    if oma:
        cfg.model.tracker.oma_cfg = dict(cfg.oma_cfg)
        if stage == 'offline':
            cfg.model.refiner.oma_cfg = dict(cfg.oma_cfg)


def stage_config(bench: str, variant: str, stage: str, seed: int, options: dict,
                 work_dir: str, previous: Optional[str], preset: dict):
    """The config of one stage run: benchmark options, variant, seed, previous checkpoint."""
    from mvc_plugin.engine.launch import load_config
    opts = dict(options)
    opts.update({'randomness.seed': seed, 'default_hooks.logger.interval': 20})
    iters = (preset['iters'] or {}).get(stage)
    if iters:
        opts.update({'train_cfg.max_iters': iters, 'param_scheduler.end': iters,
                     'param_scheduler.milestones': [int(iters * 0.8)],
                     'default_hooks.checkpoint.interval': iters})
    if preset['img_scale']:
        opts['train_dataloader.dataset.pipeline.1.transforms.2.scale'] = preset['img_scale']
        opts['test_dataloader.dataset.pipeline.0.transforms.1.scale'] = preset['img_scale']
    if previous is not None:
        opts['model.init_cfg.checkpoint'] = previous
    prefix = BENCHES[bench][1]
    config = osp.join(REPO, 'configs', 'dvis_pp', f'{prefix}_{stage}.py')
    cfg = load_config(config, work_dir, opts, 'none')
    apply_variant(cfg, variant, stage)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None  # scored after training
    cfg.log_level = 'WARNING'
    return cfg


def score(runner, cfg, task: str) -> List[dict]:
    """The official metric at every masked fraction; diagnostics on the clean pass."""
    from mmengine.runner import Runner

    from mvc_plugin.analysis.decoupled import score_test_set
    loader = Runner.build_dataloader(cfg.test_dataloader, seed=0)
    passes = []
    for ratio in MASK_RATIOS:
        evaluator = runner.build_evaluator(cfg.test_evaluator)
        evaluator.dataset_meta = loader.dataset.metainfo
        result = score_test_set(runner.model, loader, evaluator, ratio, MASK_BLOCK, MASK_SEED,
                                probe=ratio == 0, consistency=task == 'vis' and ratio == 0)
        passes.append(dict(ratio=ratio, **result))
    return passes


def _last_checkpoint(work_dir: str) -> Optional[str]:
    path = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(path):
        return None
    with open(path) as f:
        ckpt = f.read().strip()
    return ckpt if osp.isfile(ckpt) else None


def run_group(bench: str, seed: int, out: str, preset_name: str,
              variants=VARIANTS) -> str:
    """Train and score every variant of ``bench`` with ``seed``; resumable stage by stage."""
    import torch
    from mmengine.runner import Runner

    import mvc_plugin  # noqa: F401
    torch.set_num_threads(1)
    preset = PRESETS[preset_name]
    task = BENCHES[bench][0]
    options = prepare(bench, osp.join(out, 'data', preset['size']), preset['size'])
    path = osp.join(out, 'runs', f'{bench}_s{seed}.json')
    os.makedirs(osp.dirname(path), exist_ok=True)
    records = []
    if osp.isfile(path):
        with open(path) as f:
            records = json.load(f)

    def done(variant, stage):
        return next((r for r in records if r['variant'] == variant and r['stage'] == stage
                     and (r['checkpoint'] is None or osp.isfile(r['checkpoint']))), None)

    for variant in variants:
        previous = None
        for stage in STAGES:
            trained_as = ('mvc' if 'mvc' in variant else 'baseline') \
                if stage == 'segmenter' else variant  # shared segmenters
            rec = done(trained_as, stage)
            if rec is None:
                work = osp.join(out, bench, f'{trained_as}_s{seed}', stage)
                cfg = stage_config(bench, trained_as, stage, seed, options, work, previous,
                                   preset)
                print(f'[dvispp-ablation] {bench} seed {seed}: {trained_as} / {stage}',
                      flush=True)
                start = time.time()
                runner = Runner.from_cfg(cfg)
                runner.train()
                rec = dict(bench=bench, task=task, variant=trained_as, seed=seed, stage=stage,
                           preset=preset_name, train_s=round(time.time() - start, 1),
                           checkpoint=_last_checkpoint(work))
                if stage != 'segmenter':
                    t0 = time.time()
                    rec['passes'] = score(runner, cfg, task)
                    rec['score_s'] = round(time.time() - t0, 1)
                records.append(rec)
                with open(path, 'w') as f:
                    json.dump(records, f, indent=1)
                print(f'[dvispp-ablation] {bench} seed {seed}: {trained_as} / {stage} done: '
                      f'train {rec["train_s"]:.0f} s', flush=True)
            previous = rec['checkpoint']
    return path


def _run_group(job: tuple) -> str:
    return run_group(*job)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--benches', nargs='+', default=list(BENCHES), choices=list(BENCHES))
    parser.add_argument('--variants', nargs='+', default=list(VARIANTS), choices=VARIANTS)
    parser.add_argument('--preset', default='cpu', choices=list(PRESETS))
    parser.add_argument('--jobs', type=int, default=2,
                        help='(benchmark, seed) groups run at once, one thread each')
    parser.add_argument('--out', default=osp.join(REPO, 'work_dirs', 'dvispp_ablation'))
    parser.add_argument('--update-docs', action='store_true')
    parser.add_argument('--docs-dir', default=osp.join(REPO, 'docs'),
                        help='where --update-docs writes (results.md, results/)')
    parser.add_argument('--device-note', default=None,
                        help='what the run ran on, for the page (e.g. "1x H100")')
    args = parser.parse_args(argv)

    from dvispp_ablation_data import REAL
    benches = [b for b in args.benches
               if b not in REAL_BENCHES or osp.isdir(REAL)]
    for b in sorted(set(args.benches) - set(benches)):
        print(f'[dvispp-ablation] {b} skipped: the real clips ({REAL}) are not here')
    preset = args.preset
    jobs = [(b, s, args.out, preset, tuple(args.variants)) for s in args.seeds
            for b in benches]
    start = time.time()
    if args.jobs > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(args.jobs, mp_context=get_context('spawn')) as pool:
            list(pool.map(_run_group, jobs))
    else:
        for job in jobs:
            _run_group(job)
    print(f'[dvispp-ablation] all groups finished in {time.time() - start:.0f} s')

    from dvispp_ablation_report import collect, write_report
    runs = collect(osp.join(args.out, 'runs'), preset)
    return write_report(runs, args.out, preset, update_docs=args.update_docs,
                        device_note=args.device_note, docs_dir=args.docs_dir)


if __name__ == '__main__':
    os.environ.setdefault('PYTHONUNBUFFERED', '1')
    main()
