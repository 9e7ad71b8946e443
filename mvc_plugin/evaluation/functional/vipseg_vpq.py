"""Video panoptic quality (VPQ) tube matching for the VIPSeg evaluator.

Why separate: the window loop and the panopticapi-style matching are the VPQ half of
:mod:`.vipseg_eval`; the tubes of each window come from :mod:`.vipseg_tubes` (official rules
by default) and are matched here the way ``eval_vpq_vspw.py`` matches them.
"""
from __future__ import annotations

import numpy as np

from .vipseg_tracks import VideoPairs
from .vipseg_tubes import VPQRules, WindowTubes, window_tubes

__all__ = ['match_tubes', 'vpq_video_stats']


def match_tubes(w: WindowTubes, num_cats: int
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """panopticapi ``pq_compute`` matching on the tubes of one window.

    Returns per-category ``tp, fp, fn`` (int64) and the IoU sum of the matches (float64).
    A same-category pair matches when ``|g & p| / (|g| + |p| - |g & p| - |p & void|) > 0.5``
    (``|g|`` as :mod:`.vipseg_tubes` defines it; crowd GT never match); unmatched non-crowd GT
    tubes are FN; unmatched predicted tubes are FP unless more than half of their pixels lie
    on void or on the discounting crowd GT of their category.
    """
    g, p, n = w.g, w.p, w.n
    num_pred = len(w.pred_cat)
    pred_area = np.bincount(p, n, minlength=num_pred).astype(np.int64)
    on_void = g == 0
    pred_void = np.bincount(p[on_void], n[on_void], minlength=num_pred).astype(np.int64)
    g_cat, p_cat = w.gt_cat[g], w.pred_cat[p]
    candidate = (g > 0) & (p > 0) & ~w.gt_crowd[g] & (g_cat == p_cat)
    union = pred_area[p] + w.gt_area[g] - n - pred_void[p]
    iou = np.zeros(len(n), dtype=np.float64)
    np.divide(n, union, out=iou, where=candidate & (union > 0))
    matched = candidate & (iou > 0.5)
    bins = num_cats + 1
    tp = np.bincount(g_cat[matched], minlength=bins)[:num_cats]
    iou_sum = np.bincount(g_cat[matched], iou[matched], minlength=bins)[:num_cats]

    gt_matched = np.zeros(len(w.gt_cat), dtype=bool)
    gt_matched[g[matched]] = True
    pred_matched = np.zeros(num_pred, dtype=bool)
    pred_matched[p[matched]] = True

    missed = w.gt_listed & ~gt_matched & ~w.gt_crowd
    missed[0] = False
    fn = np.bincount(w.gt_cat[missed], minlength=bins)[:num_cats]

    on_crowd = (g > 0) & w.crowd_ignore[g] & (g_cat == p_cat)
    ignored = pred_void + np.bincount(p[on_crowd], n[on_crowd],
                                      minlength=num_pred).astype(np.int64)
    false_pos = w.pred_listed & ~pred_matched & ~(2 * ignored > pred_area)
    false_pos[0] = False
    fp = np.bincount(w.pred_cat[false_pos], minlength=bins)[:num_cats]
    return tp.astype(np.int64), fp.astype(np.int64), fn.astype(np.int64), iou_sum


def vpq_video_stats(pairs: VideoPairs, windows: tuple[int, ...], num_cats: int,
                    rules: VPQRules | None = None
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Accumulate ``tp, fp, fn, iou`` of shape (K, C) over all windows of one video.

    Window ``k`` covers frames ``i .. i+k-1`` for ``i in range(L - k + 1)`` (stride 1); a video
    shorter than ``k`` contributes nothing to that ``k``. Also returns the window counts (K,).
    ``rules`` (default: the official ones) say how tubes are formed.
    """
    rules = VPQRules.of(rules)
    num_k = len(windows)
    tp = np.zeros((num_k, num_cats), dtype=np.int64)
    fp, fn = np.zeros_like(tp), np.zeros_like(tp)
    iou = np.zeros((num_k, num_cats), dtype=np.float64)
    count = np.zeros(num_k, dtype=np.int64)
    for j, k in enumerate(windows):
        for i in range(len(pairs.frames) - k + 1):
            w_tp, w_fp, w_fn, w_iou = match_tubes(window_tubes(pairs, i, k, rules, num_cats),
                                                  num_cats)
            tp[j] += w_tp
            fp[j] += w_fp
            fn[j] += w_fn
            iou[j] += w_iou
            count[j] += 1
    return tp, fp, fn, iou, count
