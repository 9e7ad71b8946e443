"""Temporal consistency of predictions: identity switches and flicker (VIS), VC (VSS).

Definitions (VIS, pure numpy, checked by hand in the tests):

* a predicted track is **present** in frame t when its mask there has >= 1 pixel and its score
  (per video, or per frame) is >= ``score_thr``; with ``score_thr >= 0.5`` a Mask2Former query can
  yield at most one present track (its class scores sum to < 1), so duplicates cannot inflate
  the counts;
* **identity switch**: in every frame, the ground-truth instances and the present tracks are
  matched by the Hungarian algorithm on mask IoU, keeping pairs with IoU > ``iou_thr`` (0.5); a
  switch is counted when a GT instance is matched to a track id that differs from the id it was
  last matched to (in any earlier frame; frames where it is unmatched do not reset it);
* **flicker**: a track whose presence at t differs from t-1 and t+1 while those two agree
  (present / absent / present, or absent / present / absent), counted per (track, t);
* both are reported per 100 frames: events over all videos / frames over all videos * 100.

VSS: VC8 / VC16 of :mod:`mvc_plugin.evaluation.functional.vspw_eval` (official definition).
"""
from typing import Any, Dict, Hashable, List, Mapping, Optional, Sequence, Tuple

import numpy as np
from scipy.optimize import linear_sum_assignment

__all__ = [
    'IdentitySwitchCounter', 'VISConsistency', 'count_flicker', 'count_id_switches',
    'mask_iou_matrix', 'match_masks', 'plot_consistency', 'track_presence'
]


def mask_iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU between every mask of ``a`` ``(N, H, W)`` and of ``b`` ``(M, H, W)`` -> ``(N, M)``."""
    a2 = np.asarray(a, dtype=bool).reshape(len(a), -1).astype(np.float64)
    b2 = np.asarray(b, dtype=bool).reshape(len(b), -1).astype(np.float64)
    inter = a2 @ b2.T
    union = a2.sum(1)[:, None] + b2.sum(1)[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def match_masks(gt: np.ndarray, pred: np.ndarray,
                iou_thr: float = 0.5) -> List[Tuple[int, int]]:
    """Hungarian matching on IoU; ``(gt_index, pred_index)`` pairs with IoU > ``iou_thr``."""
    if len(gt) == 0 or len(pred) == 0:
        return []
    iou = mask_iou_matrix(gt, pred)
    rows, cols = linear_sum_assignment(-iou)
    return [(int(r), int(c)) for r, c in zip(rows, cols) if iou[r, c] > iou_thr]


class IdentitySwitchCounter:
    """Streaming identity-switch count over the frames of one video (module docstring)."""

    def __init__(self, iou_thr: float = 0.5) -> None:
        self.iou_thr = iou_thr
        self.last_match: Dict[Hashable, Hashable] = {}
        self.switches = 0

    def update(self, gt: Mapping[Hashable, np.ndarray],
               pred: Mapping[Hashable, np.ndarray]) -> int:
        """Add one frame (``id -> (H, W) mask`` for GT and present tracks); new switches."""
        gt_ids, pred_ids = list(gt), list(pred)
        pairs = match_masks(np.stack([gt[i] for i in gt_ids]) if gt_ids else np.zeros((0, 1)),
                            np.stack([pred[i] for i in pred_ids]) if pred_ids
                            else np.zeros((0, 1)), self.iou_thr)
        new = 0
        for g, p in pairs:
            gid, pid = gt_ids[g], pred_ids[p]
            if gid in self.last_match and self.last_match[gid] != pid:
                new += 1
            self.last_match[gid] = pid
        self.switches += new
        return new


def count_id_switches(gt_frames: Sequence[Mapping[Hashable, np.ndarray]],
                      pred_frames: Sequence[Mapping[Hashable, np.ndarray]],
                      iou_thr: float = 0.5) -> int:
    """Identity switches of one video given per-frame ``id -> mask`` dicts (present only)."""
    if len(gt_frames) != len(pred_frames):
        raise ValueError(f'{len(gt_frames)} GT frames but {len(pred_frames)} prediction frames')
    counter = IdentitySwitchCounter(iou_thr)
    for gt, pred in zip(gt_frames, pred_frames):
        counter.update(gt, pred)
    return counter.switches


def count_flicker(presence: np.ndarray) -> int:
    """Flicker events in a ``(num_tracks, T)`` bool presence array (module docstring)."""
    p = np.asarray(presence, dtype=bool)
    if p.ndim != 2:
        raise ValueError(f'presence must be (num_tracks, T), got shape {p.shape}')
    if p.shape[1] < 3:
        return 0
    prev, cur, nxt = p[:, :-2], p[:, 1:-1], p[:, 2:]
    return int(np.count_nonzero((prev == nxt) & (cur != prev)))


def track_presence(masks: np.ndarray, scores: Any, score_thr: float = 0.5) -> np.ndarray:
    """``(P, T)`` presence of tracks with masks ``(P, T, H, W)`` and scores ``(P,)``/``(P, T)``."""
    m = np.asarray(masks, dtype=bool)
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim == 1:
        s = s[:, None]
    return m.reshape(m.shape[0], m.shape[1], -1).any(-1) & (s >= score_thr)


class VISConsistency:
    """Accumulates identity switches and flicker over videos fed frame by frame."""

    def __init__(self, score_thr: float = 0.5, iou_thr: float = 0.5) -> None:
        self.score_thr = score_thr
        self.iou_thr = iou_thr
        self.frames = self.videos = self.switches = self.flicker = 0
        self.present_track_frames = 0
        self._counter: Optional[IdentitySwitchCounter] = None
        self._presence: List[Dict[Hashable, bool]] = []

    def start_video(self) -> None:
        """Begin a new video (closes the previous one)."""
        self.end_video()
        self._counter = IdentitySwitchCounter(self.iou_thr)
        self._presence = []

    def add_frame(self, gt: Mapping[Hashable, np.ndarray], pred_masks: np.ndarray,
                  pred_ids: Sequence[Hashable], pred_scores: Sequence[float]) -> None:
        """One frame: GT ``id -> mask`` and all predicted tracks (presence applied here)."""
        if self._counter is None:
            self.start_video()
        present = {pid: m for pid, m, s in zip(pred_ids, pred_masks, pred_scores)
                   if s >= self.score_thr and np.any(m)}
        self._counter.update(gt, present)
        self._presence.append({pid: pid in present for pid in pred_ids})
        self.frames += 1
        self.present_track_frames += len(present)

    def end_video(self) -> None:
        """Close the current video: add its switches and flicker."""
        if self._counter is None:
            return
        ids = sorted({i for frame in self._presence for i in frame}, key=str)
        presence = np.array([[frame.get(i, False) for frame in self._presence] for i in ids],
                            dtype=bool).reshape(len(ids), len(self._presence))
        self.flicker += count_flicker(presence)
        self.switches += self._counter.switches
        self.videos += 1
        self._counter, self._presence = None, []

    def summary(self) -> Dict[str, Any]:
        """Counts and rates per 100 frames (None when no frame was seen)."""
        self.end_video()
        rate = (lambda n: 100.0 * n / self.frames) if self.frames else (lambda n: None)
        return dict(videos=self.videos, frames=self.frames, id_switches=self.switches,
                    flicker=self.flicker, id_switches_per_100_frames=rate(self.switches),
                    flicker_per_100_frames=rate(self.flicker),
                    present_tracks_per_frame=(self.present_track_frames / self.frames
                                              if self.frames else None))


def plot_consistency(section: Mapping[str, Any], path: str) -> None:
    """Grouped bars per masking ratio: switches / flicker per 100 frames, or VC8 / VC16."""
    from ._plotting import grouped_bars
    rows = section['per_ratio']
    if section['task'] == 'vis':
        keys = [('id_switches_per_100_frames', 'identity switches / 100 frames'),
                ('flicker_per_100_frames', 'flicker / 100 frames')]
        ylabel, title = 'events per 100 frames', 'Temporal consistency (VIS)'
    else:
        keys = [('VC8', 'VC8'), ('VC16', 'VC16')]
        ylabel, title = 'video consistency (%)', 'Temporal consistency (VSS)'
    groups = [f'ratio {r["ratio"]:g}' for r in rows]
    series = {label: [r.get(k) for r in rows] for k, label in keys}
    grouped_bars(groups, series, ylabel, title, path,
                 note=f'score_thr={section.get("score_thr")}' if section['task'] == 'vis'
                 else None)
