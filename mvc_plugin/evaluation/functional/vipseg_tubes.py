"""The tubes of one VPQ window, under the official rules or the plug-in's variants.

Why separate: what a tube is (which pixels, which category, crowd or not, which area) is where
the official ``eval_vpq_vspw.py`` and the plug-in's earlier rules differ; the matching itself
(:func:`.vipseg_vpq.match_tubes`) is the same for all of them. Defaults are the official rules:

* ``tube_key='id'``: a tube is all pixels of one segment id in the window; its category and
  ``iscrowd`` are those of its first listing in the window (frame order, then
  ``segments_info`` order). ``'category_id'``: one tube per (category, id), crowd if any frame
  of the video marks it crowd (an id that changes class is two tubes).
* ``crowd='last'``: an unmatched prediction is discounted for lying on crowd GT of its
  category only for the crowd tube of that category listed last in the window (the official
  script keeps one per category in a dict). ``'all'``: every crowd tube of the category counts.
* ``gt_area='json'``: a GT tube's area is the sum of the ``segments_info`` ``area`` of its
  listings (the pixel count where a segment has no ``area``). ``'pixels'``: pixel counts.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .vipseg_tracks import VideoPairs

__all__ = ['VPQ_RULE_CHOICES', 'VPQRules', 'WindowTubes', 'window_tubes']

#: Allowed values of each rule; the first is the official one (the default).
VPQ_RULE_CHOICES: dict[str, tuple[str, ...]] = {
    'tube_key': ('id', 'category_id'),
    'crowd': ('last', 'all'),
    'gt_area': ('json', 'pixels'),
}


@dataclass(frozen=True)
class VPQRules:
    """How VPQ builds tubes; the defaults reproduce the official script."""

    tube_key: str = 'id'
    crowd: str = 'last'
    gt_area: str = 'json'

    def __post_init__(self) -> None:
        for name, choices in VPQ_RULE_CHOICES.items():
            if getattr(self, name) not in choices:
                raise ValueError(f'vpq_{name} must be one of {choices}, got '
                                 f'{getattr(self, name)!r}')

    @classmethod
    def of(cls, value: Any) -> 'VPQRules':
        """From a ``VPQRules``, a dict of rules, or ``None`` (the official rules)."""
        if value is None:
            return cls()
        if isinstance(value, cls):
            return value
        return cls(**dict(value))


@dataclass
class WindowTubes:
    """Overlap table ``(g, p, n)`` of one window on tube indices, plus per-tube tables.

    Tube 0 is void on both sides. ``gt_listed`` / ``pred_listed`` mark tubes present in the
    window; ``crowd_ignore`` marks the crowd tubes that discount unmatched predictions.
    """

    g: np.ndarray
    p: np.ndarray
    n: np.ndarray
    gt_cat: np.ndarray
    gt_crowd: np.ndarray
    gt_area: np.ndarray
    gt_listed: np.ndarray
    crowd_ignore: np.ndarray
    pred_cat: np.ndarray
    pred_listed: np.ndarray


def _first_listing(tubes: np.ndarray, num: int) -> tuple[np.ndarray, np.ndarray]:
    """Per tube: listed or not, and the position of its first listing (-1 if none)."""
    uniq, first = np.unique(tubes, return_index=True)
    listed = np.zeros(num, dtype=bool)
    listed[uniq] = True
    pos = np.full(num, -1, dtype=np.int64)
    pos[uniq] = first
    return listed, pos


def _last_crowd_per_category(crowd: np.ndarray, cat: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """The crowd tube of each category whose first listing comes last."""
    keep = np.zeros_like(crowd)
    cand = np.flatnonzero(crowd)
    if cand.size:
        order = cand[np.argsort(pos[cand], kind='stable')]
        last: dict[int, int] = {}
        for tube in order.tolist():
            last[int(cat[tube])] = tube
        keep[list(last.values())] = True
    return keep


def window_tubes(pairs: VideoPairs, start: int, k: int, rules: VPQRules,
                 void_cat: int) -> WindowTubes:
    """Tubes of frames ``start .. start+k-1`` of one video under ``rules``."""
    frames = range(start, start + k)
    by_id = rules.tube_key == 'id'
    gt_map = pairs.gt_rawidx if by_id else np.arange(len(pairs.gt_cat))
    pred_map = pairs.pred_rawidx if by_id else np.arange(len(pairs.pred_cat))
    num_gt, num_pred = int(gt_map.max(initial=0)) + 1, int(pred_map.max(initial=0)) + 1

    dense = np.concatenate([pairs.gt_listed[t][0] for t in frames])
    crowd_at = np.concatenate([pairs.gt_listed[t][1] for t in frames])
    json_area = np.concatenate([pairs.gt_listed[t][2] for t in frames])
    pix_area = np.concatenate([pairs.gt_listed[t][3] for t in frames])
    area = pix_area if rules.gt_area == 'pixels' else np.where(np.isnan(json_area), pix_area,
                                                                json_area)
    gt_tubes = gt_map[dense]
    gt_listed, gt_pos = _first_listing(gt_tubes, num_gt)
    gt_cat = np.full(num_gt, void_cat, dtype=np.int64)
    gt_crowd = np.zeros(num_gt, dtype=bool)
    first = gt_pos[gt_listed]
    gt_cat[gt_listed] = pairs.gt_cat[dense[first]]
    if by_id:
        gt_crowd[gt_listed] = crowd_at[first]
    else:
        gt_crowd[gt_listed] = pairs.gt_crowd[dense[first]]
    gt_area = np.bincount(gt_tubes, area, minlength=num_gt)
    if rules.crowd == 'last':
        crowd_ignore = _last_crowd_per_category(gt_crowd & gt_listed, gt_cat, gt_pos)
    else:
        crowd_ignore = gt_crowd & gt_listed

    p_dense = np.concatenate([pairs.pred_present[t] for t in frames])
    pred_tubes = pred_map[p_dense]
    pred_listed, pred_pos = _first_listing(pred_tubes, num_pred)
    pred_cat = np.full(num_pred, void_cat, dtype=np.int64)
    pred_cat[pred_listed] = pairs.pred_cat[p_dense[pred_pos[pred_listed]]]

    g = np.concatenate([gt_map[pairs.frames[t][0]] for t in frames])
    p = np.concatenate([pred_map[pairs.frames[t][1]] for t in frames])
    n = np.concatenate([pairs.frames[t][2] for t in frames])
    keys, inverse = np.unique(g * num_pred + p, return_inverse=True)
    total = np.bincount(inverse, n, minlength=len(keys)).astype(np.int64)
    return WindowTubes(keys // num_pred, keys % num_pred, total, gt_cat, gt_crowd, gt_area,
                       gt_listed, crowd_ignore, pred_cat, pred_listed)
