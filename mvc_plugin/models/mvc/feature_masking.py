"""Mask intermediate features with the input's patch mask, through forward hooks.

MVC masks not only the input frames but optionally the outputs of chosen sub-modules (backbone
stages, neck, pixel decoder). The same spatial mask is resized to each output's resolution and the
masked cells are zeroed. Hooks keep the host model's code untouched; they act only while a mask is
set, i.e. during the masked-view forward pass.
"""
from contextlib import contextmanager
from typing import Any, Iterator, List, Optional, Sequence

import torch
from torch import nn

from .patch_mask_generator import PatchMaskGenerator

__all__ = ['FeatureMasker']


class FeatureMasker:
    """Register forward hooks on ``points`` (dotted sub-module names) of ``model``.

    Every 4-D tensor in a hooked module's output whose batch dimension equals the number of masks
    (batch x frames) is multiplied by the resized keep-mask; other outputs pass through.
    """

    def __init__(self, model: nn.Module, points: Sequence[str]) -> None:
        modules = dict(model.named_modules())
        unknown = [p for p in points if p not in modules]
        if unknown:
            near = sorted(n for n in modules if n and n.count('.') <= 1)[:40]
            raise ValueError(f'feature_mask_points {unknown} are not sub-modules of '
                             f'{type(model).__name__}; some valid names: {near}')
        self.points = list(points)
        self._mask: Optional[torch.Tensor] = None  # (N, H, W) bool, True = masked
        self._handles = [modules[p].register_forward_hook(self._hook) for p in self.points]

    def remove(self) -> None:
        for h in self._handles:
            h.remove()
        self._handles = []

    @contextmanager
    def active(self, mask: Optional[torch.Tensor]) -> Iterator[None]:
        """Mask hooked outputs with ``mask`` (``(N, H, W)``) inside the ``with`` block."""
        self._mask = mask
        try:
            yield
        finally:
            self._mask = None

    def _mask_tensor(self, x: torch.Tensor) -> torch.Tensor:
        mask = self._mask
        if x.dim() != 4 or x.shape[0] != mask.shape[0]:
            return x
        keep = ~PatchMaskGenerator.resize(mask, x.shape[-2:])
        return x * keep.unsqueeze(1).to(x.dtype)

    def _map(self, out: Any) -> Any:
        if isinstance(out, torch.Tensor):
            return self._mask_tensor(out)
        if isinstance(out, (list, tuple)):
            mapped: List[Any] = [self._map(o) for o in out]
            return type(out)(mapped) if isinstance(out, list) else tuple(mapped)
        if isinstance(out, dict):
            return {k: self._map(v) for k, v in out.items()}
        return out

    def _hook(self, module: nn.Module, args: Any, output: Any) -> Any:
        if self._mask is None:
            return None
        return self._map(output)

