"""Per-frame segmentation labels as *tracked* targets, for video models of VSS and VPS.

A decoupled video segmenter (DVIS design) treats every segment as an object that is tracked over
the video: each class present in a VSPW frame, each segment (thing instance or stuff region) of a
VIPSeg frame. These transforms read one frame's label PNG and write the same fields mmdet's
``LoadTrackAnnotations`` writes for VIS -- ``gt_masks`` (``BitmapMasks``), ``gt_bboxes``,
``gt_bboxes_labels``, ``gt_instances_ids``, ``gt_ignore_flags`` --, so mmdet's ``Resize`` /
``RandomFlip`` / ``PackTrackInputs`` work unchanged. (No ``gt_seg_map``: ``PackTrackInputs``
would not pack it; metrics read the label PNGs themselves.)
Track ids: the class for VSS (a class is one object through the video), the dataset's segment id
for VPS (VIPSeg ids are consistent over a video).
"""
from typing import List, Optional

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine import fileio

from mmdet.registry import TRANSFORMS
from mmdet.structures.mask import BitmapMasks

from ...evaluation.functional.vipseg_eval import rgb2id

__all__ = ['LoadVideoPanopticTracks', 'LoadVideoSemanticAnnotations']

IGNORE = 255


def _read_png(path: str, flag: str, backend_args: Optional[dict]) -> np.ndarray:
    img = mmcv.imfrombytes(fileio.get(path, backend_args=backend_args), flag=flag,
                           backend='pillow' if flag == 'unchanged' else 'cv2',
                           channel_order='rgb')
    if img is None:
        raise ValueError(f'cannot decode the label PNG {path}')
    return img


def _set_targets(results: dict, masks: List[np.ndarray], labels: List[int], ids: List[int],
                 shape: tuple, ignore: Optional[List[bool]] = None) -> None:
    h, w = shape
    stacked = np.stack(masks).astype(np.uint8) if masks else np.zeros((0, h, w), np.uint8)
    bitmaps = BitmapMasks(stacked, h, w)
    results['gt_masks'] = bitmaps
    # float32 (N, 4) xyxy, as mmdet's LoadTrackAnnotations (PackTrackInputs expects arrays)
    results['gt_bboxes'] = bitmaps.get_bboxes(dst_type='hbox').tensor.numpy().astype(np.float32)
    results['gt_bboxes_labels'] = np.asarray(labels, dtype=np.int64)
    results['gt_instances_ids'] = np.asarray(ids, dtype=np.int64)
    results['gt_ignore_flags'] = np.zeros(len(labels), dtype=bool) if ignore is None \
        else np.asarray(ignore, dtype=bool)


@TRANSFORMS.register_module()
class LoadVideoSemanticAnnotations(BaseTransform):
    """One target per class present in a semantic label PNG (``results['seg_map_path']``).

    Args:
        reduce_zero_label: VSPW's convention: raw 0 ("others") and 255 are ignored, label ``c``
            becomes ``c - 1``.
        num_classes: when given, a label ``>= num_classes`` (after reduction) raises an error
            naming the file, instead of training on an out-of-range class.
        backend_args: mmengine file backend arguments.
    """

    def __init__(self, reduce_zero_label: bool = True, num_classes: Optional[int] = None,
                 backend_args: Optional[dict] = None) -> None:
        self.reduce_zero_label = reduce_zero_label
        self.num_classes = num_classes
        self.backend_args = backend_args

    def transform(self, results: dict) -> dict:
        path = results['seg_map_path']
        raw = _read_png(path, 'unchanged', self.backend_args)
        if raw.ndim != 2:
            raise ValueError(f'{path}: a semantic label PNG must have one channel, got shape '
                             f'{raw.shape}')
        seg = raw.astype(np.int64)
        if self.reduce_zero_label:
            seg = np.where((seg == 0) | (seg == IGNORE), IGNORE, seg - 1)
        labels = [int(c) for c in np.unique(seg) if c != IGNORE]
        if self.num_classes is not None and labels and labels[-1] >= self.num_classes:
            raise ValueError(f'{path}: label {labels[-1]} is outside the {self.num_classes} '
                             'classes of the dataset')
        _set_targets(results, [seg == c for c in labels], labels, labels, seg.shape)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(reduce_zero_label={self.reduce_zero_label}, '
                f'num_classes={self.num_classes})')


@TRANSFORMS.register_module()
class LoadVideoPanopticTracks(BaseTransform):
    """One target per segment of a panoptic RGB id PNG (``seg_map_path``; id = R + 256 G +
    256² B), labelled from the frame's ``segments_info`` (``id``, ``category``).

    Crowd segments (``iscrowd``) are flagged ignored: ``PackTrackInputs`` puts them in
    ``ignored_instances``, so they are neither matched nor trained on. A pixel id absent from
    ``segments_info``, or a listed segment absent from the PNG, is an error naming the file: the
    annotation and PNGs disagree.
    """

    def __init__(self, backend_args: Optional[dict] = None) -> None:
        self.backend_args = backend_args

    def transform(self, results: dict) -> dict:
        path = results['seg_map_path']
        rgb = _read_png(path, 'color', self.backend_args)
        ids = rgb2id(rgb)
        segments = {int(s['id']): s for s in results.get('segments_info', [])}
        present = {int(v) for v in np.unique(ids)} - {0}
        unknown = sorted(present - set(segments))
        if unknown:
            raise ValueError(f'{path}: segment ids {unknown[:10]} are in the PNG but not in the '
                             "frame's segments_info")
        missing = sorted(set(segments) - present)
        if missing:
            raise ValueError(f'{path}: segments {missing[:10]} of segments_info do not appear '
                             'in the PNG')
        masks, labels, track_ids, crowd = [], [], [], []
        for seg_id in sorted(segments):
            mask = ids == seg_id
            label = int(segments[seg_id]['category'])
            masks.append(mask)
            labels.append(label)
            track_ids.append(seg_id)
            crowd.append(bool(segments[seg_id].get('iscrowd', 0)))
        _set_targets(results, masks, labels, track_ids, ids.shape, crowd)
        return results
