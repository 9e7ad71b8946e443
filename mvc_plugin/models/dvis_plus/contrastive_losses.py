"""DVIS++'s contrastive (re-id) losses of the tracker and refiner stages.

Mirrors the official ``dvis_Plus/meta_architecture.py`` (``DVIS_Plus_online.get_cl_loss_ref``,
``DVIS_Plus_offline.get_cl_loss_with_memory``) and ``dvis_Plus/utils.py`` (``loss_reid``,
``Outputs_Memory_PerClasses``), written anew:

* one *item* = an anchor embedding, positives and negatives; its loss is
  ``log(1 + sum_{p, n} exp(<n, a> - <p, a>))`` (dot products, not cosine);
  the stage loss ``loss_reid`` is the mean over all items (0 without items). The official
  ``loss_aux_reid`` (cosine regression) is computed there but dropped, having no weight in
  ``weight_dict``; it is not computed here.
* tracker (:func:`reference_contrastive_loss`): for every frame ``t >= 1`` and every slot
  matched to a ground-truth object, the anchor is the slot's reference at ``t``; positive the
  same slot's reference at ``t - 1``, negatives the other slots' at ``t - 1``; and again with
  frame ``t + 1`` when there is one.
* refiner (:func:`memory_contrastive_loss`): for every frame and matched slot, anchor = the
  slot's refined embedding on that frame, positives = the slot's embeddings on all frames,
  negatives = the other slots on that frame; a second item has the same anchor and positives
  and, as negatives, the embeddings of the object's class kept in :class:`ClassEmbeddingMemory`
  from earlier iterations (if any). The clip's matched embeddings are pushed afterwards.

Batches: the official code treats one video per GPU (the tracker loss would otherwise pair the
first frame of a video with the last of the previous one; the refiner asserts it); here each
video is handled on its own, which is the same for one video.
"""
import random
from typing import Dict, List, Sequence, Tuple

import torch
from torch import Tensor

__all__ = ['ClassEmbeddingMemory', 'contrastive_item_loss', 'memory_contrastive_loss',
           'reference_contrastive_loss']

#: ``(slot indices, object indices)`` of one video's matching.
Match = Tuple[Tensor, Tensor]


def contrastive_item_loss(anchor: Tensor, positives: Tensor, negatives: Tensor) -> Tensor:
    """``log(1 + sum_{p, n} exp(n.a - p.a))`` for anchor ``(C,)``, ``(P, C)``, ``(N, C)``."""
    pos = positives @ anchor
    neg = negatives @ anchor
    diffs = (neg[None, :] - pos[:, None]).flatten()
    return torch.logsumexp(torch.cat([diffs, diffs.new_zeros(1)]), dim=0)


def _mean(items: List[Tensor], like: Tensor) -> Tensor:
    return torch.stack(items).sum() / len(items) if items else like.sum() * 0


def _others(q: int, i: int) -> List[int]:
    return list(range(0, i)) + list(range(i + 1, q))


def reference_contrastive_loss(references: Tensor, matches: Sequence[Match]) -> Tensor:
    """The tracker's ``loss_reid`` (unweighted).

    Args:
        references: ``(B, T, Q, C)`` the tracker's per-frame references (``pred_references``).
        matches: the per-frame matching of the ``B * T`` frames (entry ``b * T + t``).
    """
    b, t, q, _ = references.shape
    items: List[Tensor] = []
    for v in range(b):
        refs = references[v]
        for i in range(1, t):
            slots = dict(zip(matches[v * t + i][1].tolist(), matches[v * t + i][0].tolist()))
            for slot in slots.values():
                anchor = refs[i, slot]
                for j in ((i - 1, i + 1) if i != t - 1 else (i - 1,)):
                    items.append(contrastive_item_loss(anchor, refs[j, [slot]],
                                                       refs[j, _others(q, slot)]))
    return _mean(items, references)


class ClassEmbeddingMemory:
    """Per-class memory of refined object embeddings (official ``Outputs_Memory_PerClasses``,
    refiner side): each push appends the ``T`` frame embeddings of every matched object to its
    class's list; a list longer than ``max_len`` is shuffled (Python's ``random``, as the
    official) and cut to its last ``max_len`` entries. Not saved in checkpoints (nor is the
    official one)."""

    def __init__(self, max_len: int = 20) -> None:
        self.max_len = max_len
        self.items: Dict[int, List[Tensor]] = {}

    def get(self, cls: int) -> List[Tensor]:
        return self.items.get(cls, [])

    def push(self, embeds: Tensor, labels: Tensor, match: Match) -> None:
        """``embeds`` ``(T, Q, C)`` of one video, its objects' ``labels`` and matching."""
        embeds = embeds.detach()
        for slot, obj in zip(match[0].tolist(), match[1].tolist()):
            self.items.setdefault(int(labels[obj]), []).extend(torch.unbind(embeds[:, slot]))
        for cls, kept in self.items.items():
            if len(kept) > self.max_len:
                random.shuffle(kept)
                self.items[cls] = kept[-self.max_len:]


def memory_contrastive_loss(embeds: Tensor, matches: Sequence[Match],
                            labels: Sequence[Tensor], memory: ClassEmbeddingMemory) -> Tensor:
    """The refiner's ``loss_reid`` (unweighted); pushes the clip into ``memory`` afterwards.

    Args:
        embeds: ``(B, T, Q, C)`` the refiner's normalised last-layer embeddings.
        matches: one matching per video.
        labels: each video's object classes.
        memory: the per-class memory (updated).
    """
    b, t, q, _ = embeds.shape
    items: List[Tensor] = []
    for v in range(b):
        x = embeds[v]
        slots = dict(zip(matches[v][1].tolist(), matches[v][0].tolist()))
        for i in range(t):
            for obj, slot in slots.items():
                anchor, positives = x[i, slot], x[:, slot]
                items.append(contrastive_item_loss(anchor, positives, x[i, _others(q, slot)]))
                kept = memory.get(int(labels[v][obj]))
                if kept:
                    items.append(contrastive_item_loss(anchor, positives,
                                                       torch.stack(kept).to(x)))
    for v in range(b):
        memory.push(embeds[v], labels[v], matches[v])
    return _mean(items, embeds)
