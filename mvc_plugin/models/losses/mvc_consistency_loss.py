"""Consistency between the masked view's predictions and the clean view's (detached) ones."""
from typing import Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmdet.registry import MODELS as MMDET_MODELS
from mmseg.registry import MODELS as MMSEG_MODELS
from scipy.optimize import linear_sum_assignment
from torch import Tensor, nn

__all__ = ['MVCConsistencyLoss']

QueryOutput = Tuple[Tensor, Tensor]  # (class logits (B, Q, K+1), mask logits (B, Q, ..., H, W))


def _dice_cost(a: Tensor, b: Tensor) -> Tensor:
    """Pairwise dice cost between (Q, P) and (Q, P) probabilities -> (Q, Q)."""
    inter = a @ b.t()
    return 1 - (2 * inter + 1) / (a.sum(-1)[:, None] + b.sum(-1)[None, :] + 1)


@MMDET_MODELS.register_module()
@MMSEG_MODELS.register_module()
class MVCConsistencyLoss(nn.Module):
    """Masked-view vs clean-view consistency for query-based and dense heads.

    Query outputs ``(cls_logits, mask_logits)`` (Mask2Former heads): queries of the two views are
    matched with the Hungarian algorithm on class similarity plus mask dice, then each matched pair
    contributes the KL divergence of the class distributions (temperature ``temperature``) and
    BCE + dice of the masked view's mask logits against the clean view's mask probabilities.
    Dense outputs ``(B, C, H, W)`` logits contribute the per-pixel KL divergence.
    The clean view is always treated as a constant (detached).

    Args:
        loss_weight: overall weight.
        temperature: softmax temperature of the class / pixel distributions (> 0).
        cls_weight, mask_weight, dice_weight: weights of the three query terms.
        match_size: masks are pooled to at most this side for the matching cost only.
    """

    def __init__(self, loss_weight: float = 1.0, temperature: float = 1.0, cls_weight: float = 1.0,
                 mask_weight: float = 1.0, dice_weight: float = 1.0, match_size: int = 32) -> None:
        super().__init__()
        if temperature <= 0:
            raise ValueError(f'MVCConsistencyLoss: temperature must be > 0, got {temperature}')
        self.loss_weight = loss_weight
        self.temperature = temperature
        self.cls_weight, self.mask_weight, self.dice_weight = cls_weight, mask_weight, dice_weight
        self.match_size = match_size

    def _kl(self, student: Tensor, teacher: Tensor, dim: int) -> Tensor:
        t = self.temperature
        return F.kl_div(F.log_softmax(student / t, dim=dim), F.softmax(teacher / t, dim=dim),
                        reduction='none').sum(dim) * t * t

    def dense(self, masked: Tensor, clean: Tensor) -> Tensor:
        """Per-pixel KL for dense ``(B, C, H, W)`` logits."""
        if masked.shape != clean.shape:
            raise ValueError(f'MVCConsistencyLoss: dense outputs differ in shape: '
                             f'{tuple(masked.shape)} vs {tuple(clean.shape)}')
        return self._kl(masked, clean.detach(), dim=1).mean()

    @torch.no_grad()
    def match(self, masked: QueryOutput, clean: QueryOutput) -> Sequence[Tuple[Tensor, Tensor]]:
        """Hungarian matching of masked-view to clean-view queries, per sample."""
        cls_m, mask_m = masked
        cls_c, mask_c = clean
        pairs = []
        for b in range(cls_m.shape[0]):
            pm, pc = cls_m[b].softmax(-1), cls_c[b].softmax(-1)
            mm = self._pool(mask_m[b]).sigmoid().flatten(1)
            mc = self._pool(mask_c[b]).sigmoid().flatten(1)
            cost = -(pm @ pc.t()) + _dice_cost(mm, mc)
            rows, cols = linear_sum_assignment(cost.float().cpu().numpy())
            pairs.append((torch.as_tensor(rows, device=cls_m.device),
                          torch.as_tensor(cols, device=cls_m.device)))
        return pairs

    def _pool(self, masks: Tensor) -> Tensor:
        h, w = masks.shape[-2:]
        if max(h, w) <= self.match_size:
            return masks
        lead = masks.shape[:-2]
        flat = masks.reshape(-1, 1, h, w)
        out = F.adaptive_avg_pool2d(flat, (min(h, self.match_size), min(w, self.match_size)))
        return out.reshape(*lead, *out.shape[-2:])

    def queries(self, masked: QueryOutput, clean: QueryOutput) -> Tensor:
        """Matched-query class KL + mask BCE + mask dice."""
        cls_m, mask_m = masked
        cls_c, mask_c = clean[0].detach(), clean[1].detach()
        if cls_m.shape != cls_c.shape or mask_m.shape != mask_c.shape:
            raise ValueError('MVCConsistencyLoss: query outputs of the two views differ in shape')
        loss = cls_m.new_zeros(())
        for b, (rows, cols) in enumerate(self.match((cls_m, mask_m), (cls_c, mask_c))):
            kl = self._kl(cls_m[b, rows], cls_c[b, cols], dim=-1).mean()
            logits = mask_m[b, rows].flatten(1)
            target = mask_c[b, cols].flatten(1).sigmoid()
            bce = F.binary_cross_entropy_with_logits(logits, target)
            prob = logits.sigmoid()
            dice = 1 - (2 * (prob * target).sum(-1) + 1) / (prob.sum(-1) + target.sum(-1) + 1)
            loss = loss + self.cls_weight * kl + self.mask_weight * bce \
                + self.dice_weight * dice.mean()
        return loss / cls_m.shape[0]

    def forward(self, masked: Union[Tensor, QueryOutput],
                clean: Union[Tensor, QueryOutput]) -> Tensor:
        if isinstance(masked, Tensor):
            loss = self.dense(masked, clean)
        else:
            loss = self.queries(tuple(masked), tuple(clean))
        return self.loss_weight * loss
