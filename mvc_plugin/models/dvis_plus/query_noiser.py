"""Query matching and training-time noise of the DVIS++ referring tracker.

Every frame, the tracker's slots are matched to the current frame's segmenter queries by the
Hungarian algorithm on ``1 - cosine similarity`` of the normalised query embeddings (previous
frame's matched queries vs current ones; official ``dvis_Plus/noiser.py``, ``Noiser.match_embds``),
in training and at test time. In training, with probability ``noise_ratio`` per frame, the
matched identities are replaced by noised ones so the tracker learns to correct a wrong
association (official modes):

* ``'none'`` -- no noise (the matched queries);
* ``'rs'`` -- random shuffle of the current queries;
* ``'wa'`` -- weighted average of each query with a shuffled one (weight ``w ~ U(0, 1)``); the
  slot's target is the shuffled query where ``w < 0.5``;
* ``'cc'`` -- channel concatenation: the first ``k ~ U{0..C-1}`` channels from the query, the
  rest from a shuffled one; the target is the shuffled query where ``k < C / 2``.

The draws use torch's generator (the official code mixes ``random``, ``numpy`` and ``torch``);
the distributions are the official ones. Unlike the official matcher, which matches batch
element 0 and applies that assignment to every video of the batch, each video is matched on
its own (identical for one video per GPU, the official setting).
"""
import random
from typing import List, Optional, Tuple

import torch
from scipy.optimize import linear_sum_assignment
from torch import Tensor

__all__ = ['NOISE_MODES', 'QueryNoiser', 'match_by_cosine']

NOISE_MODES = ('none', 'rs', 'wa', 'cc')


def match_by_cosine(reference: Tensor, current: Tensor) -> Tensor:
    """For each reference slot, the index of the current query assigned to it.

    Args:
        reference: ``(Q, C)`` embeddings of the slots (previous frame).
        current: ``(Q, C)`` embeddings of the current frame's queries.

    Returns:
        LongTensor ``(Q,)``: ``current[indices[r]]`` is matched to slot ``r`` (Hungarian,
        cost ``1 - cos``, NaN costs set to 0).
    """
    ref = reference.detach()
    cur = current.detach()
    ref = ref / (ref.norm(dim=1)[:, None] + 1e-6)
    cur = cur / (cur.norm(dim=1)[:, None] + 1e-6)
    cost = (1 - cur @ ref.t()).cpu()
    cost = torch.where(torch.isnan(cost), torch.zeros_like(cost), cost)
    _, cols = linear_sum_assignment(cost.t().numpy())
    return torch.as_tensor(cols, dtype=torch.long, device=reference.device)


class QueryNoiser:
    """Matcher + noiser of the referring tracker (see the module docstring).

    Args:
        mode: one of :data:`NOISE_MODES`.
        noise_ratio: probability, per frame, that noise replaces the matched identities.
    """

    def __init__(self, mode: str = 'none', noise_ratio: float = 0.5) -> None:
        if mode not in NOISE_MODES:
            raise ValueError(f'noise_mode must be one of {NOISE_MODES}, got {mode!r}')
        if not 0.0 <= noise_ratio <= 1.0:
            raise ValueError(f'noise_ratio must be in [0, 1], got {noise_ratio}')
        self.mode = mode
        self.noise_ratio = float(noise_ratio)

    def _shuffle(self, embeds: Tensor) -> Tuple[Tensor, Tensor]:
        perm = torch.randperm(embeds.shape[0]).to(embeds.device)
        return perm, embeds[perm]

    def _noise(self, embeds: Tensor) -> Tuple[Tensor, Tensor]:
        """Noised ``(Q, C)`` identities and the index of the query each slot now follows."""
        num = embeds.shape[0]
        identity = torch.arange(num, device=embeds.device)
        perm, shuffled = self._shuffle(embeds)
        if self.mode == 'rs':
            return perm, shuffled
        if self.mode == 'wa':
            weight = torch.rand(num, 1).to(embeds)
            noised = embeds * weight + shuffled * (1.0 - weight)
            return torch.where(weight[:, 0] < 0.5, perm, identity), noised
        # 'cc'
        cut = torch.randint(0, embeds.shape[-1], (num, 1)).to(embeds.device)
        first = (torch.arange(embeds.shape[-1], device=embeds.device)[None] < cut).to(embeds)
        noised = embeds * first + shuffled * (1 - first)
        return torch.where(cut[:, 0] < embeds.shape[-1] // 2, perm, identity), noised

    def __call__(self, reference: Tensor, current: Tensor,
                 current_no_norm: Optional[Tensor] = None,
                 activate: bool = False) -> Tuple[Tensor, Tensor]:
        """Match (and in training, noise) one video's frame.

        Args:
            reference: ``(Q, C)`` normalised embeddings the slots followed in the last frame.
            current: ``(Q, C)`` normalised embeddings of the current frame.
            current_no_norm: ``(Q, C)`` the same queries before the decoder norm (the
                identities); defaults to ``current``.
            activate: allow noise (training).

        Returns:
            ``(indices, identities)``: ``(Q,)`` the current query each slot follows, and the
            ``(Q, C)`` identities fed to the tracker's first layer.
        """
        values = current if current_no_norm is None else current_no_norm
        matched = match_by_cosine(reference, current)
        if activate and self.mode != 'none' and random.random() < self.noise_ratio:
            return self._noise(values)
        return matched, values[matched]

    def batch(self, reference: Tensor, current: Tensor, current_no_norm: Tensor,
              activate: bool = False) -> Tuple[Tensor, Tensor]:
        """:meth:`__call__` over a batch: ``(B, Q, C)`` inputs -> ``(B, Q)``, ``(B, Q, C)``."""
        pairs: List[Tuple[Tensor, Tensor]] = [
            self(r, c, n, activate) for r, c, n in zip(reference, current, current_no_norm)]
        return torch.stack([p[0] for p in pairs]), torch.stack([p[1] for p in pairs])
