"""Test-time input masking for the robustness diagnostic, without touching model code.

:class:`InputMasker` is a context manager that puts a forward hook on the model's data
preprocessor: every batch it returns is masked with :class:`PatchMaskGenerator` blocks, masked
pixels set to ``fill`` (0 in the normalised input = the dataset's mean colour, the fill MVC trains
with). The mask is therefore drawn at the **padded input size after the data preprocessor**, the
exact tensor the backbone sees, whatever the test mode (whole image or sliding window).

:func:`mask_to_output` maps such a mask to the resolution of predictions and ground truth: the
padding is cropped (``img_shape``; mmdet and mmseg pad at the bottom / right) and the rest resized
with nearest sampling to ``ori_shape``, the geometry mmdet / mmseg use to rescale predictions.
"""
from typing import Any, Optional, Sequence

import numpy as np
import torch
from torch import Tensor, nn

from mvc_plugin.models.mvc.patch_mask_generator import PatchMaskGenerator

__all__ = ['InputMasker', 'denormalise', 'mask_to_output']


class InputMasker:
    """Mask the data preprocessor's output while the context is active.

    Args:
        model: an mmengine model with a ``data_preprocessor`` sub-module whose output is a dict
            holding ``inputs`` as ``(B, C, H, W)`` (images) or ``(B, T, C, H, W)`` (clips).
        generator: draws the masks; a seeded one gives reproducible masks.
        fill: value of masked pixels in the normalised input.

    Attributes:
        last_mask: ``(B, T, H, W)`` bool mask of the last batch (``T = 1`` for images).
        last_inputs: the masked inputs of the last batch (the tensor the model received).
        masked_pixels / total_pixels: counts over every batch masked so far.
    """

    def __init__(self, model: nn.Module, generator: PatchMaskGenerator,
                 fill: float = 0.0) -> None:
        if not isinstance(getattr(model, 'data_preprocessor', None), nn.Module):
            raise TypeError(f'{type(model).__name__} has no data_preprocessor module to hook')
        self.model = model
        self.generator = generator
        self.fill = fill
        self.last_mask: Optional[Tensor] = None
        self.last_inputs: Optional[Tensor] = None
        self.masked_pixels = 0
        self.total_pixels = 0
        self._handle = None

    @property
    def active(self) -> bool:
        """Whether the hook is currently registered."""
        return self._handle is not None

    @property
    def masked_share(self) -> float:
        """Share of input pixels masked so far (NaN before the first batch)."""
        return self.masked_pixels / self.total_pixels if self.total_pixels else float('nan')

    def __enter__(self) -> 'InputMasker':
        if self._handle is not None:
            raise RuntimeError('InputMasker is already active')
        self._handle = self.model.data_preprocessor.register_forward_hook(self._hook)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._handle is not None:
            self._handle.remove()
            self._handle = None

    def _hook(self, module: nn.Module, args: Any, output: Any) -> Any:
        inputs = output['inputs'] if isinstance(output, dict) else None
        if not isinstance(inputs, Tensor) or inputs.dim() not in (4, 5):
            raise TypeError('InputMasker: the data preprocessor must return a dict with a '
                            '(B, C, H, W) or (B, T, C, H, W) tensor under "inputs", got '
                            f'{type(inputs).__name__}')
        video = inputs.dim() == 5
        b, t = inputs.shape[0], inputs.shape[1] if video else 1
        h, w = inputs.shape[-2:]
        mask = self.generator(b, t, h, w, device=inputs.device)
        output['inputs'] = PatchMaskGenerator.apply(inputs, mask if video else mask[:, 0],
                                                    self.fill)
        self.last_mask = mask
        self.last_inputs = output['inputs']
        self.masked_pixels += int(mask.sum())
        self.total_pixels += mask.numel()
        return output


def mask_to_output(mask: Tensor, img_shape: Sequence[int],
                   out_shape: Sequence[int]) -> np.ndarray:
    """Map an input mask ``(..., H_pad, W_pad)`` to ``out_shape`` (see the module docstring).

    Returns a bool numpy array ``(..., out_h, out_w)``.
    """
    cropped = mask[..., :int(img_shape[0]), :int(img_shape[1])]
    out = PatchMaskGenerator.resize(cropped, (int(out_shape[0]), int(out_shape[1])))
    return out.cpu().numpy().astype(bool)


def denormalise(inputs: Tensor, data_preprocessor: nn.Module) -> np.ndarray:
    """``(C, H, W)`` normalised input -> ``(H, W, 3)`` uint8 RGB for display (best effort)."""
    x = inputs.detach().float().cpu()
    mean = getattr(data_preprocessor, 'mean', None)
    std = getattr(data_preprocessor, 'std', None)
    if isinstance(mean, Tensor) and isinstance(std, Tensor):
        x = x * std.cpu().view(-1, 1, 1) + mean.cpu().view(-1, 1, 1)
    img = x.clamp(0, 255).to(torch.uint8).permute(1, 2, 0).numpy()
    if not getattr(data_preprocessor, '_channel_conversion', False):
        img = img[..., ::-1]  # still BGR (OpenCV loading order)
    return np.ascontiguousarray(img)
