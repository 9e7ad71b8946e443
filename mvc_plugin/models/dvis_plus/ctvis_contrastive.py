"""CTVIS contrastive re-identification loss of DVIS++'s segmenter stage.

Mirrors ``CTCLPlugin.train_loss`` / ``get_reid_loss`` and ``loss_reid`` of the official
``dvis_Plus/ctvis.py`` (weights from ``dvis_Plus/config.py``: REID_WEIGHT 2, AUX_REID_WEIGHT 3,
NUM_NEGATIVES 99, MOMENTUM_EMBED True). On a clip of ``T`` frames:

1. each frame is matched on its own (queries to the clip's objects, Hungarian matching with
   class / mask BCE / mask dice costs, frames in order, videos within a frame);
2. per video and object, a *memory* of its frames: the re-id embedding of its query where it
   is visible (the *anchor*), ``num_negatives`` negatives (the first ``num_negatives + 1``
   queries but the anchor's, a random subset when the anchor is not among them, Python's
   ``random``) or every query where it is absent, and a similarity-guided fused embedding
   (``beta = max(0, mean cosine(anchor, earlier anchors))``, ``fused = (1 - beta) fused + beta
   anchor``);
3. for every frame ``f >= 1`` where the object is visible: the positive is, if the object was
   visible before, with probability 1/2 (numpy's ``random.rand() > 0.5``) the fused embedding
   of frame ``f - 1``, else its latest earlier anchor; if it was not, the first later anchor
   (only when ``f`` differs from the number of later frames where it is absent -- the official
   condition, kept); the negatives are those of frame ``f - 1``;
4. ``loss_reid`` = mean over the items of ``log(1 + sum_{pos, neg} exp(s_neg - s_pos))`` on dot
   products ``s`` with the anchor; ``loss_aux_reid`` = mean over the items of the mean squared
   difference between cosine similarities and the 1 / 0 labels.

The random draws use the global Python / numpy / torch RNGs in the official order, so equal
seeds give equal losses.
"""
import random
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmdet.registry import MODELS, TASK_UTILS

__all__ = ['CTVISContrastiveLoss', 'contrastive_item_losses']


def contrastive_item_losses(dots: Tensor, cosines: Tensor, labels: Tensor) -> Tensor:
    """``[contrastive, aux]`` of one anchor: ``dots`` / ``cosines`` ``(A,)`` with its positives
    and negatives, ``labels (A,)`` 1 = positive."""
    pos, neg = dots[labels == 1], dots[labels == 0]
    pairs = (neg[None, :] - pos[:, None]).flatten()
    contrastive = torch.logsumexp(torch.cat([pairs, pairs.new_zeros(1)]), dim=0)
    aux = ((cosines - labels.to(cosines)) ** 2).mean()
    return torch.stack([contrastive, aux])


class _ObjectMemory:
    """Per-frame anchors, negatives and fused embeddings of one object (step 2)."""

    def __init__(self) -> None:
        self.anchors: List[Optional[Tensor]] = []
        self.negatives: List[Tensor] = []
        self.fused: Optional[Tensor] = None
        self.fused_per_frame: List[Optional[Tensor]] = []

    def add(self, anchor: Optional[Tensor], negatives: Tensor) -> None:
        seen = [a for a in self.anchors if a is not None]
        self.anchors.append(anchor)
        self.negatives.append(negatives)
        if anchor is not None:
            if not seen:
                self.fused = anchor
            else:
                sim = (F.normalize(torch.cat(seen), dim=-1)
                       @ F.normalize(anchor[0], dim=-1)).sum() / len(seen)
                beta = sim.clamp(min=0)
                self.fused = (1 - beta) * self.fused + beta * anchor
        self.fused_per_frame.append(self.fused)

    def positive(self, f: int, momentum: bool) -> Optional[Tensor]:
        earlier = [a for a in self.anchors[:f] if a is not None]
        if earlier:
            if momentum and np.random.rand() > 0.5:
                return self.fused_per_frame[f - 1]
            return earlier[-1]
        later = self.anchors[f + 1:]
        if f != sum(a is None for a in later):  # the official exist_after condition
            return next((a for a in later if a is not None), None)
        return None


@MODELS.register_module()
class CTVISContrastiveLoss(nn.Module):
    """CTVIS re-id loss on clips (see the module docstring).

    Args:
        matcher: ``TASK_UTILS`` config of the per-frame matcher (official ``HungarianMatcher``
            of ``mask2former/modeling/matcher.py``, same costs as the video matcher).
        reid_weight / aux_reid_weight: weights of ``loss_reid`` / ``loss_aux_reid``.
        num_negatives: negatives per anchor (at most ``Q - 1``; the official needs ``Q >
            num_negatives``).
        momentum_embed: use the fused embedding as positive half of the time.
    """

    def __init__(self, matcher: Optional[dict] = None, reid_weight: float = 2.0,
                 aux_reid_weight: float = 3.0, num_negatives: int = 99,
                 momentum_embed: bool = True) -> None:
        super().__init__()
        matcher = matcher or dict(type='DVISPlusVideoHungarianMatcher', cost_class=2.0,
                                  cost_mask=5.0, cost_dice=5.0, num_points=12544)
        self.matcher = TASK_UTILS.build(matcher)
        self.reid_weight, self.aux_reid_weight = reid_weight, aux_reid_weight
        self.num_negatives = num_negatives
        self.momentum_embed = momentum_embed

    def match(self, logits: Tensor, masks: Tensor,
              targets: Sequence[Dict[str, Tensor]]) -> List[List[Tensor]]:
        """``[video][frame]`` -> the query of each object (all objects are matched)."""
        per_video: List[List[Tensor]] = [[] for _ in targets]
        for f in range(logits.shape[1]):
            frame_targets = [dict(labels=t['labels'], masks=t['masks'][:, f:f + 1])
                             for t in targets]
            out = dict(pred_logits=logits[:, f], pred_masks=masks[:, f, :, None])
            for b, (rows, cols) in enumerate(self.matcher(out, frame_targets)):
                per_video[b].append(rows[torch.sort(cols)[1]])
        return per_video

    def video_items(self, embeds: Tensor, ids: Tensor, queries: List[Tensor]) -> List[Tensor]:
        """Contrastive items of one video: ``embeds (T, Q, C)``, ``ids (G, T)`` (-1 = absent),
        ``queries`` per frame the matched query of each object."""
        num_frames, num_queries = embeds.shape[:2]
        num_neg = min(self.num_negatives, num_queries - 1)
        memories = [_ObjectMemory() for _ in range(ids.shape[0])]
        for f in range(num_frames):
            for g, memory in enumerate(memories):
                if ids[g, f] != -1:
                    q = int(queries[f][g])
                    pool = sorted(set(range(num_neg + 1)) - {q})
                    memory.add(embeds[f, q][None], embeds[f, sorted(random.sample(pool, num_neg))])
                else:
                    memory.add(None, embeds[f])
        items = []
        for f in range(1, num_frames):
            for memory in memories:
                anchor = memory.anchors[f]
                if anchor is None:
                    continue
                positive = memory.positive(f, self.momentum_embed)
                if positive is None:
                    continue
                candidates = torch.cat([positive, memory.negatives[f - 1]])
                labels = torch.zeros(len(candidates), dtype=torch.int64, device=embeds.device)
                labels[:len(positive)] = 1
                dots = (candidates @ anchor[0])
                cosines = F.normalize(candidates, dim=1) @ F.normalize(anchor, dim=1)[0]
                items.append(contrastive_item_losses(dots, cosines, labels))
        return items

    def forward(self, reid_embeds: Tensor, logits: Tensor, masks: Tensor,
                targets: Sequence[Dict[str, Tensor]]) -> Dict[str, Tensor]:
        """Weighted ``loss_reid`` and ``loss_aux_reid``.

        Args:
            reid_embeds: ``(B, T, Q, C)`` re-id embeddings of the final decoder queries.
            logits / masks: ``(B, T, Q, K+1)`` / ``(B, T, Q, H, W)`` final predictions (only
                used for the matching).
            targets: per video ``labels (G,)``, ``masks (G, T, h, w)``, ``ids (G, T)``.
        """
        with torch.no_grad():
            queries = self.match(logits.detach(), masks.detach(), targets)
        items = []
        for b, target in enumerate(targets):
            items += self.video_items(reid_embeds[b], target['ids'], queries[b])
        if not items:
            zero = reid_embeds.sum() * 0
            return dict(loss_reid=zero, loss_aux_reid=zero)
        total = torch.stack(items).sum(0) / len(items)
        return dict(loss_reid=total[0] * self.reid_weight,
                    loss_aux_reid=total[1] * self.aux_reid_weight)
