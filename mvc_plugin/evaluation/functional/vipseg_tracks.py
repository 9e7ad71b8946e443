"""Input checking and sparse GT/prediction overlap tables for the VIPSeg evaluator.

Why: VPQ and STQ only need, per frame, how many pixels each (GT segment, predicted segment)
pair shares. One ``np.unique`` over combined ids per frame gives that table; everything else
runs on these small arrays, so full-resolution frames are never kept in memory.

Segments are keyed by ``(category, segment id)``: the same id seen with two categories is two
tracks (STQ and ``vpq_tube_key='category_id'``); ``gt_rawidx`` / ``pred_rawidx`` map them to
their segment id for the official VPQ tubes (id only). Dense track index 0 is void (segment id
0) on both sides. Per frame, ``gt_listed`` keeps the GT segments in ``segments_info`` order
with that frame's ``iscrowd`` and area (the JSON ``area``, or the pixel count where absent):
the official VPQ takes a tube's category and crowd flag from its first listing in a window.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from numbers import Real
from typing import Any, Mapping, Sequence

import numpy as np

__all__ = ['MAX_SEGMENT_ID', 'CategoryTable', 'VideoPairs', 'aggregate_pairs', 'check_id_map',
           'parse_video']

#: Segment ids are stored as R + 256 G + 256^2 B, so they lie in [0, 2^24).
MAX_SEGMENT_ID = 1 << 24
_ID_BITS = 24
_ID_MASK = MAX_SEGMENT_ID - 1


@dataclass(frozen=True)
class CategoryTable:
    """Category ids, names and thing flags; ``index`` maps a category id to 0..C-1."""

    ids: tuple[int, ...]
    names: tuple[str, ...]
    isthing: np.ndarray
    index: Mapping[int, int]

    @classmethod
    def from_list(cls, categories: Sequence[Mapping[str, Any]]) -> 'CategoryTable':
        """Build from COCO-panoptic style dicts with ``id``, ``isthing`` and optional ``name``."""
        if not categories:
            raise ValueError('categories must be a non-empty list of dicts')
        ids, names, things = [], [], []
        for cat in categories:
            if not isinstance(cat, Mapping) or 'id' not in cat or 'isthing' not in cat:
                raise ValueError(f'each category needs "id" and "isthing", got {cat!r}')
            ids.append(int(cat['id']))
            names.append(str(cat.get('name', cat['id'])))
            things.append(bool(cat['isthing']))
        if len(set(ids)) != len(ids):
            raise ValueError(f'duplicate category ids in {ids}')
        return cls(tuple(ids), tuple(names), np.array(things, dtype=bool),
                   {c: i for i, c in enumerate(ids)})

    @property
    def num(self) -> int:
        return len(self.ids)


@dataclass
class VideoPairs:
    """Per-frame overlap tables of one video plus the GT / prediction track tables.

    ``frames[t] = (g, p, n)``: dense GT track, dense predicted track and shared pixel count.
    ``*_cat`` hold category indices (``C`` for void at index 0); ``gt_crowd`` is the GT
    ``iscrowd`` flag (set if any frame marks the segment crowd); ``gt_raw`` the segment ids;
    ``first_gt_id`` is the first id listed in the video's GT ``segments_info`` (0 if none).
    ``gt_listed[t] = (dense ids in listing order, iscrowd, JSON area, pixel count)`` and
    ``pred_present[t]`` (dense ids) describe frame ``t``; ``*_rawidx`` map a dense track to
    the index of its segment id (0 = void) among the video's ids on that side.
    """

    video_id: Any
    frames: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)
    gt_cat: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    gt_raw: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    gt_crowd: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    pred_cat: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    first_gt_id: int = 0
    gt_listed: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = field(
        default_factory=list)
    pred_present: list[np.ndarray] = field(default_factory=list)
    gt_rawidx: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))
    pred_rawidx: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))


class _Tracks:
    """Growing table (category index, segment id) -> dense index 1..N."""

    def __init__(self, void_cat: int) -> None:
        self.key_to_idx: dict[tuple[int, int], int] = {}
        self.cat, self.raw, self.crowd = [void_cat], [0], [False]

    def lookup(self, cat: int, raw: int, crowd: bool) -> int:
        idx = self.key_to_idx.get((cat, raw))
        if idx is None:
            idx = self.key_to_idx[(cat, raw)] = len(self.cat)
            self.cat.append(cat)
            self.raw.append(raw)
            self.crowd.append(crowd)
        elif crowd:
            self.crowd[idx] = True
        return idx


def _where(video_id: Any, t: int) -> str:
    return f'video {video_id!r} frame {t}'


def check_id_map(ids: Any, video_id: Any, t: int, side: str) -> np.ndarray:
    """Return ``ids`` as a 2-D int64 array; ``ValueError`` if not integer ids in [0, 2^24)."""
    arr = np.asarray(ids)
    if arr.ndim != 2 or not (np.issubdtype(arr.dtype, np.integer) or arr.dtype == bool):
        raise ValueError(f'{_where(video_id, t)}: {side} id map must be a 2-D integer array, '
                         f'got shape {arr.shape} dtype {arr.dtype}')
    arr = arr.astype(np.int64, copy=False)
    if arr.size and (arr.min() < 0 or arr.max() >= MAX_SEGMENT_ID):
        raise ValueError(f'{_where(video_id, t)}: {side} ids must lie in [0, 2^24), got '
                         f'[{arr.min()}, {arr.max()}]')
    return arr


def _segments(segments: Any, cats: CategoryTable, video_id: Any, t: int,
              side: str) -> dict[int, tuple[int, bool, float]]:
    """Validate one frame's ``segments_info``; id -> (category index, iscrowd, JSON area).

    The area is NaN where the segment has no ``area``.
    """
    if not isinstance(segments, Sequence) or isinstance(segments, (str, bytes)):
        raise ValueError(f'{_where(video_id, t)}: {side} segments_info must be a list, got '
                         f'{type(segments).__name__}')
    out: dict[int, tuple[int, bool]] = {}
    for seg in segments:
        if not isinstance(seg, Mapping) or 'id' not in seg or 'category_id' not in seg:
            raise ValueError(f'{_where(video_id, t)}: {side} segment needs "id" and '
                             f'"category_id", got {seg!r}')
        seg_id, cat_id = int(seg['id']), int(seg['category_id'])
        if seg_id in out:
            raise ValueError(f'{_where(video_id, t)}: {side} segment id {seg_id} listed twice')
        if not 0 < seg_id < MAX_SEGMENT_ID:
            raise ValueError(f'{_where(video_id, t)}: {side} segment id {seg_id} outside '
                             f'[1, 2^24) (0 is void)')
        if cat_id not in cats.index:
            raise ValueError(f'{_where(video_id, t)}: {side} segment {seg_id} has unknown '
                             f'category_id {cat_id}')
        area = seg.get('area')
        if area is not None and (isinstance(area, bool) or not isinstance(area, Real)
                                 or not math.isfinite(area) or area < 0):
            raise ValueError(f'{_where(video_id, t)}: {side} segment {seg_id} has area '
                             f'{area!r}; expected a non-negative number')
        out[seg_id] = (cats.index[cat_id], bool(seg.get('iscrowd', 0)),
                       float('nan') if area is None else float(area))
    return out


def _check_ids_match(present: np.ndarray, segs: Mapping[int, Any], video_id: Any, t: int,
                     side: str) -> None:
    in_map = {int(i) for i in present if i != 0}
    if in_map != set(segs):
        only_map, only_json = sorted(in_map - set(segs)), sorted(set(segs) - in_map)
        raise ValueError(f'{_where(video_id, t)}: {side} ids in the id map but not in '
                         f'segments_info: {only_map[:10]}; in segments_info but not in the id '
                         f'map: {only_json[:10]}')


def _dense(present: np.ndarray, segs: Mapping[int, tuple[int, bool, float]], tracks: _Tracks,
           with_crowd: bool) -> np.ndarray:
    """Dense track index of each (sorted) present raw id; 0 stays void."""
    out = np.zeros(present.shape, dtype=np.int64)
    for j, raw in enumerate(present.tolist()):
        if raw:
            cat, crowd, _ = segs[raw]
            out[j] = tracks.lookup(cat, raw, crowd and with_crowd)
    return out


def parse_video(video_id: Any, gt_ids: Sequence[Any], gt_segments: Sequence[Any],
                pred_ids: Sequence[Any], pred_segments: Sequence[Any],
                cats: CategoryTable) -> VideoPairs:
    """Check one video's inputs (``ValueError`` naming video and frame) and build its pairs."""
    num = len(gt_ids)
    if num == 0:
        raise ValueError(f'video {video_id!r}: no GT frames')
    if len(gt_segments) != num:
        raise ValueError(f'video {video_id!r}: {num} GT id maps but {len(gt_segments)} GT '
                         f'segments_info lists')
    if len(pred_ids) != len(pred_segments):
        raise ValueError(f'video {video_id!r}: {len(pred_ids)} predicted id maps but '
                         f'{len(pred_segments)} predicted segments_info lists')
    if len(pred_ids) < num:
        raise ValueError(f'{_where(video_id, len(pred_ids))}: prediction missing (GT has {num} '
                         f'frames, prediction {len(pred_ids)})')
    if len(pred_ids) > num:
        raise ValueError(f'{_where(video_id, num)}: prediction has {len(pred_ids)} frames but '
                         f'GT only {num}')
    gt_tracks, pred_tracks = _Tracks(cats.num), _Tracks(cats.num)
    result = VideoPairs(video_id)
    for t in range(num):
        gt = check_id_map(gt_ids[t], video_id, t, 'GT')
        pred = check_id_map(pred_ids[t], video_id, t, 'prediction')
        if pred.shape != gt.shape:
            raise ValueError(f'{_where(video_id, t)}: prediction has size {pred.shape} but GT '
                             f'has {gt.shape}')
        gt_segs = _segments(gt_segments[t], cats, video_id, t, 'GT')
        pred_segs = _segments(pred_segments[t], cats, video_id, t, 'prediction')
        if not result.first_gt_id and gt_segments[t]:
            result.first_gt_id = int(gt_segments[t][0]['id'])
        keys, counts = np.unique((gt << _ID_BITS) | pred, return_counts=True)
        g_raw, p_raw = keys >> _ID_BITS, keys & _ID_MASK
        g_present, p_present = np.unique(g_raw), np.unique(p_raw)
        _check_ids_match(g_present, gt_segs, video_id, t, 'GT')
        _check_ids_match(p_present, pred_segs, video_id, t, 'prediction')
        g_dense = _dense(g_present, gt_segs, gt_tracks, True)
        p_dense = _dense(p_present, pred_segs, pred_tracks, False)
        g_frame = g_dense[np.searchsorted(g_present, g_raw)]
        result.frames.append((g_frame, p_dense[np.searchsorted(p_present, p_raw)],
                              counts.astype(np.int64)))
        result.gt_listed.append(_listing(gt_segs, g_present, g_dense, g_frame, counts))
        result.pred_present.append(p_dense[p_dense > 0])
    result.gt_cat = np.array(gt_tracks.cat, dtype=np.int64)
    result.gt_raw = np.array(gt_tracks.raw, dtype=np.int64)
    result.gt_crowd = np.array(gt_tracks.crowd, dtype=bool)
    result.pred_cat = np.array(pred_tracks.cat, dtype=np.int64)
    result.gt_rawidx = _raw_index(result.gt_raw)
    result.pred_rawidx = _raw_index(np.array(pred_tracks.raw, dtype=np.int64))
    return result


def _listing(segs: Mapping[int, tuple[int, bool, float]], present: np.ndarray,
             dense: np.ndarray, g_frame: np.ndarray, counts: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One frame's GT segments in ``segments_info`` order: dense id, iscrowd, area, pixels."""
    pixels = np.bincount(g_frame, counts, minlength=int(dense.max(initial=0)) + 1)
    ids = np.array(list(segs), dtype=np.int64)
    d = dense[np.searchsorted(present, ids)] if ids.size else np.zeros(0, np.int64)
    crowd = np.array([segs[i][1] for i in segs], dtype=bool)
    area = np.array([segs[i][2] for i in segs], dtype=np.float64)
    return d, crowd, area, pixels[d].astype(np.float64)


def _raw_index(raw: np.ndarray) -> np.ndarray:
    """Index of each dense track's segment id among the distinct ids (void 0 -> 0)."""
    _, inverse = np.unique(raw, return_inverse=True)
    return inverse.astype(np.int64)


def aggregate_pairs(frames: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]],
                    num_pred: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sum the pair tables of several frames: unique (g, p) with total shared pixels."""
    g = np.concatenate([f[0] for f in frames])
    p = np.concatenate([f[1] for f in frames])
    n = np.concatenate([f[2] for f in frames])
    keys, inverse = np.unique(g * num_pred + p, return_inverse=True)
    total = np.zeros(keys.shape, dtype=np.int64)
    np.add.at(total, inverse, n)
    return keys // num_pred, keys % num_pred, total
