"""YouTube-VIS-style datasets read from the official JSON, unchanged.

mmdet's ``YouTubeVISDataset`` expects the JSON first converted to its CocoVID layout. This class
reads the JSON as released (``videos`` with ``file_names``, per-track ``segmentations``), and
validates data root, JSON structure and frame files before training starts.
"""
import os.path as osp
from collections import defaultdict
from typing import List, Optional

from mmdet.datasets import BaseVideoDataset
from mmdet.datasets import YouTubeVISDataset as _MMDetYouTubeVIS
from mmdet.registry import DATASETS
from mmengine.logging import print_log
from pycocotools import mask as mask_utils

from .corrupt_frames import CorruptFrameFallbackMixin
from .segm_formats import is_empty_segm, is_polygon, segm_to_rle
from .validation import (DatasetError, check_frames, check_ytvis_json, frame_check_level,
                         load_json_file, require_dir)

__all__ = ['VideoInstanceDataset']


@DATASETS.register_module()
class VideoInstanceDataset(CorruptFrameFallbackMixin, BaseVideoDataset):
    """Video instance segmentation dataset in the official YouTube-VIS JSON format.

    Args:
        dataset_version: ``'2019'`` or ``'2021'`` to use the official YouTube-VIS class list;
            ``None`` takes the classes from the JSON's ``categories`` (ordered by id).
        frame_check: how frame files are checked at load time, one of
            ``'none' | 'exists' | 'header' | 'decode'`` (default: existence + image header).
        Other arguments as in :class:`mmengine.dataset.BaseDataset` (``ann_file``, ``data_root``,
        ``data_prefix=dict(img_path=...)``, ``pipeline``, ``test_mode``, ``filter_cfg``...).
    """

    def __init__(self, *args, dataset_version: Optional[str] = None,
                 frame_check: str = 'header', **kwargs) -> None:
        self.dataset_version = dataset_version
        self.frame_check = frame_check_level(frame_check)
        if dataset_version is not None:
            # mmdet's classmethod sets METAINFO on the class it is called on: call it on a
            # throwaway subclass so mmdet's own YouTubeVISDataset is left untouched
            versioned = type('_VersionedYouTubeVIS', (_MMDetYouTubeVIS, ), {})
            versioned.set_dataset_classes(dataset_version)  # also validates the version
            metainfo = dict(versioned.METAINFO)
            metainfo.update(kwargs.pop('metainfo', None) or {})
            kwargs['metainfo'] = metainfo
        super().__init__(*args, **kwargs)

    def _load_metainfo_from_json(self, data: dict) -> None:
        cats = sorted(data['categories'], key=lambda c: c['id'])
        if self._metainfo.get('classes') is None:
            self._metainfo['classes'] = tuple(c['name'] for c in cats)
        name_to_id = {c['name']: c['id'] for c in cats}
        missing = [n for n in self._metainfo['classes'] if n not in name_to_id]
        if missing:
            raise DatasetError(f'classes of {self.ann_file}',
                               [f'{self.ann_file}: classes {missing} not in "categories"'])
        self.cat_ids = [name_to_id[n] for n in self._metainfo['classes']]
        self.cat2label = {cat_id: i for i, cat_id in enumerate(self.cat_ids)}

    def load_data_list(self) -> List[dict]:
        """Parse the official JSON into mmdet's per-video ``images`` lists."""
        what = 'a YouTube-VIS dataset'
        if self.data_root:
            require_dir(self.data_root, f'{self.__class__.__name__}.data_root')
        data = load_json_file(self.ann_file, f'{what} annotation JSON')
        problems = check_ytvis_json(data, self.ann_file, require_annotations=not self.test_mode)
        if problems:
            raise DatasetError(f'invalid annotation file {self.ann_file}', problems)
        self._load_metainfo_from_json(data)

        img_root = self.data_prefix.get('img_path', '') or ''
        require_dir(img_root or '.', f'{self.__class__.__name__} frame folder (data_prefix.img_path)')
        tracks_by_video = defaultdict(list)
        for ann in data.get('annotations') or []:
            if ann['category_id'] in self.cat2label:
                tracks_by_video[ann['video_id']].append(ann)

        self.cat_img_map = defaultdict(list)
        self.img_ids_with_ann = set()
        data_list, frame_paths, img_id = [], [], 0
        for video in data['videos']:
            images = []
            for frame_id, file_name in enumerate(video['file_names']):
                img_path = osp.join(img_root, file_name)
                frame_paths.append(img_path)
                instances = self._frame_instances(tracks_by_video[video['id']], frame_id,
                                                 video['height'], video['width'])
                for inst in instances:
                    self.cat_img_map[self.cat_ids[inst['bbox_label']]].append(img_id)
                if instances:
                    self.img_ids_with_ann.add(img_id)
                images.append(dict(img_id=img_id, img_path=img_path, file_name=file_name,
                                   height=video['height'], width=video['width'],
                                   frame_id=frame_id, video_id=video['id'],
                                   instances=instances))
                img_id += 1
            data_list.append(dict(video_id=video['id'], images=images,
                                  video_length=len(images)))

        problems = check_frames(frame_paths, self.frame_check)
        if problems:
            raise DatasetError(f'frames of {self.ann_file} under {img_root}', problems)
        print_log(f'{self.__class__.__name__}: {len(data_list)} videos, {len(frame_paths)} '
                  f'frames, {len(self.cat_ids)} classes from {self.ann_file}', 'current')
        return data_list

    def _frame_instances(self, tracks: List[dict], frame_id: int, height: int,
                         width: int) -> List[dict]:
        """Instances of one frame in mmdet's format (xyxy box, label, RLE mask, track id);
        polygons are rasterised at the video's (height, width)."""
        instances = []
        for ann in tracks:
            seg = ann['segmentations'][frame_id]
            if is_empty_segm(seg):
                continue
            # polygons and uncompressed RLE -> compressed RLE, as the official ytvos API does
            if is_polygon(seg) or isinstance(seg['counts'], list):
                seg = segm_to_rle(seg, height, width)
            x, y, w, h = mask_utils.toBbox(seg).tolist()
            if w < 1 or h < 1:
                continue
            instances.append(dict(bbox=[x, y, x + w, y + h],
                                  bbox_label=self.cat2label[ann['category_id']],
                                  mask=seg, instance_id=ann['id'],
                                  ignore_flag=int(bool(ann.get('iscrowd', 0)))))
        return instances
