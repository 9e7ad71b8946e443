"""DVIS++'s set criterion on video predictions (official ``VideoSetCriterion``).

Mirrors the official ``mask2former_video/modeling/criterion.py`` with the weights the official
``dvis_Plus/meta_architecture.py`` / ``dvis_Plus/ctvis.py`` give it (``from_config``): after a
Hungarian matching of queries to objects (the matcher, e.g.
:class:`~.video_hungarian_matcher.DVISPlusVideoHungarianMatcher`),

* ``loss_ce``: cross-entropy over ``K + 1`` classes, unmatched queries labelled "no object",
  that class weighted ``eos_coef`` (NO_OBJECT_WEIGHT 0.1); mean as ``F.cross_entropy`` does;
* ``loss_mask`` / ``loss_dice``: sigmoid cross-entropy (mean over points) and dice (+1
  smoothing) of each matched (query, frame) mask on ``num_points`` importance-sampled points
  (mmdet's ``get_uncertain_point_coords_with_randomness``: ``oversample_ratio`` x points drawn,
  the ``importance_sample_ratio`` most uncertain kept, the rest drawn at random), summed over
  masks and frames and divided by the number of objects in the batch (averaged over GPUs,
  at least 1);
* ``d{i}.loss_*``: the same for every auxiliary decoder layer (official ``loss_*_{i}``),
  matched again unless ``matcher_outputs`` fixes the matching.

Losses are returned weighted (CLASS_WEIGHT 2, MASK_WEIGHT 5, DICE_WEIGHT 5). The random
points come from the global torch RNG in the official order, so equal seeds give equal
losses. With ``ret_match_result`` the matching is returned as the official does: the one of
the last layer matched (the last auxiliary layer unless ``matcher_outputs`` is given).
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.distributed as dist
import torch.nn.functional as F
from mmcv.ops import point_sample
from torch import Tensor, nn

from mmdet.models.utils import get_uncertain_point_coords_with_randomness
from mmdet.registry import MODELS, TASK_UTILS

__all__ = ['DVISPlusVideoSetCriterion', 'point_mask_losses']

MatchResult = List[Tuple[Tensor, Tensor]]


def point_mask_losses(point_logits: Tensor, point_labels: Tensor,
                      num_masks: float) -> Tuple[Tensor, Tensor]:
    """Sigmoid cross-entropy (mean over points) and dice of ``(N, P)`` point logits against
    binary labels, each summed over the ``N`` masks and divided by ``num_masks``."""
    bce = F.binary_cross_entropy_with_logits(point_logits, point_labels, reduction='none')
    prob = point_logits.sigmoid()
    dice = 1 - (2 * (prob * point_labels).sum(-1) + 1) / (
        prob.sum(-1) + point_labels.sum(-1) + 1)
    return bce.mean(1).sum() / num_masks, dice.sum() / num_masks


@MODELS.register_module()
class DVISPlusVideoSetCriterion(nn.Module):
    """Set criterion of DVIS++ (see the module docstring).

    Args:
        num_classes: object classes (the logits have one more, "no object").
        matcher: config (``TASK_UTILS``) or module of the matcher.
        class_weight / mask_weight / dice_weight: loss weights (2, 5, 5 as the official).
        eos_coef: weight of the "no object" class in ``loss_ce`` (0.1).
        num_points / oversample_ratio / importance_sample_ratio: point sampling of the mask
            losses (12544, 3.0, 0.75 as the official).
    """

    def __init__(self, num_classes: int, matcher: Union[dict, nn.Module],
                 class_weight: float = 2.0, mask_weight: float = 5.0, dice_weight: float = 5.0,
                 eos_coef: float = 0.1, num_points: int = 12544,
                 oversample_ratio: float = 3.0, importance_sample_ratio: float = 0.75) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.matcher = TASK_UTILS.build(matcher) if isinstance(matcher, dict) else matcher
        self.weights = {'loss_ce': class_weight, 'loss_mask': mask_weight,
                        'loss_dice': dice_weight}
        self.eos_coef = eos_coef
        class_weights = torch.ones(num_classes + 1)
        class_weights[-1] = eos_coef
        self.register_buffer('class_weights', class_weights, persistent=False)
        self.num_points = num_points
        self.oversample_ratio = oversample_ratio
        self.importance_sample_ratio = importance_sample_ratio

    @staticmethod
    def _query_index(indices: MatchResult) -> Tuple[Tensor, Tensor]:
        batch = torch.cat([torch.full_like(q, b) for b, (q, _) in enumerate(indices)])
        return batch, torch.cat([q for q, _ in indices])

    def loss_labels(self, logits: Tensor, targets: Sequence[Dict[str, Tensor]],
                    indices: MatchResult) -> Tensor:
        """Weighted cross-entropy of ``logits (B, Q, K+1)``; unmatched = "no object"."""
        logits = logits.float()
        classes = torch.full(logits.shape[:2], self.num_classes, dtype=torch.int64,
                             device=logits.device)
        matched = torch.cat([t['labels'][g] for t, (_, g) in zip(targets, indices)])
        classes[self._query_index(indices)] = matched.to(classes)
        return F.cross_entropy(logits.transpose(1, 2), classes,
                               self.class_weights.to(logits))

    def loss_masks(self, masks: Tensor, targets: Sequence[Dict[str, Tensor]],
                   indices: MatchResult, num_masks: float) -> Tuple[Tensor, Tensor]:
        """Point-sampled BCE and dice of the matched ``masks (B, Q, T, H, W)``."""
        pred = masks[self._query_index(indices)]
        gt = torch.cat([t['masks'][g] for t, (_, g) in zip(targets, indices)]).to(pred)
        pred, gt = pred.flatten(0, 1)[:, None], gt.flatten(0, 1)[:, None]  # (N*T, 1, H, W)
        with torch.no_grad():
            points = get_uncertain_point_coords_with_randomness(
                pred.float(), None, self.num_points, self.oversample_ratio,
                self.importance_sample_ratio)
            point_labels = point_sample(gt, points.to(gt), align_corners=False).squeeze(1)
        point_logits = point_sample(pred, points.to(pred), align_corners=False).squeeze(1)
        return point_mask_losses(point_logits, point_labels, num_masks)

    def layer_losses(self, outputs: Dict[str, Tensor], targets: Sequence[Dict[str, Tensor]],
                     indices: MatchResult, num_masks: float) -> Dict[str, Tensor]:
        """Unweighted ``loss_ce``, ``loss_mask``, ``loss_dice`` of one decoder layer."""
        loss_ce = self.loss_labels(outputs['pred_logits'], targets, indices)
        loss_mask, loss_dice = self.loss_masks(outputs['pred_masks'], targets, indices,
                                               num_masks)
        return {'loss_ce': loss_ce, 'loss_mask': loss_mask, 'loss_dice': loss_dice}

    @staticmethod
    def num_masks(targets: Sequence[Dict[str, Tensor]], device: torch.device) -> float:
        """Objects in the batch, averaged over the processes, at least 1."""
        num = torch.as_tensor([float(sum(len(t['labels']) for t in targets))], device=device)
        world = 1
        if dist.is_available() and dist.is_initialized():
            dist.all_reduce(num)
            world = dist.get_world_size()
        return torch.clamp(num / world, min=1).item()

    def forward(self, outputs: Dict, targets: Sequence[Dict[str, Tensor]],
                matcher_outputs: Optional[Dict] = None, ret_match_result: bool = False
                ) -> Union[Dict[str, Tensor], Tuple[Dict[str, Tensor], MatchResult]]:
        """Weighted losses of ``outputs`` (``pred_logits``, ``pred_masks``, optional
        ``aux_outputs`` list of such dicts) against ``targets`` (dicts of ``labels (G,)``,
        ``masks (G, T, H, W)``, ``ids``).

        Args:
            matcher_outputs: when given, the matching is computed once on these outputs
                (same layout) and used for every layer (official segmenter-guided matching).
            ret_match_result: also return the matching (see the module docstring).
        """
        match_on = outputs if matcher_outputs is None else matcher_outputs
        indices = self.matcher({k: v for k, v in match_on.items() if k != 'aux_outputs'},
                               targets)
        num_masks = self.num_masks(targets, outputs['pred_logits'].device)
        raw = self.layer_losses(outputs, targets, indices, num_masks)
        losses = {k: v * self.weights[k] for k, v in raw.items()}
        for i, aux in enumerate(outputs.get('aux_outputs', [])):
            if matcher_outputs is None:
                indices = self.matcher(aux, targets)
            raw = self.layer_losses(aux, targets, indices, num_masks)
            losses.update({f'd{i}.{k}': v * self.weights[k] for k, v in raw.items()})
        if ret_match_result:
            return losses, indices
        return losses
