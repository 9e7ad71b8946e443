"""OVIS (Occluded Video Instance Segmentation): the YouTube-VIS JSON format, 25 classes, plus
per-annotation occlusion levels, which are kept on every instance (``occlusion``)."""
from typing import List

from mmdet.registry import DATASETS

from .video_instance_dataset import VideoInstanceDataset

__all__ = ['OVISDataset']


@DATASETS.register_module()
class OVISDataset(VideoInstanceDataset):
    """OVIS videos read from the official JSON (classes from its ``categories``).

    OVIS annotations may carry ``occlusion`` (one level per annotation, or one per frame); the
    value of the frame is stored on each instance so that metrics can split by occlusion.
    """

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault('dataset_version', None)
        super().__init__(*args, **kwargs)

    def _frame_instances(self, tracks: List[dict], frame_id: int, height: int,
                         width: int) -> List[dict]:
        instances = super()._frame_instances(tracks, frame_id, height, width)
        by_id = {ann['id']: ann for ann in tracks}
        for inst in instances:
            occ = by_id[inst['instance_id']].get('occlusion')
            if isinstance(occ, list):
                occ = occ[frame_id] if frame_id < len(occ) else None
            inst['occlusion'] = occ
        return instances
