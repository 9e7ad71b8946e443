"""``VSPWVideoDataset``: VSPW videos (official layout) as mmdet video samples, for video models.

The per-frame :class:`VSPWDataset` serves mmseg's image segmentors; this class serves models that
take clips (training) and whole videos (test), such as ``DecoupledVideoSegmentor`` with
``task='vss'``. Labels are read per frame by ``LoadVideoSemanticAnnotations`` (raw 0 and 255
ignored, others shifted by -1: 124 classes).
"""
import os.path as osp
from typing import List, Optional, Tuple

from mmdet.registry import DATASETS
from mmengine.logging import print_log
from PIL import Image

from .segmentation_video_dataset import SegmentationVideoDataset
from .validation import require_dir
from .vspw_dataset import read_vspw_classes, read_vspw_split

__all__ = ['VSPWVideoDataset']


@DATASETS.register_module()
class VSPWVideoDataset(SegmentationVideoDataset):
    """VSPW videos listed in a split file.

    Args:
        split: split file relative to ``data_root`` (one video per line).
        label_map_file: the release's ``label_num_dic_final.json`` (class names when
            ``metainfo`` has none).
        data_prefix: ``dict(img_path='data')`` by default (``<data>/<video>/origin|mask``).
        frame_check, and the rest: as in :class:`SegmentationVideoDataset`.
    """

    def __init__(self, split: str = 'train.txt',
                 label_map_file: Optional[str] = 'label_num_dic_final.json',
                 metainfo: Optional[dict] = None, data_root: Optional[str] = None,
                 data_prefix: Optional[dict] = None, **kwargs) -> None:
        self.split = split
        if data_root:
            require_dir(data_root, 'VSPWVideoDataset.data_root')
        metainfo = dict(metainfo or {})
        if metainfo.get('classes') is None and label_map_file:
            metainfo['classes'] = read_vspw_classes(
                osp.join(data_root or '', label_map_file))
        super().__init__(metainfo=metainfo, data_root=data_root,
                         data_prefix=data_prefix or dict(img_path='data'), **kwargs)

    def read_videos(self) -> List[Tuple[str, List[dict]]]:
        split_path = osp.join(self.data_root or '', self.split)
        videos = read_vspw_split(self.data_prefix.get('img_path') or '', split_path,
                                 self.frame_check)
        print_log(f'VSPWVideoDataset: {len(videos)} videos, '
                  f'{sum(len(f) for _, f in videos)} frames, '
                  f'{len(self.metainfo["classes"])} classes', 'current')
        out = []
        for video, frames in videos:
            # frame size from the first frame's header (mmdet's aspect-ratio batch samplers
            # need it; the frames of a VSPW video share one size)
            width, height = _image_size(frames[0][0]) if frames else (0, 0)
            out.append((video, [dict(img_path=img, seg_map_path=seg, width=width, height=height)
                                for img, seg in frames]))
        return out


def _image_size(path: str) -> Tuple[int, int]:
    """``(width, height)`` read from the image header."""
    with Image.open(path) as img:
        return img.size
