"""Mergeable VPQ / STQ statistics and the final summary of the VIPSeg evaluator.

Why: every statistic is a sum over videos (per-category TP/FP/FN/IoU sums per window length,
one semantic confusion matrix, the AQ numerator and the GT track count), so per-video
accumulators from worker processes can simply be added before :func:`summarize`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .vipseg_stq import semantic_iou
from .vipseg_tracks import CategoryTable

__all__ = ['VIPSegAccumulator', 'summarize']


@dataclass
class VIPSegAccumulator:
    """Sums over videos; arrays are (K, C) for the ``windows`` and C categories."""

    windows: tuple[int, ...]
    tp: np.ndarray
    fp: np.ndarray
    fn: np.ndarray
    iou: np.ndarray
    num_windows: np.ndarray
    confusion: np.ndarray
    aq_sum: float = 0.0
    num_tracks: int = 0
    per_video: dict[Any, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def empty(cls, windows: tuple[int, ...], num_cats: int) -> 'VIPSegAccumulator':
        shape = (len(windows), num_cats)
        return cls(tuple(windows), np.zeros(shape, np.int64), np.zeros(shape, np.int64),
                   np.zeros(shape, np.int64), np.zeros(shape, np.float64),
                   np.zeros(len(windows), np.int64),
                   np.zeros((num_cats + 1, num_cats + 1), np.int64))

    def merge(self, other: 'VIPSegAccumulator') -> 'VIPSegAccumulator':
        """Add ``other`` in place (same windows and categories; disjoint videos)."""
        if other.windows != self.windows or other.tp.shape != self.tp.shape:
            raise ValueError('cannot merge accumulators with different windows or categories')
        repeated = set(self.per_video) & set(other.per_video)
        if repeated:
            raise ValueError(f'videos evaluated twice: {sorted(map(str, repeated))[:10]}')
        for name in ('tp', 'fp', 'fn', 'iou', 'num_windows', 'confusion'):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.aq_sum += other.aq_sum
        self.num_tracks += other.num_tracks
        self.per_video.update(other.per_video)
        return self

    __iadd__ = merge


def _mean(values: list[float]) -> float:
    """Mean of the defined (>= 0) values, -1 if none."""
    good = [v for v in values if v >= 0]
    return sum(good) / len(good) if good else -1.0


def _pq_table(acc: VIPSegAccumulator, j: int) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                       np.ndarray]:
    """Per-category PQ, SQ, RQ of window index ``j`` and the mask of counted categories."""
    tp, fp, fn, iou = acc.tp[j], acc.fp[j], acc.fn[j], acc.iou[j]
    counted = tp + fp + fn > 0
    denom = np.where(counted, tp + 0.5 * fp + 0.5 * fn, 1.0)
    pq = np.where(counted, iou / denom, -1.0)
    sq = np.where(counted, np.where(tp > 0, iou / np.maximum(tp, 1), 0.0), -1.0)
    rq = np.where(counted, tp / denom, -1.0)
    return pq, sq, rq, counted


def summarize(acc: VIPSegAccumulator, cats: CategoryTable,
              official_quirk: bool) -> dict[str, Any]:
    """Final VPQ / STQ numbers (fractions, -1 where undefined) with per-category details."""
    out: dict[str, Any] = {}
    per_k: dict[str, list[float]] = {'VPQ': [], 'VPQ_thing': [], 'VPQ_stuff': []}
    tables = []
    for j, k in enumerate(acc.windows):
        pq, sq, rq, counted = _pq_table(acc, j)
        tables.append((pq, sq, rq))
        for name, sel in (('VPQ', counted), ('VPQ_thing', counted & cats.isthing),
                          ('VPQ_stuff', counted & ~cats.isthing)):
            value = float(pq[sel].mean()) if sel.any() else -1.0
            out[f'{name}@{k}'] = value
            per_k[name].append(value)
    for name, values in per_k.items():
        out[name] = _mean(values)

    ious, sq_value = semantic_iou(acc.confusion, official_quirk)
    aq = acc.aq_sum / acc.num_tracks if acc.num_tracks else -1.0
    out['AQ'], out['SQ'] = aq, sq_value
    out['STQ'] = math.sqrt(aq * sq_value) if aq >= 0 and sq_value >= 0 else -1.0
    out['num_videos'] = len(acc.per_video)
    out['num_frames'] = int(sum(v['frames'] for v in acc.per_video.values()))
    out['num_tracks'] = acc.num_tracks

    per_category: dict[int, dict[str, Any]] = {}
    for c, cat_id in enumerate(cats.ids):
        windows = {}
        for j, k in enumerate(acc.windows):
            pq, sq, rq = (float(t[c]) for t in tables[j])
            windows[k] = dict(pq=pq, sq=sq, rq=rq, iou=float(acc.iou[j, c]),
                              tp=int(acc.tp[j, c]), fp=int(acc.fp[j, c]), fn=int(acc.fn[j, c]))
        per_category[cat_id] = dict(
            name=cats.names[c], isthing=bool(cats.isthing[c]),
            VPQ=_mean([w['pq'] for w in windows.values()]),
            IoU=-1.0 if np.isnan(ious[c]) else float(ious[c]), windows=windows)
    out['per_category'] = per_category
    out['per_video'] = {
        vid: dict(frames=v['frames'], tracks=v['tracks'],
                  AQ=v['aq_sum'] / v['tracks'] if v['tracks'] else -1.0)
        for vid, v in acc.per_video.items()}
    return out
