"""``VideoPatchMask``: the MVC masking as a data transform (mmdet and mmseg pipelines)."""
from typing import Optional, Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS as MMDET_TRANSFORMS
from mmseg.registry import TRANSFORMS as MMSEG_TRANSFORMS

from ...models.mvc.masked_video_consistency import PATCH_MASK_KEY
from ...models.mvc.patch_mask_generator import PatchMaskGenerator

__all__ = ['VideoPatchMask']

IMAGENET_MEAN_RGB = (123.675, 116.28, 103.53)


@MMDET_TRANSFORMS.register_module()
@MMSEG_TRANSFORMS.register_module()
class VideoPatchMask(BaseTransform):
    """Mask random blocks of every frame of a clip (or of one image).

    Place it after ``PackTrackInputs`` / ``PackSegInputs`` / ``PackDetInputs`` (works on the
    packed ``inputs`` tensor, ``(T, C, H, W)`` or ``(C, H, W)``), or after the loading and
    geometric transforms (works on ``img``: one ``(H, W, C)`` array or the list of a clip).

    Args:
        block_size, mask_ratio, mode, frame_prob, seed: as in :class:`PatchMaskGenerator`.
        fill: per-channel value of masked pixels, in RGB order; default the ImageNet mean used
            by the configs' data preprocessors, which normalises it to 0.
        channel_order: channel order of the images at this point of the pipeline (mmcv loads
            ``'bgr'``).
        keep_clean: leave the frames untouched and put the masks into the data sample's
            metainfo (``mvc_patch_mask``) for ``MaskedVideoConsistency``, which then builds the
            masked view itself; needs the packed form.
    """

    def __init__(self, block_size: int = 64, mask_ratio: float = 0.7, mode: str = 'frame',
                 frame_prob: float = 1.0, seed: Optional[int] = None,
                 fill: Sequence[float] = IMAGENET_MEAN_RGB, channel_order: str = 'bgr',
                 keep_clean: bool = False) -> None:
        if channel_order not in ('bgr', 'rgb'):
            raise ValueError(f"VideoPatchMask: channel_order must be 'bgr' or 'rgb', "
                             f'got {channel_order!r}')
        self.generator = PatchMaskGenerator(block_size, mask_ratio, mode, frame_prob, seed)
        fill = [float(v) for v in fill]
        self.fill = fill[::-1] if channel_order == 'bgr' and len(fill) == 3 else fill
        self.keep_clean = keep_clean

    def _mask(self, t: int, h: int, w: int) -> torch.Tensor:
        return self.generator(1, t, h, w)[0]

    def transform(self, results: dict) -> dict:
        if 'inputs' in results:
            return self._transform_packed(results)
        if self.keep_clean:
            raise ValueError('VideoPatchMask(keep_clean=True) must come after the Pack*Inputs '
                             'transform (it stores the masks in the data sample)')
        if 'img' not in results:
            raise KeyError("VideoPatchMask needs 'img' or packed 'inputs' in the results")
        imgs = results['img']
        is_list = isinstance(imgs, (list, tuple))
        frames = list(imgs) if is_list else [imgs]
        h, w = frames[0].shape[:2]
        if any(f.shape[:2] != (h, w) for f in frames):
            raise ValueError('VideoPatchMask: frames of one clip differ in size '
                             f'{[f.shape[:2] for f in frames]}')
        mask = self._mask(len(frames), h, w).numpy()
        fill = np.asarray(self.fill if frames[0].ndim == 3 else self.fill[:1])
        if np.issubdtype(frames[0].dtype, np.integer):
            fill = np.rint(fill)  # round like the packed path (astype alone truncates)
        out = [np.where(m[..., None] if f.ndim == 3 else m, fill.astype(f.dtype), f)
               for f, m in zip(frames, mask)]
        results['img'] = out if is_list else out[0]
        return results

    def _transform_packed(self, results: dict) -> dict:
        inputs = results['inputs']
        video = inputs.dim() == 4
        t = inputs.shape[0] if video else 1
        h, w = inputs.shape[-2:]
        mask = self._mask(t, h, w)
        if self.keep_clean:
            results['data_samples'].set_metainfo({PATCH_MASK_KEY: mask if video else mask[0]})
            return results
        fill = torch.tensor(self.fill, dtype=torch.float32).round().to(inputs.dtype) \
            if not inputs.is_floating_point() else torch.tensor(self.fill, dtype=inputs.dtype)
        results['inputs'] = PatchMaskGenerator.apply(inputs, mask if video else mask[0], fill)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(generator={self.generator!r}, fill={self.fill}, '
                f'keep_clean={self.keep_clean})')
