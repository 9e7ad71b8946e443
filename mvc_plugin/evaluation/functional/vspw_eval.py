"""VSPW video semantic segmentation scores: mIoU and video consistency VC_n.

Definitions follow the official VSPW evaluation scripts:

* Labels: GT PNGs hold raw labels, 0 ("others") and 255 (void) are ignored
  and a raw label r in 1..C is class r - 1. Predictions hold classes 0..C-1.
* mIoU: one C x C confusion matrix over all frames of all videos (ignored GT
  pixels excluded), IoU_c = TP / (TP + FP + FN). ``miou_classes='gt'`` (the
  default) averages over classes present in the GT, as the official
  ``Evaluator.Mean_Intersection_over_Union`` does; ``'union'`` averages over
  classes with a non-empty union, the ``nanmean`` of the per-class IoU that
  mmseg computes (a class predicted but absent from the GT then adds an IoU
  of 0).
* VC_n: for each video of L frames and each window start i in
  ``range(L - n)``, ``gt_common`` are the pixels whose *raw* GT label (void
  and "others" included, the official script compares the raw PNGs) is the
  same in frames i..i+n-1, ``pred_common`` those whose prediction is; the
  window accuracy is |gt_common & pred_common| / |gt_common| (windows with an
  empty ``gt_common`` are skipped). VC_n is the mean over the windows of all
  videos. Quirk kept on purpose: the official ``range(len - n)`` never counts
  the last window (i = L - n), so a video needs L >= n + 1 frames to
  contribute one.

Known pitfall, not reproduced: a widely used re-implementation keeps appending
to one list of window accuracies for n = 8 and then n = 16 without resetting
it, so its "VC16" is the mean over the VC8 *and* VC16 windows (inflated). Here
each n has its own list.

Frames are streamed: per pixel we keep the start index of the current run of
identical labels, so window [i, i + n - 1] is constant iff that start is <= i
when frame i + n - 1 arrives: every window is tested in O(1) per pixel and
memory is O(H * W) per video.
"""
from __future__ import annotations

import multiprocessing
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Iterable, Optional, Sequence

import numpy as np
from PIL import Image
from tqdm import tqdm

from mvc_plugin.datasets.validation import DatasetError

__all__ = [
    'IGNORE_LABELS', 'VSPW_NUM_CLASSES', 'VSPWEvaluator', 'VideoScore',
    'evaluate_vspw_dirs', 'list_vspw_videos', 'score_video'
]

#: Number of VSPW classes (raw labels 1..124).
VSPW_NUM_CLASSES = 124
#: Raw GT labels excluded from mIoU: "others" and void.
IGNORE_LABELS = (0, 255)


@dataclass
class VideoScore:
    """Partial result of one video, merged by :meth:`VSPWEvaluator.add_score`."""

    confusion: np.ndarray  # (C, C) int64, rows = GT class, cols = prediction
    window_accs: dict[int, list[float]] = field(default_factory=dict)


def _check_frame(where: str, gt: np.ndarray, pred: np.ndarray, shape: Optional[tuple],
                 num_classes: int) -> None:
    """Raise ``ValueError`` prefixed by ``where`` (video and frame) for malformed maps."""
    for what, arr in (('ground truth', gt), ('prediction', pred)):
        if arr.ndim != 2:
            raise ValueError(f'{where}: {what} must be a 2-D label map, got shape {arr.shape}')
        if arr.dtype.kind not in 'iu':
            raise ValueError(f'{where}: {what} must hold integers, got dtype {arr.dtype}')
    if pred.shape != gt.shape:
        raise ValueError(f'{where}: prediction shape {pred.shape} differs from the ground '
                         f'truth shape {gt.shape}')
    if shape is not None and gt.shape != shape:
        raise ValueError(f'{where}: shape {gt.shape} differs from frame 0 shape {shape}')
    if pred.dtype == np.uint8 and gt.dtype == np.uint8:  # the PNG case, two cheap passes
        if pred.size and int(pred.max()) >= num_classes:
            bad = pred[pred >= num_classes][0]
            raise ValueError(f'{where}: prediction value {int(bad)} outside 0..{num_classes - 1}')
        # uint8 wrap-around: 255 (void) -> 0, labels 0..C -> 1..C+1, anything else above
        if gt.size and int(np.add(gt, 1, dtype=np.uint8).max()) > num_classes + 1:
            bad = gt[(gt > num_classes) & (gt != 255)][0]
            raise ValueError(f'{where}: ground-truth label {int(bad)} is not 0 (others), 255 '
                             f'(void) or a class label 1..{num_classes}')
        return
    if pred.size and (int(pred.min()) < 0 or int(pred.max()) >= num_classes):
        bad = pred[(pred < 0) | (pred >= num_classes)][0]
        raise ValueError(f'{where}: prediction value {int(bad)} outside 0..{num_classes - 1}')
    bad_gt = (gt < 0) | ((gt > num_classes) & (gt != 255))
    if bad_gt.any():
        raise ValueError(f'{where}: ground-truth label {int(gt[bad_gt][0])} is not 0 '
                         f'(others), 255 (void) or a class label 1..{num_classes}')


def score_video(name: str, gt_frames: Iterable[np.ndarray], pred_frames: Iterable[np.ndarray],
                num_frames: int, num_classes: int, vc_windows: Sequence[int] = (8, 16),
                frame_names: Optional[Sequence[str]] = None) -> VideoScore:
    """Confusion matrix and VC window accuracies of one video, streaming its frames.

    ``gt_frames`` / ``pred_frames`` may be lazy iterables (e.g. PNG readers) of
    exactly ``num_frames`` items each; only two frames are held at a time.
    Errors name the frame index and, if given, its file name from ``frame_names``.
    """
    C = num_classes
    confusion = np.zeros((C + 1) * C, dtype=np.int64)  # row C collects "others" and void
    index_type = np.uint16 if (C + 1) * C < 2**16 else np.int64  # narrow = faster
    row = np.full(max(256, C + 2), C, dtype=index_type)  # raw GT label -> confusion row
    row[1:C + 1] = np.arange(C)
    start_type = np.uint16 if num_frames < 2**16 else np.int32
    accs: dict[int, list[float]] = {n: [] for n in vc_windows}
    shape = prev_gt = prev_pred = gt_start = pred_start = None
    t = -1
    for t, (gt, pred) in enumerate(zip(gt_frames, pred_frames)):
        gt, pred = np.asarray(gt), np.asarray(pred)
        where = f'video {name!r}, frame {t}' + (f' ({frame_names[t]})' if frame_names else '')
        _check_frame(where, gt, pred, shape, C)
        index = row[gt]
        index *= index_type(C)
        index += pred.astype(index_type, copy=False)  # checked: 0 <= pred < C
        confusion += np.bincount(index.ravel(), minlength=(C + 1) * C)
        if t == 0:
            shape = gt.shape
            gt_start = np.zeros(shape, dtype=start_type)
            pred_start = np.zeros(shape, dtype=start_type)
        else:
            np.copyto(gt_start, t, where=gt != prev_gt)  # a run of equal labels starts here
            np.copyto(pred_start, t, where=pred != prev_pred)
        prev_gt, prev_pred = gt, pred
        for n in vc_windows:
            i = t - n + 1  # window [i, t]; official range(L - n) skips i = L - n
            if 0 <= i < num_frames - n:
                gt_common = gt_start <= i
                denom = int(np.count_nonzero(gt_common))
                if denom:
                    hits = int(np.count_nonzero(gt_common & (pred_start <= i)))
                    accs[n].append(hits / denom)
    if t + 1 != num_frames:
        raise ValueError(f'video {name!r}: expected {num_frames} frames, got {t + 1}')
    return VideoScore(confusion.reshape(C + 1, C)[:C], accs)


class VSPWEvaluator:
    """Accumulates VSPW mIoU and VC_n over videos; see the module docstring.

    Args:
        num_classes: C, classes 0..C-1 (raw GT labels 1..C); 124 for VSPW.
        miou_classes: ``'gt'`` (mean over classes present in the GT) or
            ``'union'`` (mean over classes with a non-empty union).
        vc_windows: window lengths n of the VC_n scores.
    """

    def __init__(self, num_classes: int = VSPW_NUM_CLASSES, miou_classes: str = 'gt',
                 vc_windows: Sequence[int] = (8, 16)) -> None:
        if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) \
                or not 1 <= num_classes <= 254:
            raise ValueError(f'num_classes must be an int in [1, 254] (raw labels 1..C, 255 = '
                             f'void), got {num_classes!r}')
        if miou_classes not in ('gt', 'union'):
            raise ValueError(f"miou_classes must be 'gt' or 'union', got {miou_classes!r}")
        windows = tuple(int(n) for n in vc_windows)
        if any(n < 2 for n in windows) or len(set(windows)) != len(windows):
            raise ValueError(f'vc_windows must be distinct ints >= 2, got {vc_windows!r}')
        self.num_classes = int(num_classes)
        self.miou_classes = miou_classes
        self.vc_windows = windows
        self.confusion = np.zeros((self.num_classes, self.num_classes), dtype=np.int64)
        self._accs: dict[int, list[float]] = {n: [] for n in windows}
        self.num_videos = 0

    def add_video(self, name: str, gt_frames: Sequence[np.ndarray],
                  pred_frames: Sequence[np.ndarray]) -> None:
        """Score one video (raw GT label maps, predicted class maps, same order)."""
        if len(pred_frames) != len(gt_frames):
            raise ValueError(f'video {name!r}: {len(pred_frames)} prediction frames but '
                             f'{len(gt_frames)} ground-truth frames')
        if not len(gt_frames):
            raise ValueError(f'video {name!r}: no frames')
        self.add_score(score_video(name, gt_frames, pred_frames, len(gt_frames),
                                   self.num_classes, self.vc_windows))

    def add_score(self, score: VideoScore) -> None:
        """Merge a partial result (e.g. computed in a worker process)."""
        self.confusion += score.confusion
        for n in self.vc_windows:
            self._accs[n].extend(score.window_accs.get(n, []))
        self.num_videos += 1

    @property
    def window_accuracies(self) -> dict[int, np.ndarray]:
        """Per-window accuracies pooled over videos, keyed by window length n."""
        return {n: np.asarray(a, dtype=np.float64) for n, a in self._accs.items()}

    def per_class_iou(self) -> np.ndarray:
        """(C,) IoU per class; NaN where the union is empty."""
        cm = self.confusion.astype(np.float64)
        tp = np.diag(cm)
        union = cm.sum(0) + cm.sum(1) - tp
        iou = np.full(self.num_classes, np.nan)
        np.divide(tp, union, out=iou, where=union > 0)
        return iou

    def summary(self) -> dict:
        """``mIoU``, ``VC<n>`` as fractions (-1 where undefined) and ``per_class_IoU``."""
        iou = self.per_class_iou()
        if self.miou_classes == 'gt':
            selected = self.confusion.sum(1) > 0
        else:
            selected = ~np.isnan(iou)
        out: dict = {'mIoU': float(iou[selected].mean()) if selected.any() else -1.0}
        for n, accs in self._accs.items():
            out[f'VC{n}'] = float(np.mean(accs)) if accs else -1.0
        out['per_class_IoU'] = [-1.0 if np.isnan(v) else float(v) for v in iou]
        return out


def list_vspw_videos(gt_root: str, split_file: Optional[str] = None) -> list[str]:
    """Video names from ``split_file`` (one a line) or all folders of ``gt_root/data``."""
    data_dir = osp.join(gt_root, 'data')
    if not osp.isdir(data_dir):
        raise DatasetError('VSPW ground truth not found', [f'{data_dir}: no such folder'])
    if split_file is None:
        return sorted(d for d in os.listdir(data_dir) if osp.isdir(osp.join(data_dir, d)))
    if not osp.isfile(split_file):
        raise DatasetError('VSPW split file not found', [f'{split_file}: no such file'])
    with open(split_file, encoding='utf-8') as f:
        return [line.strip() for line in f if line.strip()]


def _plan(gt_root: str, pred_root: str, videos: Sequence[str]) -> list[tuple[str, list[str]]]:
    """(video, GT frame files) pairs; every problem (missing GT / prediction) at once."""
    problems, plan = [], []
    if not osp.isdir(pred_root):
        raise DatasetError('VSPW predictions not found', [f'{pred_root}: no such folder'])
    for video in videos:
        mask_dir = osp.join(gt_root, 'data', video, 'mask')
        if not osp.isdir(mask_dir):
            problems.append(f'video {video!r}: GT mask folder {mask_dir} not found')
            continue
        frames = sorted(f for f in os.listdir(mask_dir) if f.endswith('.png'))
        if not frames:
            problems.append(f'video {video!r}: no GT mask PNGs in {mask_dir}')
        for frame in frames:
            pred = osp.join(pred_root, video, frame)
            if not osp.isfile(pred):
                problems.append(f'video {video!r}, frame {frame}: prediction {pred} not found')
        plan.append((video, frames))
    if problems:
        raise DatasetError('VSPW evaluation input', problems)
    return plan


def _read_png(path: str, video: str, frame: str) -> np.ndarray:
    try:
        with Image.open(path) as img:
            return np.asarray(img)
    except OSError as e:
        raise ValueError(f'video {video!r}, frame {frame}: cannot read {path} ({e})') from None


def _score_video_dir(task: tuple) -> VideoScore:
    """Worker: stream one video's GT and prediction PNGs from disk."""
    gt_root, pred_root, video, frames, num_classes, vc_windows = task
    gts = (_read_png(osp.join(gt_root, 'data', video, 'mask', f), video, f) for f in frames)
    preds = (_read_png(osp.join(pred_root, video, f), video, f) for f in frames)
    return score_video(video, gts, preds, len(frames), num_classes, vc_windows, frames)


def evaluate_vspw_dirs(gt_root: str, pred_root: str, split_file: Optional[str] = None,
                       num_classes: int = VSPW_NUM_CLASSES, nproc: int = 1,
                       progress: bool = True, miou_classes: str = 'gt',
                       vc_windows: Sequence[int] = (8, 16)) -> dict:
    """Score prediction PNGs in the official VSPW layout; returns ``VSPWEvaluator.summary()``.

    GT: ``gt_root/data/<video>/mask/<frame>.png``; predictions:
    ``pred_root/<video>/<frame>.png`` (class indices, e.g. palette PNGs). All
    missing files are reported before scoring starts (``DatasetError``, a
    ``ValueError``); ``nproc > 1`` scores videos in a process pool.
    """
    if isinstance(nproc, bool) or not isinstance(nproc, int) or nproc < 1:
        raise ValueError(f'nproc must be an int >= 1, got {nproc!r}')
    evaluator = VSPWEvaluator(num_classes, miou_classes, vc_windows)
    plan = _plan(gt_root, pred_root, list_vspw_videos(gt_root, split_file))
    tasks = [(gt_root, pred_root, v, frames, evaluator.num_classes, evaluator.vc_windows)
             for v, frames in plan]
    bar = dict(total=len(tasks), desc='VSPW eval', unit='video', disable=not progress)
    if nproc > 1 and len(tasks) > 1:
        with multiprocessing.get_context().Pool(min(nproc, len(tasks))) as pool:
            for score in tqdm(pool.imap(_score_video_dir, tasks), **bar):
                evaluator.add_score(score)
    else:
        for task in tqdm(tasks, **bar):
            evaluator.add_score(_score_video_dir(task))
    return evaluator.summary()
