"""``PseudoClipRotate``: the per-frame rotation that turns copies of one image into a clip.

The official COCO pseudo videos (``dvis_Plus/data_video/augmentation.py``,
``build_pseudo_augmentation`` with ``INPUT.PSEUDO.AUGMENTATIONS: ['rotation']``,
``RandomRotationClip([-15, 15], expand=False, center=[(0.4, 0.4), (0.6, 0.6)])``) draw one angle
per frame uniformly in ``[-15, 15]`` degrees, **sort** them (so the object turns steadily through
the clip), reverse the order with probability 0.5, draw one rotation centre per clip uniformly in
the middle of the image (relative ``[0.4, 0.6]`` in x and y) and rotate every frame about it
without enlarging the canvas. Resize / crop / flip are shared by the clip and come before (the
official order: crop, resize, flip, rotation) -- an mmcv ``TransformBroadcaster`` with
``share_random_params=True``.

This transform works on mmdet's video layout (a dict of per-frame lists, after the broadcaster):
images are rotated bilinearly, masks (``BitmapMasks`` / ``PolygonMasks``) with them; boxes are
recomputed from the masks, and objects rotated out of the frame are removed from that frame (the
official mapper marks them empty: ``filter_empty_instances``).
"""
from typing import Dict, List, Sequence, Tuple

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS
from mmdet.structures.bbox import BaseBoxes

__all__ = ['PseudoClipRotate']

# per-object keys filtered together when an object leaves a frame
_INSTANCE_KEYS = ('gt_bboxes', 'gt_bboxes_labels', 'gt_ignore_flags', 'gt_instances_ids')


@TRANSFORMS.register_module()
class PseudoClipRotate(BaseTransform):
    """Rotate the frames of a pseudo clip by sorted random angles about one shared centre.

    Args:
        max_angle: angles are drawn uniformly in ``[-max_angle, max_angle]`` degrees (15).
        center_range: relative range of the rotation centre in x and y (``(0.4, 0.6)``).
        reverse_prob: probability of playing the sorted angles backwards (0.5).
    """

    def __init__(self, max_angle: float = 15.0,
                 center_range: Tuple[float, float] = (0.4, 0.6),
                 reverse_prob: float = 0.5) -> None:
        if max_angle < 0:
            raise ValueError(f'PseudoClipRotate: max_angle must be >= 0, got {max_angle}')
        low, high = center_range
        if not 0.0 <= low <= high <= 1.0:
            raise ValueError(f'PseudoClipRotate: center_range must satisfy 0 <= low <= high <= 1, '
                             f'got {center_range}')
        self.max_angle, self.center_range = float(max_angle), (float(low), float(high))
        self.reverse_prob = float(reverse_prob)

    def clip_params(self, num_frames: int) -> Tuple[np.ndarray, Tuple[float, float]]:
        """The clip's angles (degrees, one per frame) and relative centre ``(x, y)``."""
        angles = np.sort(np.random.uniform(-self.max_angle, self.max_angle, size=num_frames))
        center = tuple(np.random.uniform(*self.center_range, size=2).tolist())
        if np.random.rand() < self.reverse_prob:
            angles = angles[::-1]
        return angles, center

    def transform(self, results: Dict[str, List]) -> Dict[str, List]:
        """Rotate ``img`` / ``gt_masks`` of every frame; drop objects that left a frame."""
        if not isinstance(results.get('img'), Sequence) or isinstance(results['img'], np.ndarray):
            raise TypeError('PseudoClipRotate works on a clip (dict of per-frame lists, after a '
                            'TransformBroadcaster); got a single image')
        angles, (cx, cy) = self.clip_params(len(results['img']))
        for t, angle in enumerate(angles):
            img = results['img'][t]
            h, w = img.shape[:2]
            center = (cx * w, cy * h)
            results['img'][t] = mmcv.imrotate(img, float(angle), center=center,
                                              interpolation='bilinear')
            masks = results.get('gt_masks', [None] * len(angles))[t]
            if masks is None:
                continue
            masks = masks.rotate((h, w), float(angle), center=center, border_value=0,
                                 **({'interpolation': 'nearest'}
                                    if hasattr(masks, 'masks') and isinstance(
                                        getattr(masks, 'masks'), np.ndarray) else {}))
            keep = self._nonempty(masks)
            results['gt_masks'][t] = masks[keep]
            for key in _INSTANCE_KEYS:
                value = results.get(key)
                if value is not None and value[t] is not None:
                    value[t] = value[t][keep]
            boxes = results.get('gt_bboxes', [None] * len(angles))[t]
            if isinstance(boxes, BaseBoxes):
                results['gt_bboxes'][t] = results['gt_masks'][t].get_bboxes(type(boxes))
            elif boxes is not None:  # plain (N, 4) array (LoadAnnotations(box_type=None))
                results['gt_bboxes'][t] = results['gt_masks'][t].get_bboxes('hbox').numpy() \
                    .astype(np.asarray(boxes).dtype)
        return results

    @staticmethod
    def _nonempty(masks) -> np.ndarray:
        if hasattr(masks, 'masks') and isinstance(masks.masks, np.ndarray):
            return np.flatnonzero(masks.masks.reshape(len(masks), -1).any(axis=1))
        return np.flatnonzero(masks.areas > 0)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(max_angle={self.max_angle}, '
                f'center_range={self.center_range}, reverse_prob={self.reverse_prob})')
