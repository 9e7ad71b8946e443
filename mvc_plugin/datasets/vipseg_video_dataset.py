"""``VIPSegVideoDataset``: VIPSeg videos (official layout) as mmdet video samples.

The per-frame :class:`VIPSegDataset` serves mmdet's image panoptic segmentors; this class serves
video models (clips in training, whole videos in test), such as ``DecoupledVideoSegmentor`` with
``task='vps'``. Each frame carries its ``segments_info``; ``LoadVideoPanopticTracks`` turns the
RGB id PNG into one target per segment whose track id is the VIPSeg segment id (consistent over
the video), so things and stuff are both tracked.
"""
from typing import List, Tuple

from mmdet.registry import DATASETS
from mmengine.logging import print_log

from .segmentation_video_dataset import SegmentationVideoDataset
from .validation import require_dir
from .vipseg_dataset import read_vipseg
from .vipseg_layout import default_image_folder

__all__ = ['VIPSegVideoDataset']


@DATASETS.register_module()
class VIPSegVideoDataset(SegmentationVideoDataset):
    """VIPSeg videos of one panoptic JSON (``ann_file``).

    Args:
        data_prefix: ``dict(img='images' or 'imgs' (whichever exists), seg='panomasksRGB')``
            by default, as :class:`VIPSegDataset`.
        Other arguments as in :class:`SegmentationVideoDataset`. Classes: things first, then
        stuff (``metainfo`` gets ``thing_classes`` / ``stuff_classes``).
    """

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault('data_prefix', dict(img=default_image_folder(kwargs.get('data_root')),
                                              seg='panomasksRGB'))
        super().__init__(*args, **kwargs)

    def read_videos(self) -> List[Tuple[str, List[dict]]]:
        if self.data_root:
            require_dir(self.data_root, 'VIPSegVideoDataset.data_root')
        videos, thing, stuff, self.cat2label = read_vipseg(
            self.ann_file, self.data_prefix, self._metainfo, self.frame_check)
        print_log(f'VIPSegVideoDataset: {len(videos)} videos, '
                  f'{sum(len(f) for _, f in videos)} frames, {len(thing)} thing + '
                  f'{len(stuff)} stuff classes', 'current')
        return videos
