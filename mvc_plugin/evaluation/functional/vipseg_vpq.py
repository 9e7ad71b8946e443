"""Video panoptic quality (VPQ) tube matching for the VIPSeg evaluator.

Why separate: the window loop and the panopticapi-style matching are the VPQ half of
:mod:`.vipseg_eval`; they work on the sparse overlap tables of :mod:`.vipseg_tracks`.
"""
from __future__ import annotations

import numpy as np

from .vipseg_tracks import VideoPairs, aggregate_pairs

__all__ = ['match_tubes', 'vpq_video_stats']


def match_tubes(g: np.ndarray, p: np.ndarray, n: np.ndarray, pairs: VideoPairs,
                num_cats: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """panopticapi ``pq_compute`` matching on the tubes of one window.

    ``(g, p, n)`` are unique (GT tube, predicted tube, shared pixels) triples of the window.
    Returns per-category ``tp, fp, fn`` (int64) and the IoU sum of the matches (float64).
    A same-category pair matches when ``|g & p| / (|g| + |p| - |g & p| - |p & void|) > 0.5``
    (crowd GT never matches); unmatched non-crowd GT tubes are FN; unmatched predicted tubes
    are FP unless more than half of their pixels lie on void or on crowd GT of their category.
    """
    num_gt, num_pred = len(pairs.gt_cat), len(pairs.pred_cat)
    gt_area = np.bincount(g, n, minlength=num_gt).astype(np.int64)
    pred_area = np.bincount(p, n, minlength=num_pred).astype(np.int64)
    on_void = g == 0
    pred_void = np.bincount(p[on_void], n[on_void], minlength=num_pred).astype(np.int64)
    g_cat, p_cat = pairs.gt_cat[g], pairs.pred_cat[p]
    g_crowd = pairs.gt_crowd[g]
    candidate = (g > 0) & (p > 0) & ~g_crowd & (g_cat == p_cat)
    union = pred_area[p] + gt_area[g] - n - pred_void[p]
    matched = candidate & (2 * n > union)  # IoU > 0.5, exact in integers
    iou = n[matched] / union[matched]
    tp = np.bincount(g_cat[matched], minlength=num_cats)[:num_cats]
    iou_sum = np.bincount(g_cat[matched], iou, minlength=num_cats)[:num_cats]

    gt_matched = np.zeros(num_gt, dtype=bool)
    gt_matched[g[matched]] = True
    pred_matched = np.zeros(num_pred, dtype=bool)
    pred_matched[p[matched]] = True

    missed = (gt_area > 0) & ~gt_matched & ~pairs.gt_crowd
    missed[0] = False
    fn = np.bincount(pairs.gt_cat[missed], minlength=num_cats)[:num_cats]

    on_crowd = (g > 0) & g_crowd & (g_cat == p_cat)
    ignored = pred_void + np.bincount(p[on_crowd], n[on_crowd],
                                      minlength=num_pred).astype(np.int64)
    false_pos = (pred_area > 0) & ~pred_matched & ~(2 * ignored > pred_area)
    false_pos[0] = False
    fp = np.bincount(pairs.pred_cat[false_pos], minlength=num_cats)[:num_cats]
    return tp.astype(np.int64), fp.astype(np.int64), fn.astype(np.int64), iou_sum


def vpq_video_stats(pairs: VideoPairs, windows: tuple[int, ...], num_cats: int
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Accumulate ``tp, fp, fn, iou`` of shape (K, C) over all windows of one video.

    Window ``k`` covers frames ``i .. i+k-1`` for ``i in range(L - k + 1)`` (stride 1); a video
    shorter than ``k`` contributes nothing to that ``k``. Also returns the window counts (K,).
    """
    num_k = len(windows)
    tp = np.zeros((num_k, num_cats), dtype=np.int64)
    fp, fn = np.zeros_like(tp), np.zeros_like(tp)
    iou = np.zeros((num_k, num_cats), dtype=np.float64)
    count = np.zeros(num_k, dtype=np.int64)
    num_frames, num_pred = len(pairs.frames), len(pairs.pred_cat)
    for j, k in enumerate(windows):
        for i in range(num_frames - k + 1):
            g, p, n = aggregate_pairs(pairs.frames[i:i + k], num_pred)
            w_tp, w_fp, w_fn, w_iou = match_tubes(g, p, n, pairs, num_cats)
            tp[j] += w_tp
            fp[j] += w_fp
            fn[j] += w_fn
            iou[j] += w_iou
            count[j] += 1
    return tp, fp, fn, iou, count
