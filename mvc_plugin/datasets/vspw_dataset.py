"""VSPW (video semantic segmentation) read from its official layout, for mmseg.

Layout: ``<root>/data/<video>/origin/<frame>.jpg``, ``<root>/data/<video>/mask/<frame>.png``,
``<root>/<split>.txt`` (one video per line) and ``<root>/label_num_dic_final.json``
(class name -> raw label). Raw label 0 ("others") and 255 are ignored and the other labels shift
by -1, which is exactly mmseg's ``reduce_zero_label``; VSPW then has 124 classes.
"""
import json
import os
import os.path as osp
from typing import List, Optional, Tuple

from mmengine.logging import print_log
from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from .corrupt_frames import CorruptFrameFallbackMixin
from .validation import DatasetError, check_frames, frame_check_level, require_dir

__all__ = ['VSPWDataset', 'read_vspw_classes', 'read_vspw_split']

IMG_EXTS = ('.jpg', '.jpeg', '.png')


@DATASETS.register_module()
class VSPWDataset(CorruptFrameFallbackMixin, BaseSegDataset):
    """Frames of VSPW videos as mmseg samples, each carrying its video name and frame index.

    Args:
        split: split file relative to ``data_root`` listing the videos.
        label_map_file: the release's ``label_num_dic_final.json``; gives the class names when
            ``metainfo`` has none.
        frame_check: how frame and mask files are checked at load time
            (``'none' | 'exists' | 'header' | 'decode'``).
        Other arguments as in :class:`mmseg.datasets.BaseSegDataset`; ``data_prefix`` defaults
        to ``dict(img_path='data')``.
    """

    def __init__(self, split: str = 'train.txt',
                 label_map_file: Optional[str] = 'label_num_dic_final.json',
                 frame_check: str = 'header', reduce_zero_label: bool = True,
                 metainfo: Optional[dict] = None, data_root: Optional[str] = None,
                 data_prefix: Optional[dict] = None, **kwargs) -> None:
        self.split = split
        self.frame_check = frame_check_level(frame_check)
        if data_root:
            require_dir(data_root, 'VSPWDataset.data_root')
        metainfo = dict(metainfo or {})
        if metainfo.get('classes') is None and label_map_file:
            metainfo['classes'] = read_vspw_classes(osp.join(data_root or '', label_map_file))
        super().__init__(metainfo=metainfo, data_root=data_root,
                         data_prefix=data_prefix or dict(img_path='data'),
                         reduce_zero_label=reduce_zero_label, **kwargs)

    def load_data_list(self) -> List[dict]:
        split_path = osp.join(self.data_root or '', self.split)
        root = self.data_prefix.get('img_path') or ''
        videos = read_vspw_split(root, split_path, self.frame_check)
        data_list = []
        for video, frames in videos:
            for t, (img, seg) in enumerate(frames):
                data_list.append(dict(img_path=img, seg_map_path=seg, label_map=self.label_map,
                                      reduce_zero_label=self.reduce_zero_label, seg_fields=[],
                                      video=video, frame_id=t, video_length=len(frames)))
        print_log(f'VSPWDataset: {len(videos)} videos, {len(data_list)} frames, '
                  f'{len(self.metainfo["classes"])} classes', 'current')
        return data_list


def read_vspw_split(root: str, split_path: str,
                    frame_check: str = 'header') -> List[Tuple[str, List[Tuple[str, str]]]]:
    """``[(video, [(frame path, mask path), ...]), ...]`` of the videos listed in a split file.

    Frames are sorted by name; all problems (missing folders, empty videos, unreadable files)
    are raised together as one :class:`DatasetError`.
    """
    if not osp.isfile(split_path):
        raise DatasetError('VSPW split file not found', [f'{split_path}: no such file'])
    with open(split_path) as f:
        names = [line.strip() for line in f if line.strip()]
    videos, problems, paths = [], [], []
    for video in names:
        img_dir, mask_dir = osp.join(root, video, 'origin'), osp.join(root, video, 'mask')
        if not osp.isdir(img_dir):
            problems.append(f'{img_dir}: video "{video}" listed in {split_path} has no '
                            'origin/ folder')
            continue
        frames = sorted(n for n in os.listdir(img_dir) if n.lower().endswith(IMG_EXTS))
        if not frames:
            problems.append(f'{img_dir}: video "{video}" has no frames')
        pairs = [(osp.join(img_dir, n), osp.join(mask_dir, osp.splitext(n)[0] + '.png'))
                 for n in frames]
        paths += [p for pair in pairs for p in pair]
        videos.append((video, pairs))
    problems += check_frames(paths, frame_check)
    if problems:
        raise DatasetError(f'VSPW data under {root} ({split_path})', problems)
    return videos


def read_vspw_classes(path: str) -> tuple:
    """Class names ordered by raw label (1..124) from the release's ``label_num_dic_final.json``
    (labels 0 "others" and 255 are not classes)."""
    if not osp.isfile(path):
        raise DatasetError('VSPW class list not found',
                           [f'{path}: no such file (expected the release\'s '
                            f'label_num_dic_final.json, or give metainfo=dict(classes=...))'])
    with open(path) as f:
        mapping = json.load(f)
    by_label = sorted((int(v), k) for k, v in mapping.items() if 0 < int(v) < 255)
    return tuple(name for _, name in by_label)
