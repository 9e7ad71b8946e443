"""Per-task glue: turn one masked test pass of a VIS or VSS model into the diagnostics' inputs.

A *pass* is one run over the test set at one masking ratio. :class:`VISPass` feeds mmdet
``TrackDataSample`` outputs (whole videos per sample, as Mask2Former-VIS tests) to the local
YouTube-VIS AP (:class:`VideoInstanceMetric`, unchanged), to the masked / unmasked foreground
accuracy and to identity switches / flicker. :class:`VSSPass` feeds mmseg ``SegDataSample``
outputs (frames, video by video) to :class:`VSPWEvaluator` (mIoU, VC8, VC16) and to the masked /
unmasked pixel accuracy. GT labels follow mmseg: 255 is ignored, other values are classes.
"""
import os.path as osp
from typing import Any, Dict, Hashable, List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import Evaluator
from torch import Tensor

from mvc_plugin.evaluation.functional.vspw_eval import VSPWEvaluator
from mvc_plugin.evaluation.metrics.video_instance_metric import VideoInstanceMetric
from .consistency import VISConsistency
from .masking import mask_to_output
from .robustness import RegionAccuracy, foreground_union

__all__ = ['VISPass', 'VSSPass', 'detect_task', 'frame_tracks', 'sample_video_key',
           'undefined_to_none']

SEG_IGNORE = 255


def detect_task(model: torch.nn.Module) -> Optional[str]:
    """``'vis'`` (mmdet video model with a ``track_head``), ``'vss'`` (mmseg segmentor) or None."""
    from mmseg.models.segmentors import BaseSegmentor
    if isinstance(model, BaseSegmentor):
        return 'vss'
    from mmdet.models.mot import BaseMOTModel
    if isinstance(model, BaseMOTModel) and hasattr(model, 'track_head'):
        return 'vis'
    return None


def sample_video_key(sample: Any) -> Hashable:
    """Video of a data sample: ``video_id`` / ``video`` metainfo, else from the frame path
    (``.../<video>/origin/<frame>`` in VSPW, else the frame's folder)."""
    meta = sample.metainfo
    for key in ('video_id', 'video'):
        if key in meta:
            return meta[key]
    path = meta.get('img_path', '')
    parent = osp.dirname(path)
    if osp.basename(parent) == 'origin':
        parent = osp.dirname(parent)
    return osp.basename(parent)


def undefined_to_none(value: Any) -> Any:
    """Scores use -1 (official APIs) or NaN for "undefined"; the report uses None."""
    if value is None:
        return None
    value = float(value)
    return None if value != value or value == -1.0 else value


def _gt_masks(instances: Any, shape: Sequence[int]) -> np.ndarray:
    """``(G, H, W)`` bool GT masks at ``shape`` (nearest-resized if loaded at another size)."""
    masks = getattr(instances, 'masks', None)
    if masks is None:
        return np.zeros((0, *shape), dtype=bool)
    arr = masks.masks if hasattr(masks, 'masks') else masks
    arr = torch.as_tensor(np.asarray(arr.cpu() if isinstance(arr, Tensor) else arr)).bool()
    if tuple(arr.shape[-2:]) != tuple(shape):
        arr = torch.nn.functional.interpolate(arr[None].float(), size=tuple(shape),
                                              mode='nearest')[0].bool()
    return arr.numpy()


def frame_tracks(frame: Any) -> tuple:
    """One frame of a video model's output: ``(masks, scores, track ids, GT masks, GT ids)``,
    masks as bool arrays at the prediction's size (GT nearest-resized to it)."""
    pred = frame.pred_track_instances
    masks = pred.masks.cpu().numpy().astype(bool)
    shape = masks.shape[-2:] if masks.ndim == 3 else frame.metainfo['ori_shape'][:2]
    gt = frame.get('gt_instances')
    if gt is None:
        raise ValueError('the test data carry no ground truth (gt_instances); '
                         'add LoadTrackAnnotations to the test pipeline')
    gt_masks = _gt_masks(gt, shape)
    gt_ids = [int(i) for i in gt.instances_ids.tolist()] if 'instances_ids' in gt \
        else list(range(len(gt_masks)))
    return masks, pred.scores.cpu().numpy(), pred.instances_id.tolist(), gt_masks, gt_ids


class VISPass:
    """One ratio of a VIS model: AP, foreground accuracy on masked pixels, switches, flicker."""

    task = 'vis'

    def __init__(self, dataset_meta: dict, score_thr: float = 0.5, iou_thr: float = 0.5) -> None:
        self.score_thr = score_thr
        self.evaluator = Evaluator(VideoInstanceMetric())
        self.evaluator.dataset_meta = dataset_meta
        self.accuracy = RegionAccuracy(foreground=1)
        self.consistency = VISConsistency(score_thr, iou_thr)
        self.videos = 0
        self.example: Optional[Dict[str, np.ndarray]] = None

    def add(self, data: dict, outputs: List[Any], mask: Tensor) -> None:
        """Add a batch of test outputs; ``mask`` is the ``(B, T, H, W)`` input mask."""
        for b, track_sample in enumerate(outputs):
            frames = track_sample.video_data_samples
            if frames[0].metainfo.get('ori_video_length', len(frames)) != len(frames):
                raise ValueError('analysis needs whole videos per test sample (VIS test loaders '
                                 'of Mask2Former-VIS); got frames of a longer video')
            self.consistency.start_video()
            for t, frame in enumerate(frames):
                masks, scores, pred_ids, gt_masks, gt_ids = frame_tracks(frame)
                shape = gt_masks.shape[-2:]
                masked = mask_to_output(mask[b, t], frame.metainfo['img_shape'], shape)
                pred_fg = foreground_union(masks, scores, self.score_thr, shape)
                gt_fg = gt_masks.any(0) if len(gt_masks) else np.zeros(shape, bool)
                self.accuracy.add(pred_fg.astype(np.uint8), gt_fg.astype(np.uint8), masked)
                self.consistency.add_frame(dict(zip(gt_ids, gt_masks)), masks, pred_ids, scores)
                if self.example is None:
                    self.example = dict(pred=_label_map(masks, scores, self.score_thr, shape),
                                        gt=_label_map(gt_masks, np.ones(len(gt_masks)), 0.5,
                                                      shape), masked=masked)
            self.consistency.end_video()
            self.videos += 1
        self.evaluator.process(data_samples=outputs, data_batch=data)

    def finish(self) -> Dict[str, Any]:
        """``metrics`` (AP etc., %), ``pixel_accuracy`` and ``consistency`` of this pass."""
        raw = self.evaluator.evaluate(max(1, self.videos))
        metrics = {k.split('/')[-1]: undefined_to_none(v) for k, v in raw.items()}
        return dict(metrics=metrics, pixel_accuracy=self.accuracy.summary(),
                    consistency=self.consistency.summary())


class VSSPass:
    """One ratio of a VSS model: mIoU, VC8 / VC16, pixel accuracy on masked pixels."""

    task = 'vss'

    def __init__(self, num_classes: int, vc_windows: Sequence[int] = (8, 16)) -> None:
        self.evaluator = VSPWEvaluator(num_classes, vc_windows=vc_windows)
        self.accuracy = RegionAccuracy()
        self.videos = 0
        self._video: Optional[Hashable] = None
        self._gts: List[np.ndarray] = []
        self._preds: List[np.ndarray] = []
        self.example: Optional[Dict[str, np.ndarray]] = None

    def _flush(self) -> None:
        if self._gts:
            self.evaluator.add_video(str(self._video), self._gts, self._preds)
            self.videos += 1
        self._gts, self._preds = [], []

    def add(self, data: dict, outputs: List[Any], mask: Tensor) -> None:
        """Add a batch of frames; ``mask`` is the ``(B, 1, H, W)`` input mask."""
        for b, sample in enumerate(outputs):
            if 'gt_sem_seg' not in sample:
                raise ValueError('the test data carry no ground truth (gt_sem_seg); add '
                                 'LoadAnnotations to the test pipeline')
            pred = sample.pred_sem_seg.data[0].cpu().numpy().astype(np.int64)
            gt = sample.gt_sem_seg.data[0].cpu().numpy().astype(np.int64)
            if pred.shape != gt.shape:
                raise ValueError(f'prediction {pred.shape} and ground truth {gt.shape} differ '
                                 'in size')
            masked = mask_to_output(mask[b, 0], sample.metainfo['img_shape'], pred.shape)
            self.accuracy.add(pred, gt, masked, valid=gt != SEG_IGNORE)
            video = sample_video_key(sample)
            if video != self._video:
                self._flush()
                self._video = video
            # VSPW raw labels: 0 = ignored, class c -> c + 1
            self._gts.append(np.where(gt == SEG_IGNORE, 0, gt + 1).astype(np.uint8))
            self._preds.append(pred.astype(np.uint8))
            if self.example is None:
                self.example = dict(pred=pred, gt=np.where(gt == SEG_IGNORE, -1, gt),
                                    masked=masked)

    def finish(self) -> Dict[str, Any]:
        """``metrics`` (mIoU, VC8, VC16 in %) and ``pixel_accuracy`` of this pass."""
        self._flush()
        summary = self.evaluator.summary()
        metrics = {k: (None if undefined_to_none(v) is None else 100.0 * v)
                   for k, v in summary.items() if k != 'per_class_IoU'}
        return dict(metrics=metrics, pixel_accuracy=self.accuracy.summary())


def _label_map(masks: np.ndarray, scores: np.ndarray, thr: float,
               shape: Sequence[int]) -> np.ndarray:
    """``(H, W)`` int map: index of the kept mask covering a pixel (last wins), -1 elsewhere."""
    out = np.full(tuple(shape), -1, dtype=np.int64)
    for i, (m, s) in enumerate(zip(masks, scores)):
        if s >= thr:
            out[np.asarray(m, dtype=bool)] = i
    return out
