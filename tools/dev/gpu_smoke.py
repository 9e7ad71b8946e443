"""GPU smoke run of DVIS++: the three stages for a few iterations each, with AMP; it/s and peak
memory per stage (one JSON line each). Called by ``tools/gpu_smoke.sh``.

    python tools/dev/gpu_smoke.py [--iters 20] [--size 360 640] [--dataset ytvis19]
        [--variant dvis-pp|mvc-oma_dvis-pp] [--device cuda|cpu] [--work-dir DIR]

Each stage is the shipped R50 config (``configs/dvis_pp/<variant>_r50_<dataset>_<stage>.py``)
as it is -- model, losses, optimiser, clip length, AMP as the official training -- on synthetic
YouTube-VIS videos of ``--size`` (written to the work dir; no download, random initial weights:
this measures speed and memory, not accuracy). Stage 2 and 3 start from the previous stage's
checkpoint. Times exclude the first ``--warmup`` iterations. ``--device cpu`` checks the script
itself: inputs resized to ``--size``, fewer points, no AMP.
"""
import argparse
import json
import os.path as osp
import sys
import time

_REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, _REPO)

import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.hooks import Hook  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

import mvc_plugin  # noqa: E402,F401
from mvc_plugin.datasets.synthetic import SyntheticVideoSpec, write_ytvis  # noqa: E402

STAGES = ('segmenter', 'online', 'offline')


class IterTimer(Hook):
    """Seconds of every training iteration (synchronised on CUDA)."""

    def __init__(self) -> None:
        self.times = []

    def _sync(self) -> None:
        if torch.cuda.is_available():
            torch.cuda.synchronize()

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        self._sync()
        self._start = time.perf_counter()

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self._sync()
        self.times.append(time.perf_counter() - self._start)


def shrink(node, scale) -> None:
    """CPU check only: every resize to ``scale`` (w, h), every crop to half of it."""
    if isinstance(node, dict):
        if node.get('type') == 'RandomChoiceResize':
            node['scales'] = [scale]
        elif node.get('type') == 'Resize':
            node['scale'] = scale
        elif node.get('type') == 'RandomCrop':
            half = (scale[1] // 2, scale[0] // 2)
            node['crop_size'] = (min(half), max(half)) \
                if node['crop_type'] == 'absolute_range' else half
        for value in node.values():
            shrink(value, scale)
    elif isinstance(node, (list, tuple)):
        for value in node:
            shrink(value, scale)


def stage_cfg(path: str, data_root: str, work_dir: str, iters: int, device: str,
              size: tuple, previous: str = None) -> Config:
    """The shipped config on the synthetic set: only data, iterations, downloads, checkpoints
    and AMP are changed."""
    cfg = Config.fromfile(path)
    host = cfg.model.model if cfg.model.type == 'MaskedVideoConsistency' else cfg.model
    host.segmenter.init_cfg = None  # no download on the GPU machine: random weights
    if previous is not None:
        host.init_cfg.checkpoint = previous
    loader = cfg.train_dataloader
    videos = loader.dataset.datasets[0] if loader.dataset.type == 'ConcatDataset' \
        else loader.dataset
    videos.update(type='VideoInstanceDataset', data_root=data_root, dataset_version=None,
                  ann_file='annotations/train.json',
                  data_prefix=dict(img_path='train/JPEGImages'))
    loader.dataset = videos  # the video set only (the COCO pseudo clips need COCO)
    loader.pop('batch_sampler', None)
    loader.update(num_workers=2, persistent_workers=False)
    cfg.train_cfg.update(max_iters=iters, val_interval=iters + 1, val_begin=10 ** 9)
    cfg.param_scheduler = dict(type='ConstantLR', factor=1.0, by_epoch=False)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.test_cfg = cfg.test_dataloader = cfg.test_evaluator = None
    if device == 'cuda':
        cfg.optim_wrapper.type = 'AmpOptimWrapper'  # the official trains with AMP
        cfg.optim_wrapper.loss_scale = 'dynamic'
    else:  # a CPU check of this script: the official input sizes would take minutes
        shrink(cfg._cfg_dict, (max(size), min(size)))
        host.segmenter.train_cfg.num_points = 256
        host.criterion = dict(num_points=256)
    cfg.default_hooks.checkpoint.update(interval=iters, save_last=True, save_optimizer=False)
    cfg.work_dir = work_dir
    return cfg


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--iters', type=int, default=20)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--size', type=int, nargs=2, default=(360, 640), metavar=('H', 'W'))
    parser.add_argument('--videos', type=int, default=4)
    parser.add_argument('--frames', type=int, default=20, help='frames per synthetic video')
    parser.add_argument('--dataset', default='ytvis19', choices=['ytvis19', 'ytvis21', 'ovis'])
    parser.add_argument('--variant', default='dvis-pp', choices=['dvis-pp', 'mvc-oma_dvis-pp'])
    parser.add_argument('--device', default='cuda', choices=['cuda', 'cpu'])
    parser.add_argument('--work-dir', default=osp.join(_REPO, 'work_dirs', 'gpu_smoke'))
    args = parser.parse_args(argv)
    if args.device == 'cuda' and not torch.cuda.is_available():
        print('gpu_smoke: no CUDA device (use --device cpu for a CPU check)', file=sys.stderr)
        return 2
    data_root = osp.join(args.work_dir, 'data')
    write_ytvis(SyntheticVideoSpec(num_videos=args.videos, num_frames=args.frames,
                                   height=args.size[0], width=args.size[1], seed=0),
                data_root, split='train', progress=False)
    previous, rows = None, []
    for stage in STAGES:
        name = f'{args.variant}_r50_{args.dataset}_{stage}'
        cfg = stage_cfg(osp.join(_REPO, 'configs', 'dvis_pp', f'{name}.py'), data_root,
                        osp.join(args.work_dir, name), args.iters, args.device, args.size,
                        previous)
        runner = Runner.from_cfg(cfg)
        timer = IterTimer()
        runner.register_hook(timer)
        if args.device == 'cuda':
            torch.cuda.reset_peak_memory_stats()
        runner.train()
        timed = timer.times[args.warmup:] or timer.times
        row = dict(stage=stage, config=name, iters=args.iters, size=list(args.size),
                   clip_frames=int(cfg.get('num_frames', 0)), amp=args.device == 'cuda',
                   it_per_s=round(len(timed) / sum(timed), 3),
                   peak_mem_gib=round(torch.cuda.max_memory_allocated() / 2 ** 30, 2)
                   if args.device == 'cuda' else None,
                   device=torch.cuda.get_device_name() if args.device == 'cuda' else 'cpu')
        print(json.dumps(row), flush=True)
        rows.append(row)
        with open(osp.join(args.work_dir, name, 'last_checkpoint')) as f:
            previous = f.read().strip()
    with open(osp.join(args.work_dir, 'gpu_smoke.json'), 'w') as f:
        json.dump(rows, f, indent=2)
    return 0


if __name__ == '__main__':
    sys.exit(main())
