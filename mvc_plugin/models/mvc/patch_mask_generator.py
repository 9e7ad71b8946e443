"""Random block masks for Masked Video Consistency, vectorised over (batch, time).

Follows the masking of MIC (Hoyer et al., CVPR 2023): the image is divided into a grid of
``block_size`` blocks, one uniform draw per block, a block is masked where the draw falls below
``mask_ratio``, and the grid is upsampled to pixels. Masks can be drawn per frame or once per clip
("tube"), and each frame can be left unmasked with probability ``1 - frame_prob``.
"""
import math
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F

__all__ = ['PatchMaskGenerator']

MASK_MODES = ('frame', 'tube')


class PatchMaskGenerator:
    """Draw boolean patch masks (``True`` = masked pixel).

    Args:
        block_size: side of a square block in input pixels (> 0).
        mask_ratio: probability that a block is masked, in ``[0, 1)``.
        mode: ``'frame'`` draws an independent mask for every frame; ``'tube'`` draws one mask per
            clip and repeats it over time.
        frame_prob: probability that a frame (a clip, in tube mode) is masked at all.
        seed: seed of a private generator (reproducible masks); ``None`` uses torch's global RNG,
            which mmengine's ``randomness.seed`` controls.
        image_size: optional ``(h, w)`` the masks will be drawn for; when given, a block larger
            than the image is rejected at build time. At call time a frame smaller than one block
            is simply one block.
    """

    def __init__(self, block_size: int = 64, mask_ratio: float = 0.7, mode: str = 'frame',
                 frame_prob: float = 1.0, seed: Optional[int] = None,
                 image_size: Optional[Sequence[int]] = None) -> None:
        if not isinstance(block_size, int) or isinstance(block_size, bool) or block_size <= 0:
            raise ValueError(f'PatchMaskGenerator: block_size must be a positive int, '
                             f'got {block_size!r}')
        if not 0.0 <= float(mask_ratio) < 1.0:
            raise ValueError(f'PatchMaskGenerator: mask_ratio must be in [0, 1), got {mask_ratio!r}')
        if mode not in MASK_MODES:
            raise ValueError(f'PatchMaskGenerator: mode must be one of {MASK_MODES}, got {mode!r}')
        if not 0.0 <= float(frame_prob) <= 1.0:
            raise ValueError(f'PatchMaskGenerator: frame_prob must be in [0, 1], '
                             f'got {frame_prob!r}')
        if image_size is not None and block_size > max(image_size):
            raise ValueError(f'PatchMaskGenerator: block_size {block_size} is larger than the '
                             f'image {tuple(image_size)}')
        self.block_size = block_size
        self.mask_ratio = float(mask_ratio)
        self.mode = mode
        self.frame_prob = float(frame_prob)
        self.seed = seed
        self._generator = torch.Generator().manual_seed(seed) if seed is not None else None

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(block_size={self.block_size}, '
                f'mask_ratio={self.mask_ratio}, mode={self.mode!r}, '
                f'frame_prob={self.frame_prob}, seed={self.seed})')

    def _rand(self, *shape: int) -> torch.Tensor:
        return torch.rand(shape, generator=self._generator)

    def __call__(self, batch: int, num_frames: int, height: int, width: int,
                 device: Union[str, torch.device, None] = None) -> torch.Tensor:
        """Return a ``(batch, num_frames, height, width)`` bool mask, ``True`` where masked."""
        gh = max(1, math.ceil(height / self.block_size))
        gw = max(1, math.ceil(width / self.block_size))
        draws = num_frames if self.mode == 'frame' else 1
        blocks = self._rand(batch, draws, gh, gw) < self.mask_ratio
        if self.frame_prob < 1.0:
            active = self._rand(batch, draws, 1, 1) < self.frame_prob
            blocks &= active
        if draws != num_frames:
            blocks = blocks.expand(batch, num_frames, gh, gw)
        mask = blocks.repeat_interleave(self.block_size, dim=2)
        mask = mask.repeat_interleave(self.block_size, dim=3)[:, :, :height, :width]
        return mask.contiguous().to(device) if device is not None else mask.contiguous()

    @staticmethod
    def resize(mask: torch.Tensor, size: Tuple[int, int]) -> torch.Tensor:
        """Resize a ``(..., H, W)`` bool mask to ``size`` (e.g. a feature map's stride).

        Nearest-neighbour sampling (PyTorch's ``'nearest'``): a feature cell takes the value of
        the pixel at its top-left corner, so block edges fall exactly on cell edges whenever the
        block size is a multiple of the stride.
        """
        if tuple(mask.shape[-2:]) == tuple(size):
            return mask
        lead = mask.shape[:-2]
        flat = mask.reshape(-1, 1, *mask.shape[-2:]).float()
        out = F.interpolate(flat, size=tuple(size), mode='nearest')
        return out.reshape(*lead, *size).bool()

    @staticmethod
    def apply(inputs: torch.Tensor, mask: torch.Tensor,
              fill: Union[float, Sequence[float], torch.Tensor] = 0.0) -> torch.Tensor:
        """Return ``inputs`` (``(..., C, H, W)``) with masked pixels set to ``fill``.

        ``mask`` is ``(..., H, W)`` with the same leading dims; ``fill`` is a scalar or one value
        per channel. The input is not modified.
        """
        fill_t = torch.as_tensor(fill, dtype=inputs.dtype, device=inputs.device)
        if fill_t.dim() == 1:
            fill_t = fill_t.view(-1, 1, 1)
        m = mask.unsqueeze(-3).to(inputs.device)
        return torch.where(m, fill_t, inputs)
