"""Hungarian matching of video predictions to video targets (DVIS++'s two matchers).

Mirrors the official ``mask2former_video/modeling/matcher.py``:

* :class:`DVISPlusVideoHungarianMatcher` (official ``VideoHungarianMatcher``): per video, the
  cost of query ``q`` for object ``g`` is ``w_cls * -p_q(c_g) + w_mask * BCE + w_dice * dice``,
  the mask terms computed on ``num_points`` random points shared by every query, object and
  frame (drawn with ``torch.rand(1, P, 2)`` once per video);
* :class:`DVISPlusConsistentVideoMatcher` (official ``VideoHungarianMatcher_Consistent``): the
  inputs are per-frame entries (``B * frames`` of them, frame-major within a video); every
  object is matched only on the first frame where it appears (``ids != -1``), frames in time
  order, queries used on an earlier frame being excluded (cost ``1e6``), and the video's
  matching is repeated for each of its frames.

The random points come from the global torch RNG in the official order (one draw per matched
video / frame), so equal seeds give equal matchings; ``point_coords`` injects them instead.
Sampling is mmcv's ``point_sample``.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmcv.ops import point_sample
from scipy.optimize import linear_sum_assignment
from torch import Tensor, nn

from mmdet.registry import TASK_UTILS

__all__ = ['DVISPlusVideoHungarianMatcher', 'DVISPlusConsistentVideoMatcher',
           'pairwise_mask_costs']

MatchResult = List[Tuple[Tensor, Tensor]]


def pairwise_mask_costs(pred: Tensor, target: Tensor) -> Tuple[Tensor, Tensor]:
    """Mean binary cross-entropy and dice cost of every pair of ``pred (N, P)`` logits and
    ``target (M, P)`` binary values, both ``(N, M)``."""
    num_points = pred.shape[1]
    as_fg = nn.functional.binary_cross_entropy_with_logits(
        pred, torch.ones_like(pred), reduction='none')
    as_bg = nn.functional.binary_cross_entropy_with_logits(
        pred, torch.zeros_like(pred), reduction='none')
    bce = (torch.einsum('np,mp->nm', as_fg, target)
           + torch.einsum('np,mp->nm', as_bg, 1 - target)) / num_points
    prob = pred.sigmoid()
    inter = 2 * torch.einsum('np,mp->nm', prob, target)
    total = prob.sum(-1)[:, None] + target.sum(-1)[None, :]
    dice = 1 - (inter + 1) / (total + 1)
    return bce, dice


@TASK_UTILS.register_module()
class DVISPlusVideoHungarianMatcher(nn.Module):
    """One-to-one matching of each video's queries to its objects (module docstring).

    Args:
        cost_class / cost_mask / cost_dice: cost weights (official: CLASS_WEIGHT 2,
            MASK_WEIGHT 5, DICE_WEIGHT 5).
        num_points: points sampled for the mask costs (official TRAIN_NUM_POINTS 12544).
    """

    def __init__(self, cost_class: float = 2.0, cost_mask: float = 5.0,
                 cost_dice: float = 5.0, num_points: int = 12544) -> None:
        super().__init__()
        assert cost_class or cost_mask or cost_dice, 'all costs are 0'
        self.cost_class, self.cost_mask, self.cost_dice = cost_class, cost_mask, cost_dice
        self.num_points = num_points

    def _points(self, device: torch.device, point_coords: Optional[List[Tensor]]) -> Tensor:
        """The next ``(1, P, 2)`` points: injected ones in order, else ``torch.rand``."""
        if point_coords is not None:
            return point_coords.pop(0).to(device)
        return torch.rand(1, self.num_points, 2, device=device)

    def cost_matrix(self, logits: Tensor, masks: Tensor, labels: Tensor, gt_masks: Tensor,
                    points: Tensor) -> Tensor:
        """``(Q, G)`` cost of ``logits (Q, K+1)``, ``masks (Q, T, H, W)`` against ``labels
        (G,)``, ``gt_masks (G, T, h, w)`` on ``points (1, P, 2)`` (on the CPU)."""
        cost_class = -logits.softmax(-1)[:, labels.long()]
        gt_masks = gt_masks.to(masks)

        def sample(m: Tensor) -> Tensor:
            return point_sample(m, points.repeat(m.shape[0], 1, 1).to(m),
                                align_corners=False).flatten(1)

        if gt_masks.shape[0] == 0:  # nothing to match
            return cost_class.float().cpu().reshape(logits.shape[0], 0)
        pred_pts, gt_pts = sample(masks).float(), sample(gt_masks).float()
        cost_mask, cost_dice = pairwise_mask_costs(pred_pts, gt_pts)
        cost = (self.cost_mask * cost_mask + self.cost_class * cost_class
                + self.cost_dice * cost_dice)
        return cost.reshape(logits.shape[0], -1).cpu()

    @torch.no_grad()
    def forward(self, outputs: Dict[str, Tensor], targets: Sequence[Dict[str, Tensor]],
                point_coords: Optional[List[Tensor]] = None) -> MatchResult:
        """``[(query indices, object indices)]`` per entry of ``targets``.

        Args:
            outputs: ``pred_logits (B, Q, K+1)`` and ``pred_masks (B, Q, T, H, W)``.
            targets: ``B`` dicts with ``labels (G,)`` and ``masks (G, T, h, w)``.
            point_coords: optional ``(1, P, 2)`` points per matched entry (consumed).
        """
        result = []
        for b in range(outputs['pred_logits'].shape[0]):
            masks = outputs['pred_masks'][b]
            points = self._points(masks.device, point_coords)
            cost = self.cost_matrix(outputs['pred_logits'][b], masks, targets[b]['labels'],
                                    targets[b]['masks'], points)
            rows, cols = linear_sum_assignment(cost)
            result.append((torch.as_tensor(rows, dtype=torch.int64),
                           torch.as_tensor(cols, dtype=torch.int64)))
        return result


@TASK_UTILS.register_module()
class DVISPlusConsistentVideoMatcher(DVISPlusVideoHungarianMatcher):
    """Match every object on the first frame where it appears (module docstring).

    Args:
        frames: frames per video; entry ``b * frames + f`` is frame ``f`` of video ``b``.
        **kwargs: as :class:`DVISPlusVideoHungarianMatcher`.
    """

    def __init__(self, frames: int = 5, **kwargs) -> None:
        super().__init__(**kwargs)
        self.frames = frames

    @staticmethod
    def first_frames(ids_per_frame: Sequence[Tensor]) -> Dict[int, List[int]]:
        """``{frame: [objects first visible on it]}`` from per-frame ``ids (G, 1)`` (or
        ``(G,)``); -1 = absent."""
        first: Dict[int, int] = {}
        for f, ids in enumerate(ids_per_frame):
            if ids.numel() == 0:
                continue
            for g in torch.nonzero(ids.reshape(len(ids), -1)[:, 0] != -1).flatten().tolist():
                first.setdefault(g, f)
        by_frame: Dict[int, List[int]] = {}
        for g, f in first.items():
            by_frame.setdefault(f, []).append(g)
        return by_frame

    @torch.no_grad()
    def forward(self, outputs: Dict[str, Tensor], targets: Sequence[Dict[str, Tensor]],
                point_coords: Optional[List[Tensor]] = None) -> MatchResult:
        """As the parent, for ``B * frames`` per-frame entries with ``ids``; the result is one
        video-level matching per video, repeated ``frames`` times."""
        num_queries = outputs['pred_logits'].shape[1]
        result: MatchResult = []
        for video in range(outputs['pred_logits'].shape[0] // self.frames):
            entries = [video * self.frames + f for f in range(self.frames)]
            by_frame = self.first_frames([targets[e]['ids'] for e in entries])
            used: List[int] = []
            rows_all: List[int] = []
            cols_all: List[int] = []
            for f in sorted(by_frame):
                e, objs = entries[f], by_frame[f]
                masks = outputs['pred_masks'][e]
                points = self._points(masks.device, point_coords)
                cost = self.cost_matrix(outputs['pred_logits'][e], masks,
                                        targets[e]['labels'][objs], targets[e]['masks'][objs],
                                        points)
                cost = cost.reshape(num_queries, -1)
                if used:
                    cost[used, :] = 1e6
                rows, cols = linear_sum_assignment(cost)
                used += list(rows)
                rows_all += list(rows)
                cols_all += list(np.asarray(objs)[cols])
            match = (torch.as_tensor(np.asarray(rows_all, dtype=np.int64)),
                     torch.as_tensor(np.asarray(cols_all, dtype=np.int64)))
            result += [match] * self.frames
        return result
