"""``LoadVideoPanopticAnnotations``: mmdet's panoptic annotation loading without panopticapi.

mmdet's ``LoadPanopticAnnotations`` imports ``panopticapi`` (installable only from GitHub) for a
single function, ``rgb2id``. This subclass supplies the plug-in's own ``rgb2id`` and is otherwise
mmdet's transform, unchanged.
"""
from mmdet.datasets.transforms import LoadAnnotations, LoadPanopticAnnotations
from mmdet.registry import TRANSFORMS

from ...evaluation.functional.vipseg_eval import rgb2id

__all__ = ['LoadVideoPanopticAnnotations']


@TRANSFORMS.register_module()
class LoadVideoPanopticAnnotations(LoadPanopticAnnotations):
    """Load VIPSeg / COCO-panoptic RGB id PNGs into masks, labels and a semantic map."""

    def __init__(self, with_bbox: bool = True, with_label: bool = True, with_mask: bool = True,
                 with_seg: bool = True, box_type: str = 'hbox', imdecode_backend: str = 'cv2',
                 backend_args: dict = None) -> None:
        self.rgb2id = rgb2id
        LoadAnnotations.__init__(self, with_bbox=with_bbox, with_label=with_label,
                                 with_mask=with_mask, with_seg=with_seg, with_keypoints=False,
                                 box_type=box_type, imdecode_backend=imdecode_backend,
                                 backend_args=backend_args)
