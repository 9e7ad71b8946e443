"""Speed and size benchmarks, each one run comparing a baseline and a variant on the same input.

    python tools/benchmark.py mvc [--config CFG] [--steps N] [--warmup N]
    python tools/benchmark.py oma [--config CFG] [--steps N] [--warmup N]
    python tools/benchmark.py metrics [--frames N] [--size H W]
    python tools/benchmark.py metrics --official-vipseg DIR --official-vspw DIR
        --official-ytvis DIR [--official-videos 2 --official-frames 100 --official-size 720 1280]
    python tools/benchmark.py stream [--frames 30 300] [--size H W] [--models ...]

``mvc`` prints one JSON line: parameter counts of the baseline and of the MVC-wrapped model and the
time ratios (variant / baseline) of a training step in ``'replace'`` and ``'dual'`` mode and of
inference with the MVC-trained model. Goals: params equal, replace <= 1.10, dual <= 2.0,
infer <= 1.03. Steps of the three models are interleaved and the median is taken, so slow drifts
of the machine affect all of them alike.

``oma`` prints ``infer_ratio``: inference time of the model with the OMA track head over the
plain head, same weights, same video (goal <= 1.03).

``stream`` prints ``peak_rss_ratio_<model>``: peak resident memory (``VmHWM``) of video inference
on the longest vs the shortest video (goal <= 1.25) for DVIS++ online / offline (per-frame masks
in a temporary file, ``spill_to_disk``; ``_in_memory``: kept in memory as the official code
does), the earlier decoupled model (``dvis``) and mmdet's whole-video ``Mask2FormerVideo``, on
the same random frames (results consumed and dropped). Each measurement runs in a fresh process.

``metrics`` prints the seconds per 100 frames of each metric (YouTube-VIS AP, VSPW mIoU + VC,
VIPSeg VPQ + STQ) on synthetic videos with imperfect predictions. With ``--official-*`` (folders
holding checkouts of the official scorers) it instead runs them and ``tools/eval_offline.py`` on
the same generated files and prints ``speedup_<metric>`` (official seconds / ours) with the
largest difference of their numbers (must be <= 1e-6 percentage points; exit code 1 if not);
see ``tools/official_compare.py``. Goal: every speed-up >= 5.
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


def _infer_time(model, batch, steps: int, warmup: int) -> list:
    times = []
    with torch.no_grad():
        for step in range(warmup + steps):
            t = _timed(lambda: model.test_step(copy.deepcopy(batch)))
            if step >= warmup:
                times.append(t)
    return times


def bench_oma(args: argparse.Namespace) -> dict:
    cfg = Config.fromfile(args.config)
    init_default_scope(cfg.default_scope)
    host_cfg = cfg.model.model if cfg.model.type == 'MaskedVideoConsistency' else cfg.model
    if host_cfg.track_head.type != 'OMAMask2FormerTrackHead':
        raise ValueError(f'{args.config}: the track head is not OMAMask2FormerTrackHead')
    plain_cfg = copy.deepcopy(host_cfg)
    plain_cfg.track_head.type = 'Mask2FormerTrackHead'
    plain_cfg.track_head.pop('oma_cfg', None)
    torch.manual_seed(0)
    plain = MODELS.build(plain_cfg).eval()
    oma = MODELS.build(copy.deepcopy(host_cfg)).eval()
    oma.load_state_dict(plain.state_dict())
    with tempfile.TemporaryDirectory() as root:
        spec = SyntheticVideoSpec(num_videos=1, num_frames=8, height=96, width=128, seed=3)
        write_ytvis(spec, root, split='val', progress=False)
        ds_cfg = copy.deepcopy(cfg.test_dataloader.dataset)
        ds_cfg.update(data_root=root, ann_file='annotations/val.json',
                      data_prefix=dict(img_path='val/JPEGImages'))
        batch = pseudo_collate([DATASETS.build(ds_cfg)[0]])
    times = {'plain': [], 'oma': []}
    for _ in range(args.steps):  # interleave single runs so drifts hit both alike
        times['plain'] += _infer_time(plain, batch, 1, 0 if times['plain'] else args.warmup)
        times['oma'] += _infer_time(oma, batch, 1, 0 if times['oma'] else args.warmup)
    med = {k: statistics.median(v) for k, v in times.items()}
    return dict(benchmark='oma', config=osp.relpath(args.config, _REPO), steps=args.steps,
                frames=8, infer_s_plain=round(med['plain'], 4),
                infer_ratio=round(med['oma'] / med['plain'], 3))


def bench_metrics(args: argparse.Namespace) -> dict:
    if args.official_vipseg or args.official_vspw or args.official_ytvis:
        sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
        from official_compare import compare_with_official
        return compare_with_official(args)
    import numpy as np
    from pycocotools import mask as mask_utils

    from mvc_plugin.datasets.synthetic import generate_video, semantic_map
    from mvc_plugin.datasets.synthetic_writers import panoptic_ids
    from mvc_plugin.evaluation.functional import VIPSegEvaluator, VSPWEvaluator, evaluate_ytvis

    h, w = args.size
    spec = SyntheticVideoSpec(num_videos=2, num_frames=args.frames // 2, height=h, width=w,
                              seed=5)
    videos = [generate_video(spec, i) for i in range(spec.num_videos)]
    rng = np.random.default_rng(0)
    n_frames = sum(v.num_frames for v in videos)
    num_classes = spec.num_stuff_classes + spec.num_thing_classes
    timings = {}

    def noisy(labels, low, high):  # flip 5% of the pixels: an imperfect prediction
        out = labels.copy()
        flip = rng.random(labels.shape) < 0.05
        out[flip] = rng.integers(low, high, flip.sum())
        return out

    vspw = VSPWEvaluator(num_classes=num_classes)
    gts = [semantic_map(v, spec) for v in videos]
    preds = [noisy(np.clip(g.astype(np.int64) - 1, 0, None), 0, num_classes) for g in gts]
    timings['vspw'] = _timed(lambda: [vspw.add_video(f'v{i}', list(g), list(p))
                                      for i, (g, p) in enumerate(zip(gts, preds))]
                             and vspw.summary())

    cats = [dict(id=i + 1, name=str(i), isthing=int(i >= spec.num_stuff_classes))
            for i in range(num_classes)]
    vip = VIPSegEvaluator(cats)
    ids = [panoptic_ids(v, spec) for v in videos]

    def segs(frame):
        return [dict(id=int(i), category_id=int(i // 1000 if i >= 1000 else i), iscrowd=0)
                for i in np.unique(frame) if i]
    pred_ids = [np.where(rng.random(x.shape) < 0.02, 0, x) for x in ids]
    args_v = [(f'v{i}', list(g), [segs(f) for f in g], list(p), [segs(f) for f in p])
              for i, (g, p) in enumerate(zip(ids, pred_ids))]
    timings['vipseg'] = _timed(lambda: [vip.add_video(*a) for a in args_v] and vip.summary())

    gt = dict(videos=[], annotations=[], categories=[dict(id=k + 1, name=str(k))
                                                      for k in range(spec.num_thing_classes)])
    results = []
    for vi, v in enumerate(videos):
        gt['videos'].append(dict(id=vi + 1, height=h, width=w, length=v.num_frames,
                                 file_names=[f'{t}.jpg' for t in range(v.num_frames)]))
        masks = v.visible_masks()
        for n in range(v.num_instances):
            seg = [mask_utils.encode(np.asfortranarray(masks[t, n].astype(np.uint8)))
                   if masks[t, n].any() else None for t in range(v.num_frames)]
            for r in seg:
                if r:
                    r['counts'] = r['counts'].decode()
            cat = int(v.instance_classes[n]) + 1
            gt['annotations'].append(dict(id=len(gt['annotations']) + 1, video_id=vi + 1,
                                          category_id=cat, iscrowd=0, segmentations=seg))
            results.append(dict(video_id=vi + 1, category_id=cat, score=float(rng.random()),
                                segmentations=seg))
    timings['ytvis'] = _timed(lambda: evaluate_ytvis(gt, results, verbose=False))
    return dict(benchmark='metrics', frames=n_frames, size=[h, w],
                **{f'{k}_s_per_100_frames': round(t * 100 / n_frames, 3)
                   for k, t in timings.items()})


def _dvispp_model_cfg(mode: str) -> dict:
    """The synthetic decoupled config's model as DVIS++ (re-id head, DVIS++ tracker / refiner)."""
    cfg = Config.fromfile(osp.join(_REPO, 'configs', 'dvis_synthetic_refiner.py'))
    host = cfg.model.model
    host.update(type='DVISPlusVideoSegmentor', mode=mode, allow_random_init=True,
                init_heads_from_previous=False)
    for key, value in (('tracker', dict(type='DVISPlusReferringTracker', noise_mode='wa')),
                       ('refiner', dict(type='DVISPlusTemporalRefiner')),
                       ('test_cfg', dict(max_num=10, window_size=3))):
        host[key] = value  # replaced, not merged
    host.pop('init_cfg', None)
    host.segmenter.panoptic_head.type = 'ReIDMask2FormerHead'
    return host


def _peak_rss_kb() -> int:
    """This process's peak resident memory in kB: ``VmHWM`` (per address space, so it starts
    afresh at exec; ``ru_maxrss`` keeps the launching process's peak across fork + exec, e.g. a
    large pytest process), else ``ru_maxrss``."""
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _stream_worker(args: argparse.Namespace) -> dict:
    """One measurement in this (fresh) process: peak RSS of inference over ``args.frames``."""
    torch.manual_seed(0)
    init_default_scope('mmdet')
    if args.model.startswith('dvis_pp'):
        host = _dvispp_model_cfg(args.model.split('_')[2])
        host.test_cfg['spill_to_disk'] = not args.model.endswith('in_memory')
    elif args.model == 'dvis':
        cfg = Config.fromfile(osp.join(_REPO, 'configs', 'dvis_synthetic_tracker.py'))
        host = cfg.model.model
        host.pop('init_cfg', None)
        host.allow_random_init = True
    else:
        cfg = Config.fromfile(osp.join(_REPO, 'configs', 'vis_synthetic_quickstart_baseline.py'))
        host = cfg.model
    model = MODELS.build(host).eval()
    h, w = args.size
    frames = (torch.randn(3, h, w) for _ in range(args.frames))
    base = _peak_rss_kb()
    start = time.perf_counter()
    with torch.no_grad():
        if args.model.startswith('dvis'):
            for _ in model.stream(frames):
                pass  # results are consumed and dropped, as a demo writing them out would
        else:  # mmdet's Mask2FormerVideo predicts the whole video at once
            video = torch.stack(list(frames))[None]
            feats = model.backbone(video[0])
            from mmdet.structures import DetDataSample, TrackDataSample
            sample = TrackDataSample()
            sample.video_data_samples = [DetDataSample(metainfo=dict(
                img_shape=(h, w), ori_shape=(h, w), batch_input_shape=(h, w),
                pad_shape=(h, w))) for _ in range(args.frames)]
            model.track_head.predict(feats, sample, rescale=True)
    peak = _peak_rss_kb()
    return dict(model=args.model, frames=args.frames, peak_rss_mb=round(peak / 1024, 1),
                model_rss_mb=round(base / 1024, 1), seconds=round(time.perf_counter() - start, 2))


STREAM_MODELS = ('dvis_pp_online', 'dvis_pp_offline', 'dvis_pp_offline_in_memory', 'dvis',
                 'mask2former_video')


def bench_stream(args: argparse.Namespace) -> dict:
    import subprocess
    results = {}
    for model in args.models:
        for n in args.frames:
            proc = subprocess.run([sys.executable, osp.abspath(__file__), '_stream_worker',
                                   '--model', model, '--frames', str(n), '--size',
                                   *map(str, args.size)], capture_output=True, text=True)
            if proc.returncode != 0:
                raise RuntimeError(f'stream worker ({model}, {n} frames) failed:\n'
                                   f'{proc.stderr[-3000:]}')
            results[(model, n)] = json.loads(proc.stdout.strip().splitlines()[-1])
    lo, hi = min(args.frames), max(args.frames)

    def ratio(model):
        return round(results[(model, hi)]['peak_rss_mb'] / results[(model, lo)]['peak_rss_mb'], 3)
    return dict(benchmark='stream', frames=[lo, hi], size=list(args.size),
                **{f'peak_rss_ratio_{m}': ratio(m) for m in args.models},
                runs=[results[k] for k in sorted(results)])


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest='benchmark', required=True)
    p = sub.add_parser('mvc', help='MVC training/inference cost vs the plain model')
    p.add_argument('--config', default=DEFAULT_CONFIG)
    p.add_argument('--steps', type=int, default=20)
    p.add_argument('--warmup', type=int, default=3)
    p = sub.add_parser('oma', help='OMA track head vs plain head, inference')
    p.add_argument('--config', default=osp.join(_REPO, 'configs',
                                                'vis_synthetic_quickstart_oma.py'))
    p.add_argument('--steps', type=int, default=20)
    p.add_argument('--warmup', type=int, default=3)
    p = sub.add_parser('metrics', help='seconds per 100 frames of each metric')
    p.add_argument('--frames', type=int, default=40)
    p.add_argument('--size', type=int, nargs=2, default=(360, 640), metavar=('H', 'W'))
    for name in ('vipseg', 'vspw', 'ytvis'):
        p.add_argument(f'--official-{name}', default=None, metavar='DIR',
                       help=f'checkout of the official {name} scorer: compare and time')
    p.add_argument('--official-videos', type=int, default=2, help='VIPSeg / VSPW videos')
    p.add_argument('--official-frames', type=int, default=100, help='VIPSeg / VSPW frames')
    p.add_argument('--official-size', type=int, nargs=2, default=(720, 1280),
                   metavar=('H', 'W'))
    p.add_argument('--ytvis-videos', type=int, default=300, help='YouTube-VIS 2019 valid: 302')
    p.add_argument('--ytvis-frames', type=int, default=30)
    p.add_argument('--ytvis-size', type=int, nargs=2, default=(720, 1280), metavar=('H', 'W'))
    p.add_argument('--seed', type=int, default=0, help='seed of the generated data')
    p = sub.add_parser('stream', help='peak memory of video inference vs video length')
    p.add_argument('--frames', type=int, nargs='+', default=[30, 300])
    p.add_argument('--size', type=int, nargs=2, default=(96, 128), metavar=('H', 'W'))
    p.add_argument('--models', nargs='+', choices=STREAM_MODELS, default=list(STREAM_MODELS))
    p = sub.add_parser('_stream_worker')  # internal: one measurement per fresh process
    p.add_argument('--model', choices=STREAM_MODELS, required=True)
    p.add_argument('--frames', type=int, required=True)
    p.add_argument('--size', type=int, nargs=2, default=(96, 128), metavar=('H', 'W'))
    args = parser.parse_args(argv)
    result = {'mvc': bench_mvc, 'oma': bench_oma, 'metrics': bench_metrics,
              'stream': bench_stream, '_stream_worker': _stream_worker}[args.benchmark](args)
    print(json.dumps(result))
    if result.get('agree') is False:
        sys.exit(1)  # the official numbers and ours differ
    return result


if __name__ == '__main__':
    main()
