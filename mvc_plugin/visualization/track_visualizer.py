"""``VideoTrackVisualizer``: mmdet's ``TrackLocalVisualizer`` with a fixed colour per track id.

Why: mmdet's ``TrackLocalVisualizer`` picks a track's colour with seaborn, which neither mmdet
nor this plug-in installs (drawing fails with "please install seaborn"), and from only ten
colours, so neighbouring tracks often share one. This subclass keeps mmdet's interface
(``add_datasample``, ``dataset_meta``, GT / prediction side by side) and draws each instance's
mask, outline, box and ``"<class> #<track id>"`` label in a colour that depends only on the
track id, so a track keeps its colour across frames and videos.
"""
import colorsys
from typing import List, Tuple

import numpy as np
import torch
from mmdet.registry import VISUALIZERS
from mmdet.structures.mask import BitmapMasks, PolygonMasks, bitmap_to_polygon
from mmdet.visualization import TrackLocalVisualizer
from mmengine.structures import InstanceData

__all__ = ['VideoTrackVisualizer', 'class_palette', 'track_colour']

_GOLDEN = 0.618033988749895


def track_colour(track_id: int) -> Tuple[int, int, int]:
    """Deterministic, saturated RGB colour of an id; consecutive ids get distant hues."""
    hue = (0.07 + _GOLDEN * int(track_id)) % 1.0
    value = 0.95 if int(track_id) % 2 else 0.8
    r, g, b = colorsys.hsv_to_rgb(hue, 0.8, value)
    return int(round(255 * r)), int(round(255 * g)), int(round(255 * b))


def class_palette(num_classes: int) -> List[Tuple[int, int, int]]:
    """Deterministic RGB colour of each class (for datasets without a palette): the hues of
    :func:`track_colour` from id 1000 on, so class and low track-id colours differ."""
    return [track_colour(1000 + k) for k in range(num_classes)]


def _bool_masks(masks) -> np.ndarray:
    if isinstance(masks, (BitmapMasks, PolygonMasks)):
        masks = masks.to_ndarray()
    elif isinstance(masks, torch.Tensor):
        masks = masks.cpu().numpy()
    return np.asarray(masks).astype(bool)


def _numpy(values) -> np.ndarray:
    if hasattr(values, 'tensor'):  # mmdet box structures
        values = values.tensor
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    return np.asarray(values)


@VISUALIZERS.register_module()
class VideoTrackVisualizer(TrackLocalVisualizer):
    """Track / video-instance visualizer whose colours are a function of the track id.

    Args: as :class:`mmdet.visualization.TrackLocalVisualizer`.
    """

    def _draw_instances(self, image: np.ndarray, instances: InstanceData) -> np.ndarray:
        """Draw ``instances`` (``instances_id``, ``labels``; ``masks`` and / or ``bboxes``;
        optional ``scores``) on ``image`` (RGB); returns the drawn RGB image."""
        self.set_image(image)
        if len(instances) == 0:
            return self.get_image()
        classes = self.dataset_meta.get('classes')
        ids = [int(i) for i in _numpy(instances.instances_id)]
        labels = [int(v) for v in _numpy(instances.labels)]
        colours = [track_colour(i) for i in ids]
        texts = [f'{classes[k] if classes is not None and k < len(classes) else f"cls{k}"} #{i}'
                 for k, i in zip(labels, ids)]
        if 'scores' in instances:
            texts = [f'{t} {float(s):.2f}' for t, s in zip(texts, _numpy(instances.scores))]

        height, width = image.shape[:2]
        limits = np.array([width - 1, height - 1], np.float32)  # mmengine warns outside these
        positions = None
        if 'masks' in instances:
            masks = _bool_masks(instances.masks)
            self.draw_binary_masks(masks, colors=colours, alphas=self.alpha)
            outlines: List[np.ndarray] = [c for m in masks for c in bitmap_to_polygon(m)[0]
                                          if len(c) > 2]
            if outlines:
                self.draw_polygons(outlines, edge_colors='w', line_widths=1, alpha=self.alpha)
            positions = np.array([[xs.min(), ys.min()] if len(xs) else [0, 0]
                                  for ys, xs in (np.nonzero(m) for m in masks)], np.float32)
        if 'bboxes' in instances:
            boxes = _numpy(instances.bboxes).astype(np.float32).reshape(-1, 4)
            boxes = np.clip(boxes, 0, np.tile(limits, 2))  # xyxy ends are exclusive
            self.draw_bboxes(boxes, edge_colors=colours, alpha=self.alpha,
                             line_widths=self.line_width)
            positions = boxes[:, :2] + self.line_width
        if positions is not None:
            positions = np.clip(positions, 0, limits)
            font_size = int(np.clip(min(height, width) / 12, 6, 13))
            self.draw_texts(texts, positions, colors='black', font_sizes=font_size,
                            bboxes=[dict(facecolor=[c / 255 for c in colour], alpha=0.8,
                                         pad=0.5, edgecolor='none') for colour in colours])
        return self.get_image()
