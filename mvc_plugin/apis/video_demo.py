"""Run an online video model on a video, frame by frame: overlay video, masks and tracks.

Used by ``tools/demo.py``. The model must stream (the decoupled video segmentor's ``stream``):
only the tracker state is kept between frames, so memory stays flat in the video length.
"""
import json
import os
import os.path as osp
import time
from typing import Dict, Optional

import cv2
import mmcv
import numpy as np
import torch
import torch.nn.functional as F
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope
from mmengine.runner.checkpoint import _load_checkpoint, load_state_dict
from mmengine.structures import InstanceData
from PIL import Image
from tqdm import tqdm

from .video_source import open_video_source

__all__ = ['load_streaming_model', 'run_video_demo']


def _test_scale(cfg: Config) -> Optional[tuple]:
    """The (w, h) of the first ``Resize`` in the test pipeline, if any."""
    stack = list(cfg.test_dataloader.dataset.get('pipeline', []))
    while stack:
        t = stack.pop(0)
        if t.get('type') == 'Resize':
            return tuple(t['scale'])
        stack = list(t.get('transforms', [])) + stack
    return None


def load_streaming_model(config: str, checkpoint: str, device: str = 'cpu'):
    """Build the config's model, load ``checkpoint`` strictly (mismatches are reported)."""
    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    model_cfg = cfg.model.copy()
    host = model_cfg.model if model_cfg.type == 'MaskedVideoConsistency' else model_cfg
    host.pop('init_cfg', None)  # the demo checkpoint holds every weight
    if host.get('type') == 'DecoupledVideoSegmentor':
        host['allow_random_init'] = True
    model = MODELS.build(model_cfg)
    if not hasattr(model, 'stream'):
        raise ValueError(f'{config}: {type(model).__name__} cannot stream frame by frame; use a '
                         'decoupled video segmentor config (configs/dvis_*.py)')
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {checkpoint}')
    state = _load_checkpoint(checkpoint, map_location='cpu')
    state = state.get('state_dict', state)
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    if missing or unexpected:
        raise ValueError(f'{checkpoint} does not match {config}: {len(missing)} missing keys '
                         f'(e.g. {missing[:3]}), {len(unexpected)} unexpected keys '
                         f'(e.g. {unexpected[:3]})')
    load_state_dict(model, state, strict=True)
    return cfg, model.to(device).eval()


def _preprocess(model, frame: np.ndarray, scale: Optional[tuple]) -> tuple:
    """BGR frame -> normalised, padded (C, H, W) tensor and the resized (h, w)."""
    img = mmcv.imrescale(frame, scale, return_scale=False) if scale else frame
    dp = model.data_preprocessor
    x = torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1).float()
    if getattr(dp, '_channel_conversion', False):
        x = x[[2, 1, 0]]
    x = (x - dp.mean.cpu()) / dp.std.cpu()
    h, w = x.shape[-2:]
    div = getattr(dp, 'pad_size_divisor', 1) or 1
    x = F.pad(x, (0, (-w) % div, 0, (-h) % div))
    return x, (h, w)


def run_video_demo(config: str, checkpoint: str, source: str, out_dir: str,
                   device: str = 'cpu', score_thr: float = 0.5, window: Optional[int] = None,
                   max_frames: Optional[int] = None, progress: bool = True) -> Dict:
    """Write ``out_dir/{overlay.mp4, masks/<frame>.png, tracks.json}``; returns the summary.

    PNG masks hold ``track id + 1`` per pixel (0 = background). On an error the outputs written
    so far are kept and ``tracks.json`` is written as ``tracks.partial.json``.
    """
    if max_frames is not None and max_frames < 1:
        raise ValueError(f'--max-frames must be >= 1, got {max_frames}')
    video = open_video_source(source)
    cfg, model = load_streaming_model(config, checkpoint, device)
    from ..visualization import VideoTrackVisualizer
    vis = VideoTrackVisualizer(name=f'demo-{time.time()}', alpha=0.5)
    classes = model.dataset_meta.get('classes') if getattr(model, 'dataset_meta', None) else None
    classes = classes or cfg.get('classes') or _classes_from_cfg(cfg)
    vis.dataset_meta = dict(classes=classes)
    scale = _test_scale(cfg)
    os.makedirs(osp.join(out_dir, 'masks'), exist_ok=True)
    height, width = video.size
    writer = cv2.VideoWriter(osp.join(out_dir, 'overlay.mp4'), cv2.VideoWriter_fourcc(*'mp4v'),
                             video.fps, (width, height))
    tracks: Dict[int, dict] = {}
    n_total = len(video) if max_frames is None else min(max_frames, len(video))
    names, shape = [], {}
    done = 0

    def frames():
        for name, frame in video.frames(n_total):
            names.append((name, frame))
            x, shape['hw'] = _preprocess(model, frame, scale)
            yield x.to(device)

    bar = tqdm(total=n_total, desc='demo', unit='frame', disable=not progress)
    start = time.time()
    ok = False
    try:
        with torch.no_grad():
            for result in model.stream(frames(), window=window):
                name, frame = names.pop(0)
                inst = _frame_instances(result, shape['hw'], (height, width), score_thr)
                ids = np.zeros((height, width), np.uint16)
                for k, tid in enumerate(inst.instances_id.tolist()):
                    ids[inst.masks[k]] = tid + 1
                    t = tracks.setdefault(tid, dict(track_id=tid, frames=[], scores=[],
                                                    labels=[]))
                    t['frames'].append(done)
                    t['scores'].append(round(float(inst.scores[k]), 4))
                    t['labels'].append(int(inst.labels[k]))
                Image.fromarray(ids).save(osp.join(out_dir, 'masks', f'{name}.png'))
                sample = DetDataSample()
                sample.pred_track_instances = inst
                vis.add_datasample(name, mmcv.bgr2rgb(frame), sample, draw_gt=False,
                                   pred_score_thr=score_thr)
                writer.write(mmcv.rgb2bgr(vis.get_image()))
                done += 1
                bar.update(1)
        ok = True
    finally:
        bar.close()
        writer.release()
        summary = _write_tracks(out_dir, tracks, classes, done, video, ok)
    return summary


def _classes_from_cfg(cfg: Config):
    host = cfg.model.model if cfg.model.type == 'MaskedVideoConsistency' else cfg.model
    head = host.get('segmenter', host).get('panoptic_head') or host.get('track_head') or {}
    n = head.get('num_things_classes') or head.get('num_classes') or 0
    return tuple(f'class{i}' for i in range(n))


def _frame_instances(result, in_hw: tuple, out_hw: tuple, score_thr: float) -> InstanceData:
    """Tracked objects of one frame above ``score_thr``, masks at the original frame size."""
    probs = result.cls_logits[0].softmax(-1)[:, :-1]
    scores, labels = probs.max(-1)
    masks = result.mask_logits[0][None]
    pad_h, pad_w = masks.shape[-2] * 4, masks.shape[-1] * 4
    masks = F.interpolate(masks, size=(pad_h, pad_w), mode='bilinear', align_corners=False)
    masks = masks[..., :in_hw[0], :in_hw[1]]
    masks = F.interpolate(masks, size=out_hw, mode='bilinear', align_corners=False)[0] > 0
    keep = (scores >= score_thr) & masks.flatten(1).any(1)
    inst = InstanceData()
    inst.masks = masks[keep].cpu().numpy()
    inst.scores = scores[keep].cpu()
    inst.labels = labels[keep].cpu()
    inst.instances_id = torch.nonzero(keep).flatten().cpu()
    return inst


def _write_tracks(out_dir: str, tracks: Dict[int, dict], classes, frames: int, video,
                  complete: bool) -> Dict:
    for t in tracks.values():
        label = int(np.bincount(t['labels']).argmax())
        t.update(label=label, class_name=classes[label] if label < len(classes) else str(label),
                 score=round(float(np.mean(t['scores'])), 4))
    summary = dict(source=video.path, frames=frames, fps=video.fps, size=list(video.size),
                   complete=complete, tracks=sorted(tracks.values(), key=lambda t: -t['score']))
    name = 'tracks.json' if complete else 'tracks.partial.json'
    with open(osp.join(out_dir, name), 'w') as f:
        json.dump(summary, f, indent=1)
    return summary
