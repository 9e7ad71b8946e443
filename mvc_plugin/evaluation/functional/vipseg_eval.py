"""VIPSeg video panoptic quality (VPQ) and segmentation-and-tracking quality (STQ).

Implemented from the VIPSeg release's ``eval_vpq_vspw.py`` / ``eval_stq_vspw.py`` (the latter
feeding deeplab2's numpy ``STQuality``), read for reference and not vendored; the scripts'
code is not copied. All results are fractions in [0, 1]; -1 marks an undefined value.

Inputs per video: frame id maps (0 = void) and ``segments_info`` (``id``, ``category_id``,
GT ``iscrowd`` and ``area``).

VPQ, for each window length ``k`` (default 1, 2, 4, 6, 8) and every window of frames
``i .. i+k-1`` (``i in range(L-k+1)``, stride 1; videos shorter than ``k`` are skipped):

* tubes as the official script forms them by default (:mod:`.vipseg_tubes`): keyed by segment
  id, with the category and ``iscrowd`` of their first listing in the window, GT areas from the
  JSON ``area``; ``vpq_tube_key='category_id'``, ``vpq_crowd='all'`` and
  ``vpq_gt_area='pixels'`` select the plug-in's earlier rules;
* a GT and a predicted tube of the same category match when
  ``IoU = |g&p| / (|g| + |p| - |g&p| - |p&void|) > 0.5``; crowd GT never match;
* unmatched non-crowd GT tubes are FN; unmatched predicted tubes are FP unless
  ``(|p&void| + |p&crowd GT of its category|) / |p| > 0.5``;
* per category over all windows of all videos: ``PQ_c = IoU_sum / (TP + FP/2 + FN/2)``;
  ``VPQ@k`` = mean of ``PQ_c`` over categories with ``TP+FP+FN > 0`` (thing / stuff means
  likewise); ``VPQ`` (``_thing``, ``_stuff``) = mean over the ``k`` whose value is defined
  (the official script assumes all are defined and would divide by zero otherwise).

STQ = sqrt(AQ * SQ) over whole videos (Weber et al. 2021, deeplab2 ``STQuality``):

* SQ: one semantic confusion matrix over all frames (category of each pixel's segment, void
  = id 0); GT-void pixels are dropped, predicted void on a labelled pixel is a false negative;
  SQ = mean IoU over the classes with non-empty union.
* AQ: GT tracks = non-crowd thing tracks; predicted tracks = thing tracks, restricted to
  pixels outside crowd GT; ``TPA(p,g) = |p&g|`` over all frames (class agreement not
  required), ``AQ(g) = 1/|g| sum_p TPA * TPA / (|p| + |g| - TPA)``,
  ``AQ = sum_g AQ(g) / number of GT tracks`` summed over all videos.

``stq_official_quirk`` (default True) reproduces what the official pipeline computes:

* the script numbers a video's GT segment ids by first appearance in its ``segments_info``
  (frame order, then list order, stuff and things together, one numbering per video) and
  deeplab2 treats instance number 0 of a thing class as crowd. So the single segment listed
  first in the video is, if it is a thing, excluded from the GT tracks and its pixels are
  removed from the predicted tracks; GT ``iscrowd`` flags are not used by STQ. (VIPSeg's
  converter lists stuff before things, so this mostly hits a stuff segment and changes
  nothing; it matters for videos whose first annotated frame holds only things.)
* predicted thing pixels on GT void stay in ``|p|``;
* a non-empty "predicted void on labelled GT" column adds one class with IoU 0 to SQ's mean.

With ``stq_official_quirk=False``: every non-crowd (``iscrowd=0``) thing segment is a track,
``iscrowd=1`` thing segments are the crowd regions, predicted pixels on GT void are left out
of ``|p|`` and SQ has no extra class. AQ / STQ are -1 when there is no GT track (deeplab2
reports AQ = 0 then).

Bad input raises ``ValueError`` naming the video and frame: a missing (or surplus) prediction
frame, id maps of different sizes or not 2-D integer arrays with ids in [0, 2^24), an id in a
map but not in its ``segments_info`` or the reverse (GT and prediction), an id listed twice or
listed as 0, a ``category_id`` not in ``categories``, and a video added twice.
"""
from __future__ import annotations

import json
import multiprocessing as mp
import os.path as osp
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from PIL import Image
from tqdm import tqdm

from .vipseg_accum import VIPSegAccumulator, summarize
from .vipseg_stq import stq_video_stats
from .vipseg_tracks import MAX_SEGMENT_ID, CategoryTable, parse_video
from .vipseg_tubes import VPQRules
from .vipseg_vpq import vpq_video_stats

__all__ = ['VIPSEG_WINDOWS', 'VIPSegAccumulator', 'VIPSegEvaluator', 'evaluate_vipseg_files',
           'id2rgb', 'rgb2id']

#: Window lengths of the official VIPSeg VPQ.
VIPSEG_WINDOWS: tuple[int, ...] = (1, 2, 4, 6, 8)


def rgb2id(png: np.ndarray) -> np.ndarray:
    """Segment ids ``R + 256 G + 256^2 B`` of an (H, W, 3|4) array; (H, W) passes through."""
    arr = np.asarray(png)
    if arr.ndim == 2:
        return arr.astype(np.int64)
    if arr.ndim != 3 or arr.shape[-1] not in (3, 4):
        raise ValueError(f'expected an (H, W, 3) RGB array, got shape {arr.shape}')
    rgb = arr[..., :3].astype(np.int64)
    if arr.dtype != np.uint8 and (rgb.min(initial=0) < 0 or rgb.max(initial=0) > 255):
        raise ValueError('RGB values must lie in [0, 255]')
    return rgb[..., 0] + 256 * rgb[..., 1] + 65536 * rgb[..., 2]


def id2rgb(ids: np.ndarray) -> np.ndarray:
    """Inverse of :func:`rgb2id`: (..., 3) uint8 from integer ids in [0, 2^24)."""
    arr = np.asarray(ids).astype(np.int64)
    if arr.size and (arr.min() < 0 or arr.max() >= MAX_SEGMENT_ID):
        raise ValueError(f'ids must lie in [0, 2^24), got [{arr.min()}, {arr.max()}]')
    return np.stack([arr % 256, arr // 256 % 256, arr // 65536], -1).astype(np.uint8)


def _check_windows(windows: Sequence[int]) -> tuple[int, ...]:
    out = tuple(int(k) for k in windows)
    if not out or any(k < 1 for k in out) or len(set(out)) != len(out):
        raise ValueError(f'windows must be distinct positive ints, got {windows!r}')
    return out


class VIPSegEvaluator:
    """Accumulate VPQ and STQ statistics video by video (definitions: module docstring)."""

    def __init__(self, categories: list[dict], windows: Sequence[int] = VIPSEG_WINDOWS,
                 stq_official_quirk: bool = True, vpq_tube_key: str = 'id',
                 vpq_crowd: str = 'last', vpq_gt_area: str = 'json') -> None:
        self.categories = [dict(c) for c in categories]
        self.cats = CategoryTable.from_list(self.categories)
        self.windows = _check_windows(windows)
        self.stq_official_quirk = bool(stq_official_quirk)
        self.vpq_rules = VPQRules(vpq_tube_key, vpq_crowd, vpq_gt_area)
        self.accumulator = VIPSegAccumulator.empty(self.windows, self.cats.num)

    def video_stats(self, video_id: Any, gt_ids: Sequence[np.ndarray],
                    gt_segments: Sequence[list[dict]], pred_ids: Sequence[np.ndarray],
                    pred_segments: Sequence[list[dict]]) -> VIPSegAccumulator:
        """Statistics of one video as a fresh accumulator (this evaluator is unchanged)."""
        pairs = parse_video(video_id, gt_ids, gt_segments, pred_ids, pred_segments, self.cats)
        tp, fp, fn, iou, count = vpq_video_stats(pairs, self.windows, self.cats.num,
                                                 self.vpq_rules)
        confusion, aq_sum, tracks = stq_video_stats(pairs, self.cats.isthing,
                                                    self.stq_official_quirk)
        return VIPSegAccumulator(
            windows=self.windows, tp=tp, fp=fp, fn=fn, iou=iou, num_windows=count,
            confusion=confusion, aq_sum=aq_sum, num_tracks=tracks,
            per_video={video_id: dict(frames=len(pairs.frames), aq_sum=aq_sum,
                                      tracks=tracks)})

    def add_video(self, video_id: Any, gt_ids: Sequence[np.ndarray],
                  gt_segments: Sequence[list[dict]], pred_ids: Sequence[np.ndarray],
                  pred_segments: Sequence[list[dict]]) -> None:
        """Evaluate one video and add it; ``ValueError`` on bad input or a repeated id."""
        if video_id in self.accumulator.per_video:
            raise ValueError(f'video {video_id!r} was already added')
        self.merge(self.video_stats(video_id, gt_ids, gt_segments, pred_ids, pred_segments))

    def merge(self, other: VIPSegAccumulator) -> None:
        """Add another accumulator (e.g. from a worker process) to this evaluator's."""
        self.accumulator.merge(other)

    @property
    def options(self) -> dict[str, Any]:
        """Constructor arguments (besides ``categories``) that rebuild this evaluator."""
        r = self.vpq_rules
        return dict(windows=self.windows, stq_official_quirk=self.stq_official_quirk,
                    vpq_tube_key=r.tube_key, vpq_crowd=r.crowd, vpq_gt_area=r.gt_area)

    def summary(self) -> dict[str, Any]:
        """VPQ / STQ fractions (-1 where undefined) and ``per_category`` details."""
        return summarize(self.accumulator, self.cats, self.stq_official_quirk)


def _read_ids(path: str) -> np.ndarray:
    with Image.open(path) as img:
        if img.mode in ('L', 'I', 'I;16'):
            return rgb2id(np.asarray(img))
        rgb = img if img.mode == 'RGB' else img.convert('RGB')  # RGBA, P, ... -> RGB
        # Pillow keeps RGB pixels as 4 bytes: packing them as RGBX and masking the pad byte
        # gives R + 256 G + 256^2 B directly (5x faster than combining three channels)
        width, height = rgb.size
        packed = np.frombuffer(rgb.tobytes('raw', 'RGBX'), dtype='<u4').reshape(height, width)
        return (packed & 0xFFFFFF).astype(np.int64)


class _PngFrames(Sequence):
    """Lazily read id maps ``root/<video_id>/<file_name>``, so one frame is in memory."""

    def __init__(self, root: str, video_id: str, frames: Sequence[Mapping[str, Any]],
                 side: str) -> None:
        self.video_id, self.side = video_id, side
        self.paths = [osp.join(root, str(video_id), str(f['file_name'])) for f in frames]

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, t: int) -> np.ndarray:  # type: ignore[override]
        if not osp.isfile(self.paths[t]):
            raise ValueError(f'video {self.video_id!r} frame {t}: {self.side} PNG not found: '
                             f'{self.paths[t]}')
        return _read_ids(self.paths[t])


def _segments_of(frames: Sequence[Mapping[str, Any]]) -> list[list[dict]]:
    return [list(f.get('segments_info', [])) for f in frames]


def _video_task(task: tuple) -> VIPSegAccumulator:
    """Worker: read one video's GT and prediction PNGs and return its statistics."""
    categories, options, video_id, gt_frames, pred_frames, gt_root, pred_root = task
    if pred_frames is None:
        raise ValueError(f'video {video_id!r} frame 0: prediction missing (video absent from '
                         f'the prediction json)')
    for t, (gt_f, pred_f) in enumerate(zip(gt_frames, pred_frames)):
        gt_img, pred_img = gt_f.get('image_id'), pred_f.get('image_id')
        if gt_img is not None and pred_img is not None and str(gt_img) != str(pred_img):
            raise ValueError(f'video {video_id!r} frame {t}: prediction image_id {pred_img!r} '
                             f'does not match GT {gt_img!r} (frames must follow the GT order)')
    if len(pred_frames) != len(gt_frames):
        t = min(len(pred_frames), len(gt_frames))
        what = 'prediction missing' if t == len(pred_frames) else 'surplus prediction frame'
        raise ValueError(f'video {video_id!r} frame {t}: {what} (GT has {len(gt_frames)} '
                         f'frames, prediction {len(pred_frames)})')
    evaluator = VIPSegEvaluator(categories, **options)
    return evaluator.video_stats(
        video_id, _PngFrames(gt_root, video_id, gt_frames, 'GT'), _segments_of(gt_frames),
        _PngFrames(pred_root, video_id, pred_frames, 'prediction'), _segments_of(pred_frames))


def evaluate_vipseg_files(gt_json: str, gt_root: str, pred_json: str, pred_root: str,
                          nproc: int = 1, progress: bool = True, *,
                          windows: Sequence[int] = VIPSEG_WINDOWS,
                          stq_official_quirk: bool = True,
                          **vpq_options: str) -> dict[str, Any]:
    """Evaluate VIPSeg-format predictions against a VIPSeg GT json and its RGB PNGs.

    GT: ``gt_root/<video_id>/<file_name>`` for every frame of the GT json's ``annotations``.
    Predictions: ``pred_json`` holds ``{"annotations": [{video_id, annotations: [{image_id,
    file_name, segments_info}]}]}`` with frames in the GT's order and PNGs at
    ``pred_root/<video_id>/<file_name>``; a prediction frame whose ``image_id`` differs from
    the GT frame's at the same position is an error. Prediction videos absent from the GT are
    ignored. PNGs are read one frame at a time. ``nproc > 1`` evaluates videos in a process
    pool and merges the per-video accumulators; ``windows``, ``stq_official_quirk`` and
    ``vpq_options`` (``vpq_tube_key``, ``vpq_crowd``, ``vpq_gt_area``) are passed to
    :class:`VIPSegEvaluator`.
    """
    with open(gt_json, encoding='utf-8') as f:
        gt = json.load(f)
    with open(pred_json, encoding='utf-8') as f:
        pred = json.load(f)
    if not isinstance(pred, Mapping) or 'annotations' not in pred:
        raise ValueError(f'{pred_json}: expected a dict with key "annotations"')
    preds = {str(v['video_id']): v['annotations'] for v in pred['annotations']}
    evaluator = VIPSegEvaluator(gt['categories'], windows, stq_official_quirk, **vpq_options)
    tasks = [(evaluator.categories, evaluator.options, str(v['video_id']), v['annotations'],
              preds.get(str(v['video_id'])), gt_root, pred_root) for v in gt['annotations']]
    seen = set()
    for task in tasks:
        if task[2] in seen:
            raise ValueError(f'video {task[2]!r} appears twice in {gt_json}')
        seen.add(task[2])
    bar = dict(total=len(tasks), desc='vipseg eval', unit='video', disable=not progress)
    if nproc > 1 and len(tasks) > 1:
        with mp.get_context().Pool(min(int(nproc), len(tasks))) as pool:
            for acc in tqdm(pool.imap(_video_task, tasks), **bar):
                evaluator.merge(acc)
    else:
        for task in tqdm(tasks, **bar):
            evaluator.merge(_video_task(task))
    return evaluator.summary()
