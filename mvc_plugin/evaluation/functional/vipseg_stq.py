"""Segmentation and tracking quality (STQ, Weber et al. 2021) for the VIPSeg evaluator.

Why separate: the association (AQ) and segmentation (SQ) terms, including the switchable
reproduction of the official VIPSeg pipeline's behaviour, are the STQ half of
:mod:`.vipseg_eval` (see its docstring for the exact definitions).
"""
from __future__ import annotations

import numpy as np

from .vipseg_tracks import VideoPairs, aggregate_pairs

__all__ = ['semantic_iou', 'stq_video_stats']


def stq_video_stats(pairs: VideoPairs, isthing: np.ndarray, official_quirk: bool
                    ) -> tuple[np.ndarray, float, int]:
    """Semantic confusion matrix, AQ numerator and number of GT tracks of one video.

    The confusion matrix is (C+1, C+1), rows GT, columns prediction, index C = void. The AQ
    numerator is ``sum_g 1/|g| sum_p TPA(p,g) * TPA / (|p| + |g| - TPA)`` over the video's
    GT thing tracks ``g`` and predicted thing tracks ``p`` (class agreement not required).
    """
    num_cats, num_pred = len(isthing), len(pairs.pred_cat)
    g, p, n = aggregate_pairs(pairs.frames, num_pred)

    rows, cols = pairs.gt_cat[g], pairs.pred_cat[p]
    confusion = np.zeros((num_cats + 1) ** 2, dtype=np.int64)
    np.add.at(confusion, rows * (num_cats + 1) + cols, n)
    confusion = confusion.reshape(num_cats + 1, num_cats + 1)

    thing = np.append(isthing, False)  # category index C is void
    gt_thing = thing[pairs.gt_cat]
    if official_quirk:
        # the segment numbered 0 (first listed id of the video) is crowd if it is a thing;
        # iscrowd flags are not used
        crowd = gt_thing & (pairs.gt_raw == pairs.first_gt_id)
    else:
        crowd = gt_thing & pairs.gt_crowd
    crowd[0] = False
    track = gt_thing & ~crowd
    pred_thing = thing[pairs.pred_cat]

    in_pred = pred_thing[p] & ~crowd[g]
    if not official_quirk:
        in_pred &= g > 0  # predicted pixels on GT void are not part of |p|
    in_gt = track[g]
    pred_size = np.bincount(p[in_pred], n[in_pred], minlength=num_pred)
    gt_size = np.bincount(g[in_gt], n[in_gt], minlength=len(pairs.gt_cat))
    inter = in_gt & in_pred
    tpa = n[inter].astype(np.float64)
    gi, pi = g[inter], p[inter]
    aq_sum = float(np.sum(tpa * tpa / (pred_size[pi] + gt_size[gi] - tpa) / gt_size[gi]))
    num_tracks = int(np.count_nonzero(track & (gt_size > 0)))
    return confusion, aq_sum, num_tracks


def semantic_iou(confusion: np.ndarray, official_quirk: bool) -> tuple[np.ndarray, float]:
    """Per-class IoU (NaN where the union is empty) and their mean, -1 if no class counts.

    GT-void pixels are dropped; a predicted-void pixel on class ``c`` is a false negative of
    ``c``. With ``official_quirk`` the void column also counts as one extra class of IoU 0
    whenever it is non-empty (what deeplab2's ``STQuality`` does with ``ignore_label=255``).
    """
    num_cats = confusion.shape[0] - 1
    labelled = confusion[:num_cats]
    inter = np.diagonal(labelled[:, :num_cats]).astype(np.float64)
    union = labelled.sum(1) + labelled[:, :num_cats].sum(0) - inter
    with np.errstate(divide='ignore', invalid='ignore'):
        ious = np.where(union > 0, inter / np.maximum(union, 1), np.nan)
    counted = int(np.count_nonzero(union > 0))
    total = float(np.nansum(ious))
    if official_quirk and labelled[:, num_cats].sum() > 0:
        counted += 1
    return ious, (total / counted if counted else -1.0)
