"""DVIS++'s whole-video panoptic fusion, computed frame by frame.

The official VPS inference (``inference_video_vps``: objects with ``max p > 0.8`` that are not
no-object compete by ``p * sigmoid(mask)``; an object is kept when its won area over its own
``sigmoid >= 0.5`` area is ``>= 0.8``; stuff of one class merged; ids ``1..n`` in order) sums the
areas over the **whole video**, so it holds every frame's masks at the original size at once. :class:`VideoPanopticFusion` gives the same result in two passes over
the frames -- :meth:`count` (areas), then :meth:`paint` -- holding one frame at a time.
"""
from typing import Dict, List

import torch
from torch import Tensor

__all__ = ['VideoPanopticFusion']


class VideoPanopticFusion:
    """Official VPS fusion over a video, one frame at a time.

    Args:
        class_probs: ``(Q, K + 1)`` video class probabilities (last = no-object).
        num_thing_classes: labels below it are things.
        object_mask_thr / overlap_thr: the official thresholds (0.8 / 0.8).
    """

    def __init__(self, class_probs: Tensor, num_thing_classes: int,
                 object_mask_thr: float = 0.8, overlap_thr: float = 0.8) -> None:
        scores, labels = class_probs.max(-1)
        keep = labels.ne(class_probs.shape[-1] - 1) & (scores > object_mask_thr)
        self.objects = torch.nonzero(keep).flatten()
        self.scores, self.labels = scores[keep], labels[keep]
        self.num_thing_classes, self.overlap_thr = num_thing_classes, overlap_thr
        n = self.objects.numel()
        self.won = torch.zeros(n, dtype=torch.long)
        self.own = torch.zeros(n, dtype=torch.long)
        self.both = torch.zeros(n, dtype=torch.long)
        self._ids = None

    def _winner(self, mask_probs: Tensor):
        masks = mask_probs[self.objects.to(mask_probs.device)]
        winner = (self.scores.view(-1, 1, 1).to(masks) * masks).argmax(0)
        own_at_winner = masks.gather(0, winner[None])[0] >= 0.5
        return masks, winner, own_at_winner

    def count(self, mask_probs: Tensor) -> None:
        """Pass 1: add one frame's ``(Q, H, W)`` mask probabilities to the areas."""
        if self.objects.numel() == 0:
            return
        masks, winner, own_at_winner = self._winner(mask_probs)
        n = self.objects.numel()
        self.won += torch.bincount(winner.flatten(), minlength=n).cpu()
        self.own += (masks >= 0.5).flatten(1).sum(1).cpu()
        self.both += torch.bincount(winner[own_at_winner], minlength=n).cpu()

    def segments(self) -> List[Dict]:
        """The kept segments (``id``, ``isthing``, ``category_id``, ``object``), in the
        official order; segment ids of the kept objects are fixed from here on."""
        ids = torch.zeros(self.objects.numel(), dtype=torch.long)
        infos: List[Dict] = []
        stuff: Dict[int, int] = {}
        next_id = 0
        for k in range(self.objects.numel()):
            won, own = int(self.won[k]), int(self.own[k])
            if won == 0 or own == 0 or int(self.both[k]) == 0 or won / own < self.overlap_thr:
                continue
            label = int(self.labels[k])
            isthing = label < self.num_thing_classes
            if not isthing and label in stuff:
                ids[k] = stuff[label]
                continue
            next_id += 1
            if not isthing:
                stuff[label] = next_id
            ids[k] = next_id
            infos.append(dict(id=next_id, isthing=isthing, category_id=label,
                              object=int(self.objects[k])))
        self._ids = ids
        return infos

    def paint(self, mask_probs: Tensor) -> Tensor:
        """Pass 2: one frame's ``(H, W)`` int32 segment ids (0 = void)."""
        if self._ids is None:
            self.segments()
        pan = torch.zeros(mask_probs.shape[-2:], dtype=torch.int32, device=mask_probs.device)
        if self.objects.numel() == 0:
            return pan
        _, winner, own_at_winner = self._winner(mask_probs)
        ids = self._ids.to(mask_probs.device)[winner]
        pan[own_at_winner] = ids[own_at_winner].to(torch.int32)
        return pan
