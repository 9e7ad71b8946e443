"""Run an online video model on a video, frame by frame: overlay video, masks and a summary.

Used by ``tools/demo.py``. The model must stream (the decoupled video segmentor's ``stream``):
only the tracker state is kept between frames, so memory stays flat in the video length. The
outputs follow the model's ``task``: VIS tracks (here), VSS class maps and VPS panoptic maps
(:mod:`.segmentation_demo`).
"""
import json
import logging
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
from mmengine.logging import print_log
from mmengine.registry import MODELS, init_default_scope
from mmengine.runner.checkpoint import _load_checkpoint, load_state_dict
from mmengine.structures import InstanceData
from PIL import Image
from tqdm import tqdm

from ..engine.checkpoint_safety import checkpoint_globals
from ..models.video_heads.video_streaming import StreamState
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
    cfg, model, _ = _load_streaming_model(config, checkpoint, device)
    return cfg, model


def _load_streaming_model(config: str, checkpoint: str, device: str) -> tuple:
    """``(cfg, model, checkpoint meta)`` (see :func:`load_streaming_model`)."""
    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    model_cfg = cfg.model.copy()
    host = model_cfg.model if model_cfg.type == 'MaskedVideoConsistency' else model_cfg
    host.pop('init_cfg', None)  # the demo checkpoint holds every weight
    if host.get('type') in ('DecoupledVideoSegmentor', 'DVISPlusVideoSegmentor'):
        host['allow_random_init'] = True
    model = MODELS.build(model_cfg)
    if not hasattr(model, 'stream'):
        raise ValueError(f'{config}: {type(model).__name__} cannot stream frame by frame; use a '
                         'decoupled video segmentor config (configs/dvis_*.py)')
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {checkpoint}')
    with checkpoint_globals():  # mmengine checkpoints hold a few non-tensor globals
        state = _load_checkpoint(checkpoint, map_location='cpu')
    meta = state.get('meta') if isinstance(state.get('meta'), dict) else {}
    state = state.get('state_dict', state)
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    if missing or unexpected:
        raise ValueError(f'{checkpoint} does not match {config}: {len(missing)} missing keys '
                         f'(e.g. {missing[:3]}), {len(unexpected)} unexpected keys '
                         f'(e.g. {unexpected[:3]})')
    load_state_dict(model, state, strict=True)
    return cfg, model.to(device).eval(), meta


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
                   device: str = 'cpu', score_thr: Optional[float] = None,
                   window: Optional[int] = None, max_frames: Optional[int] = None,
                   progress: bool = True) -> Dict:
    """Write ``out_dir/overlay.mp4``, ``out_dir/masks/<frame>.png`` and the task's summary;
    returns the summary.

    * VIS (``model.task == 'vis'``): PNG masks hold ``track id + 1`` per pixel (uint16, 0 =
      background), the summary is ``tracks.json``; ``score_thr`` (default 0.5) drops objects.
    * VSS: PNG masks hold the class id per pixel, the summary is ``classes.json``.
    * VPS: PNG masks hold VIPSeg RGB segment ids, the summary is ``segments.json``;
      ``score_thr`` replaces the model's ``test_cfg.object_mask_thr`` when given.

    (see :mod:`.segmentation_demo`). On an error the outputs written so far are kept and the
    summary is written as ``<name>.partial.json``.
    """
    if max_frames is not None and max_frames < 1:
        raise ValueError(f'--max-frames must be >= 1, got {max_frames}')
    video = open_video_source(source)
    cfg, model, meta = _load_streaming_model(config, checkpoint, device)
    task = getattr(model, 'task', 'vis')
    os.makedirs(osp.join(out_dir, 'masks'), exist_ok=True)
    if task == 'vis':
        outputs = _TrackOutputs(model, cfg, out_dir, 0.5 if score_thr is None else score_thr)
    else:
        from .segmentation_demo import PanopticOutputs, SemanticOutputs
        classes, palette = _segmentation_classes(model, cfg, meta)
        if task == 'vss':
            if score_thr is not None:
                print_log(f'--score-thr {score_thr} is ignored for a video semantic '
                          'segmentation model: every pixel gets a class', 'current',
                          logging.WARNING)
            outputs = SemanticOutputs(out_dir, classes, palette)
        else:
            if score_thr is not None:
                model.test_cfg['object_mask_thr'] = float(score_thr)
            outputs = PanopticOutputs(out_dir, classes, palette, model.num_thing_classes,
                                      model.test_cfg['object_mask_thr'],
                                      model.test_cfg['overlap_thr'])
    scale = _test_scale(cfg)
    height, width = video.size
    writer = cv2.VideoWriter(osp.join(out_dir, 'overlay.mp4'), cv2.VideoWriter_fourcc(*'mp4v'),
                             video.fps, (width, height))
    n_total = len(video) if max_frames is None else min(max_frames, len(video))
    names, shape = [], {}
    done = 0

    def frames():
        for name, frame in video.frames(n_total):
            names.append((name, frame))
            x, shape['hw'] = _preprocess(model, frame, scale)
            shape['pad'] = tuple(x.shape[-2:])
            yield x.to(device)

    state = StreamState()
    bar = tqdm(total=n_total, desc='demo', unit='frame', disable=not progress)
    ok = False
    try:
        with torch.no_grad():
            for result in model.stream(frames(), state, window=window):
                name, frame = names.pop(0)
                frame_meta = dict(ori_shape=(height, width), img_shape=shape['hw'],
                                  batch_input_shape=shape['pad'])
                drawn = outputs.add(done, name, frame, result, state, frame_meta)
                writer.write(mmcv.rgb2bgr(drawn))
                done += 1
                bar.update(1)
        ok = True
    finally:
        bar.close()
        writer.release()
        summary = outputs.finish(video, done, ok)
    return summary


class _TrackOutputs:
    """VIS outputs: per-frame instances above ``score_thr``, ``tracks.json``."""

    def __init__(self, model, cfg: Config, out_dir: str, score_thr: float) -> None:
        from ..visualization import VideoTrackVisualizer
        self.vis = VideoTrackVisualizer(name=f'demo-{time.time()}', alpha=0.5)
        classes = model.dataset_meta.get('classes') \
            if getattr(model, 'dataset_meta', None) else None
        self.classes = classes or cfg.get('classes') or _classes_from_cfg(cfg)
        self.vis.dataset_meta = dict(classes=self.classes)
        self.out_dir, self.score_thr = out_dir, score_thr
        self.video_scores = hasattr(model, 'video_pass')  # DVIS++: whole-video class scores
        self.tracks: Dict[int, dict] = {}

    def add(self, index: int, name: str, frame: np.ndarray, result, state,
            meta: dict) -> np.ndarray:
        height, width = meta['ori_shape']
        # DVIS++ scores objects over the whole video (``state``), the older model per frame
        probs = state.video_scores()[0] if getattr(self, 'video_scores', False) else None
        inst = _frame_instances(result, meta['img_shape'], (height, width), self.score_thr,
                                probs)
        ids = np.zeros((height, width), np.uint16)
        for k, tid in enumerate(inst.instances_id.tolist()):
            ids[inst.masks[k]] = tid + 1
            t = self.tracks.setdefault(tid, dict(track_id=tid, frames=[], scores=[],
                                                 labels=[]))
            t['frames'].append(index)
            t['scores'].append(round(float(inst.scores[k]), 4))
            t['labels'].append(int(inst.labels[k]))
        Image.fromarray(ids).save(osp.join(self.out_dir, 'masks', f'{name}.png'))
        sample = DetDataSample()
        sample.pred_track_instances = inst
        self.vis.add_datasample(name, mmcv.bgr2rgb(frame), sample, draw_gt=False,
                                pred_score_thr=self.score_thr)
        return self.vis.get_image()

    def finish(self, video, frames: int, complete: bool) -> Dict:
        return _write_tracks(self.out_dir, self.tracks, self.classes, frames, video, complete)


def _segmentation_classes(model, cfg: Config, meta: dict) -> tuple:
    """Class names and palette of a VSS / VPS model: the training set's (checkpoint meta), else
    the config's test set ``metainfo``, else ``class<k>``; ``palette`` may be None."""
    num = model.segmenter.panoptic_head.num_classes
    dataset = cfg.get('test_dataloader', {}).get('dataset', {})
    for source in (meta.get('dataset_meta'), dataset.get('metainfo'),
                   dict(classes=cfg.get('classes'), palette=cfg.get('palette'))):
        classes = (source or {}).get('classes')
        if classes is not None and len(classes) == num:
            return tuple(classes), (source or {}).get('palette')
    return tuple(f'class{k}' for k in range(num)), None


def _classes_from_cfg(cfg: Config):
    host = cfg.model.model if cfg.model.type == 'MaskedVideoConsistency' else cfg.model
    head = host.get('segmenter', host).get('panoptic_head') or host.get('track_head') or {}
    n = head.get('num_things_classes') or head.get('num_classes') or 0
    return tuple(f'class{i}' for i in range(n))


def _frame_instances(result, in_hw: tuple, out_hw: tuple, score_thr: float,
                     probs: Optional[torch.Tensor] = None) -> InstanceData:
    """Tracked objects of one frame above ``score_thr``, masks at the original frame size;
    class probabilities ``probs`` ``(N, K)`` or the softmax of the frame's logits."""
    if probs is None:
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
