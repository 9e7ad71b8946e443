"""VIPSeg (video panoptic segmentation) read from its official layout, for mmdet.

Layout: ``<root>/images/<video>/<frame>.jpg`` (the official 720p conversion; the raw release's
``imgs/`` is used when there is no ``images/``), ``<root>/panomasksRGB/<video>/<frame>.png``
(segment id = R + 256·G + 256²·B, 0 = void) and the panoptic JSON
(``panoptic_gt_VIPSeg_<split>.json``: ``categories`` with ``isthing``, ``videos`` with their
``images``, ``annotations`` with per-frame ``segments_info``). Every frame is one mmdet sample in
the format of mmdet's COCO-panoptic pipeline (``segments_info`` + thing ``instances``), carrying
its video id and frame index; labels put thing classes first, as Mask2Former expects.
"""
import os.path as osp
from typing import Dict, List, Tuple

from mmdet.datasets import BaseDetDataset
from mmdet.registry import DATASETS
from mmengine.logging import print_log

from .corrupt_frames import CorruptFrameFallbackMixin
from .checks.vipseg import check_vipseg_json
from .validation import (DatasetError, check_frames, frame_check_level, load_json_file,
                         require_dir)
from .vipseg_layout import default_image_folder, frame_image_path

__all__ = ['VIPSegDataset', 'read_vipseg']


@DATASETS.register_module()
class VIPSegDataset(CorruptFrameFallbackMixin, BaseDetDataset):
    """Frames of VIPSeg videos with panoptic annotations.

    Args:
        ann_file: the panoptic JSON.
        data_prefix: ``dict(img='images' or 'imgs' (whichever exists), seg='panomasksRGB')``
            by default; frame images are found by the stem of the JSON's ``file_name``
            (:mod:`~mvc_plugin.datasets.vipseg_layout`).
        frame_check: ``'none' | 'exists' | 'header' | 'decode'`` for frames and PNGs.
    """

    def __init__(self, *args, frame_check: str = 'header', **kwargs) -> None:
        self.frame_check = frame_check_level(frame_check)
        kwargs.setdefault('data_prefix', dict(img=default_image_folder(kwargs.get('data_root')),
                                              seg='panomasksRGB'))
        super().__init__(*args, **kwargs)

    def load_data_list(self) -> List[dict]:
        if self.data_root:
            require_dir(self.data_root, 'VIPSegDataset.data_root')
        videos, thing, stuff, self.cat2label = read_vipseg(
            self.ann_file, self.data_prefix, self._metainfo, self.frame_check)
        data_list = [frame for _, frames in videos for frame in frames]
        print_log(f'VIPSegDataset: {len(videos)} videos, {len(data_list)} frames, '
                  f'{len(thing)} thing + {len(stuff)} stuff classes', 'current')
        return data_list


def read_vipseg(ann_file: str, data_prefix: dict, metainfo: dict,
                frame_check: str = 'header'
                ) -> Tuple[List[Tuple[str, List[dict]]], list, list, Dict[int, int]]:
    """Parse a VIPSeg panoptic JSON into ``[(video_id, [frame info, ...]), ...]``, the thing
    and stuff class names, and the category id -> label map.

    ``metainfo`` gets ``classes`` (things first, then stuff), ``thing_classes`` and
    ``stuff_classes`` unless it already has ``classes``. Each frame info is mmdet's COCO-panoptic form (``img_path``,
    ``seg_map_path``, ``segments_info`` with ``id``, ``category``, ``is_thing``, ``iscrowd``, thing
    ``instances``) plus ``video_id``, ``frame_id``, ``video_length``. All problems are raised
    together as one :class:`DatasetError`.
    """
    data = load_json_file(ann_file, 'a VIPSeg panoptic JSON')
    problems = check_vipseg_json(data, ann_file)  # types of every field read below
    if problems:
        raise DatasetError(f'invalid annotation file {ann_file}', problems)
    cats = sorted(data['categories'], key=lambda c: (not c['isthing'], c['id']))
    thing = [c['name'] for c in cats if c['isthing']]
    stuff = [c['name'] for c in cats if not c['isthing']]
    if metainfo.get('classes') is None:
        metainfo.update(classes=tuple(thing + stuff), thing_classes=tuple(thing),
                        stuff_classes=tuple(stuff))
    name_to_cat = {c['name']: c for c in cats}
    cat2label = {name_to_cat[n]['id']: i for i, n in enumerate(metainfo['classes'])
                 if n in name_to_cat}
    is_thing = {c['id']: bool(c['isthing']) for c in cats}

    anns = {a.get('video_id'): a.get('annotations') for a in data['annotations']}
    img_root, seg_root = data_prefix.get('img', ''), data_prefix.get('seg', '')
    videos, paths = [], []
    for video in data['videos']:
        vid, images = video.get('video_id'), video.get('images') or []
        frames = anns.get(vid)
        if frames is None or len(frames) != len(images):
            problems.append(f'{ann_file}: video {vid}: {len(images)} images but '
                            f'{"no" if frames is None else len(frames)} annotated frames')
            continue
        infos = []
        for t, (img, ann) in enumerate(zip(images, frames)):
            if str(ann.get('image_id')) != str(img.get('id')):
                problems.append(f'{ann_file}: video {vid} frame {t}: image "{img.get("id")}" '
                                f'but annotation of image "{ann.get("image_id")}" (images and '
                                'annotations must list the same frames in the same order)')
            segments, instances = [], []
            for seg in ann.get('segments_info', []):
                label = cat2label.get(seg.get('category_id'))
                if label is None:
                    problems.append(f'{ann_file}: video {vid} frame {t}: segment '
                                    f'{seg.get("id")} has unknown category_id '
                                    f'{seg.get("category_id")!r}')
                    continue
                countable = is_thing[seg['category_id']] and not seg.get('iscrowd', 0)
                segments.append(dict(id=seg['id'], category=label, is_thing=countable,
                                     iscrowd=int(bool(seg.get('iscrowd', 0)))))
                x, y, w, h = seg.get('bbox', (0, 0, 0, 0))
                if is_thing[seg['category_id']] and w >= 1 and h >= 1:
                    instances.append(dict(bbox=[x, y, x + w, y + h], bbox_label=label,
                                          ignore_flag=int(bool(seg.get('iscrowd', 0)))))
            img_path = frame_image_path(img_root, vid, img['file_name'])
            seg_path = osp.join(seg_root, vid, ann['file_name'])
            paths += [img_path, seg_path]
            infos.append(dict(
                img_path=img_path, seg_map_path=seg_path, img_id=f'{vid}/{img["id"]}',
                height=img['height'], width=img['width'], segments_info=segments,
                instances=instances, video_id=vid, frame_id=t, video_length=len(images)))
        videos.append((vid, infos))
    problems += check_frames(paths, frame_check)
    if problems:
        raise DatasetError(f'VIPSeg data {ann_file}', problems)
    return videos, thing, stuff, cat2label
