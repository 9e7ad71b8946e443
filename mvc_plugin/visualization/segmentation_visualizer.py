"""Per-frame drawing of video semantic (VSS) and panoptic (VPS) predictions.

* :class:`SemanticMapVisualizer` -- mmseg's ``SegLocalVisualizer`` (draws ``pred_sem_seg`` /
  ``gt_sem_seg`` with one palette colour per class and the class name on each region), with the
  name's position computed vectorised: mmseg sorts every pixel of a region as a Python list,
  about 0.4 s for a 480x720 region, per class and per frame; the position is the same.
* :class:`VideoPanopticVisualizer` -- mmdet's ``pred_panoptic_seg`` (``label + id *
  INSTANCE_OFFSET`` for things, ``label`` for stuff, ``num_classes`` for void) drawn as stuff
  regions in their class colour (:class:`SemanticMapVisualizer`) and things as tracks in a colour
  of their instance id (:class:`VideoTrackVisualizer`, ``"<class> #<id> <score>"`` labels).
  mmdet's ``DetLocalVisualizer`` also draws ``pred_panoptic_seg``, but colours things by class,
  so two tracks of one class would look alike and a track's colour would not identify it.
"""
import time
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmdet.evaluation.functional import INSTANCE_OFFSET
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData, PixelData
from mmseg.registry import VISUALIZERS
from mmseg.structures import SegDataSample
from mmseg.visualization import SegLocalVisualizer

from .track_visualizer import VideoTrackVisualizer, class_palette

__all__ = ['SemanticMapVisualizer', 'VideoPanopticVisualizer', 'dataset_palette']

Colour = Tuple[int, int, int]


def dataset_palette(classes: Sequence[str], palette: Optional[Sequence] = None) -> List[Colour]:
    """The dataset's palette when it has one colour per class, else :func:`class_palette`."""
    if palette is not None and len(palette) == len(classes):
        return [tuple(int(c) for c in colour) for colour in palette]
    return class_palette(len(classes))


@VISUALIZERS.register_module()
class SemanticMapVisualizer(SegLocalVisualizer):
    """mmseg's ``SegLocalVisualizer`` with a fast class-name position (see the module doc).

    Args: as :class:`mmseg.visualization.SegLocalVisualizer`.
    """

    def _get_center_loc(self, mask: np.ndarray) -> np.ndarray:
        """The middle pixel of the region's longest row (mmseg's choice; ties: the top row)."""
        loc = np.argwhere(mask == 1)  # row-major, i.e. already sorted by (y, x)
        _, starts, counts = np.unique(loc[:, 0], return_index=True, return_counts=True)
        k = int(counts.argmax())
        y, x = loc[starts[k] + counts[k] // 2]
        return np.array([x, y])

    def draw_semantic(self, image: np.ndarray, sem_seg: np.ndarray,
                      with_labels: bool = True) -> np.ndarray:
        """``image`` (RGB) with the class map ``sem_seg`` (H, W; values >= the number of classes
        are not drawn) blended in; returns the drawn RGB image."""
        sample = SegDataSample()
        sample.pred_sem_seg = PixelData(data=torch.as_tensor(np.asarray(sem_seg))[None])
        self.add_datasample('frame', image, sample, draw_gt=False, with_labels=with_labels)
        return self.get_image()


class VideoPanopticVisualizer:
    """Draw mmdet ``pred_panoptic_seg`` maps of a video: stuff by class, things by instance id.

    Args:
        classes: class names (things first, then stuff).
        num_thing_classes: labels below it are things.
        palette: the colour of each class (stuff regions); default :func:`class_palette`.
        alpha: opacity of the drawn regions.
    """

    def __init__(self, classes: Sequence[str], num_thing_classes: int,
                 palette: Optional[Sequence] = None, alpha: float = 0.5) -> None:
        self.classes = list(classes)
        self.num_thing_classes = int(num_thing_classes)
        stamp = f'{time.time()}-{id(self)}'
        self.stuff_vis = SemanticMapVisualizer(name=f'panoptic-stuff-{stamp}', alpha=alpha)
        self.stuff_vis.dataset_meta = dict(classes=self.classes,
                                           palette=dataset_palette(self.classes, palette))
        self.thing_vis = VideoTrackVisualizer(name=f'panoptic-things-{stamp}', alpha=alpha)
        self.thing_vis.dataset_meta = dict(classes=self.classes)

    def draw(self, image: np.ndarray, panoptic: np.ndarray,
             scores: Optional[Dict[int, float]] = None) -> np.ndarray:
        """``image`` (RGB) with the panoptic map (H, W, mmdet encoding) drawn; ``scores``: an
        optional score per thing instance id, shown in its label. Void pixels are darkened."""
        pan = np.asarray(panoptic).astype(np.int64)
        labels = pan % INSTANCE_OFFSET
        ids = pan // INSTANCE_OFFSET
        thing = ids > 0
        stuff = np.where(~thing & (labels < len(self.classes)), labels, 255)
        drawn = self.stuff_vis.draw_semantic(image, stuff)
        drawn = np.where(thing[..., None], image, drawn)  # things are drawn on the frame
        values = [int(v) for v in np.unique(pan[thing])]
        instances = InstanceData()
        instances.masks = np.stack([pan == v for v in values]) if values else \
            np.zeros((0, *pan.shape), bool)
        instances.labels = torch.as_tensor([v % INSTANCE_OFFSET for v in values],
                                           dtype=torch.long)
        instances.instances_id = torch.as_tensor([v // INSTANCE_OFFSET for v in values],
                                                 dtype=torch.long)
        if scores is not None:
            instances.scores = torch.as_tensor(
                [float(scores.get(v // INSTANCE_OFFSET, 1.0)) for v in values],
                dtype=torch.float32)
        sample = DetDataSample()
        sample.pred_track_instances = instances
        self.thing_vis.add_datasample('frame', drawn, sample, draw_gt=False,
                                      pred_score_thr=-1.0)
        return self.thing_vis.get_image()
