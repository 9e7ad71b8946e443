"""Official YouTube-VIS / OVIS JSON (ground truth and results list) -> two pycocotools ``COCO``s.

Validates every field :func:`~.ytvis_eval.evaluate_ytvis` reads (a bad entry is a ``ValueError``
naming its video), normalises segmentations (polygon lists, as the official ``ytvos`` API reads
them; uncompressed and compressed ``str`` / ``bytes`` RLEs; counts that do not match the frame
size are refused before pycocotools decodes them; ``None`` or ``[]`` is no mask), and stores per
track the per-frame areas, their mean (the official area used for the size ranges) and the masks.
"""
from __future__ import annotations

import math
from numbers import Real
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO

from mvc_plugin.datasets.segm_formats import (is_empty_segm, is_polygon, polygon_problem,
                                              segm_to_rle)

__all__ = ['build_ytvis_cocos']


def _fail(video_id: Any, what: str) -> ValueError:
    return ValueError(f'video {video_id!r}: {what}')


def _video_of(obj: Any) -> str:
    """' (video <id>)' for error messages, when the id is known."""
    if isinstance(obj, Mapping) and 'video_id' in obj:
        return f' (video {obj["video_id"]!r})'
    return ''


def _require(obj: Mapping, keys: Sequence[str], where: str) -> None:
    if not isinstance(obj, Mapping):
        raise ValueError(f'{where}: expected a dict, got {type(obj).__name__}')
    missing = [k for k in keys if k not in obj]
    if missing:
        raise ValueError(f'{where}: missing key(s) {missing}')


def _normalise_rle(rle: Any, height: int, width: int, video_id: Any,
                   where: str) -> dict:
    """Return a compressed RLE (bytes counts) after checking its size.

    A polygon list is rasterised at the video's size (official ``annToRLE``).
    """
    if type(rle) is dict and type(rle.get('counts')) is str:  # the common case, fast
        size = rle.get('size')
        if type(size) is list and len(size) == 2 and size[0] == height and size[1] == width:
            return {'size': [height, width], 'counts': rle['counts'].encode('ascii')}
    if is_polygon(rle):
        problem = polygon_problem(rle)
        if problem is not None:
            raise _fail(video_id, f'{where}: {problem}')
        return segm_to_rle(rle, height, width)
    if not isinstance(rle, Mapping) or 'counts' not in rle \
            or 'size' not in rle:
        raise _fail(video_id, f'{where} is not a polygon list or an RLE dict with '
                    f'"size" and "counts" (got {type(rle).__name__})')
    size = [int(s) for s in rle['size']]
    if size != [height, width]:
        raise _fail(video_id, f'{where} has size {size} but the video is '
                    f'(height, width) = {[height, width]}')
    counts = rle['counts']
    if isinstance(counts, (list, tuple, np.ndarray)):
        total = int(np.sum(np.asarray(counts, dtype=np.int64)))
        if total != height * width:
            raise _fail(video_id, f'{where}: uncompressed RLE counts sum to '
                        f'{total}, expected {height}*{width}')
        return mask_utils.frPyObjects(
            {'size': size, 'counts': [int(c) for c in counts]}, height, width)
    if isinstance(counts, str):
        counts = counts.encode('ascii')
    if not isinstance(counts, bytes):
        raise _fail(video_id, f'{where}: RLE counts must be str, bytes or a '
                    f'list, got {type(counts).__name__}')
    return {'size': size, 'counts': counts}


def _video_length(video: Mapping) -> int:
    vid = video['id']
    length = video.get('length')
    names = video.get('file_names')
    if length is None and names is None:
        raise _fail(vid, 'video needs "length" or "file_names"')
    if length is not None and names is not None and int(length) != len(names):
        raise _fail(vid, f'"length" {length} differs from the number of '
                    f'"file_names" ({len(names)})')
    return int(length) if length is not None else len(names)


def _track(ann: Mapping, video: Mapping, length: int, where: str) -> tuple:
    """Normalised per-frame RLEs, per-frame areas (T,) and mean area."""
    vid = video['id']
    segms = ann['segmentations']
    if not isinstance(segms, (list, tuple)):
        raise _fail(vid, f'{where}: "segmentations" must be a list')
    if len(segms) != length:
        raise _fail(vid, f'{where} has {len(segms)} segmentations but the '
                    f'video has {length} frames')
    h, w = int(video['height']), int(video['width'])
    rles = [
        None if is_empty_segm(s) else _normalise_rle(s, h, w, vid,
                                              f'{where}, frame {t}')
        for t, s in enumerate(segms)
    ]
    areas = np.zeros(length, dtype=np.float64)
    present = [t for t, r in enumerate(rles) if r is not None]
    if present:
        areas[present] = mask_utils.area([rles[t] for t in present])
    nonzero = areas[areas > 0]
    return rles, areas, float(nonzero.mean()) if nonzero.size else 0.0


def _avg_given_areas(given: Any, length: int, vid: Any, where: str) -> float:
    """Official avg_area from a JSON ``areas`` list (non-empty entries)."""
    if not isinstance(given, (list, tuple)) or len(given) != length:
        raise _fail(vid, f'{where}: "areas" must be a list of {length} '
                    'entries')
    vals = [float(a) for a in given if a]
    return float(np.mean(vals)) if vals else 0.0


def build_ytvis_cocos(gt: Mapping, results: Sequence[Mapping]) -> tuple[COCO, COCO]:
    """Validate the inputs and build the GT and detection COCO objects."""
    _require(gt, ('videos', 'annotations', 'categories'), 'gt')
    videos: dict[Any, dict] = {}
    for video in gt['videos']:
        _require(video, ('id', 'width', 'height'),
                 f'gt video {video.get("id")!r}'
                 if isinstance(video, Mapping) else 'gt video')
        if video['id'] in videos:
            raise _fail(video['id'], 'duplicate video id in gt')
        videos[video['id']] = dict(
            id=video['id'], width=int(video['width']),
            height=int(video['height']), length=_video_length(video))
    categories = []
    for cat in gt['categories']:
        _require(cat, ('id', ), 'gt category')
        categories.append(dict(cat))
    cat_ids = {c['id'] for c in categories}
    if len(cat_ids) != len(categories):
        raise ValueError('gt: duplicate category ids')

    gt_anns = []
    for i, ann in enumerate(gt['annotations']):
        _require(ann, ('video_id', 'category_id', 'segmentations'),
                 f'gt annotation #{i}{_video_of(ann)}')
        vid = ann['video_id']
        where = f'gt annotation #{i} (id {ann.get("id")!r})'
        if vid not in videos:
            raise _fail(vid, f'{where}: video not in gt videos')
        if ann['category_id'] not in cat_ids:
            raise _fail(vid, f'{where}: category_id {ann["category_id"]!r} '
                        'not in gt categories')
        video = videos[vid]
        rles, areas, avg_area = _track(ann, video, video['length'], where)
        if ann.get('areas') is not None:
            avg_area = _avg_given_areas(ann['areas'], video['length'], vid,
                                        where)
        gt_anns.append(
            dict(id=len(gt_anns) + 1, image_id=vid, video_id=vid,
                 category_id=ann['category_id'],
                 iscrowd=int(bool(ann.get('iscrowd', 0))), area=avg_area,
                 segmentations=rles, _frame_areas=areas))

    dt_anns = []
    if not isinstance(results, (list, tuple)):
        raise ValueError('results must be a list of dicts')
    for i, res in enumerate(results):
        _require(res, ('video_id', 'category_id', 'score', 'segmentations'),
                 f'result #{i}{_video_of(res)}')
        vid = res['video_id']
        where = f'result #{i}'
        if vid not in videos:
            raise _fail(vid, f'{where}: video not in gt videos')
        if res['category_id'] not in cat_ids:
            raise _fail(vid, f'{where}: category_id {res["category_id"]!r} '
                        'not in gt categories')
        score = res['score']
        if not isinstance(score, Real) or not math.isfinite(float(score)):
            raise _fail(vid, f'{where}: score must be a finite number, got '
                        f'{score!r}')
        video = videos[vid]
        rles, areas, avg_area = _track(res, video, video['length'], where)
        dt_anns.append(
            dict(id=len(dt_anns) + 1, image_id=vid, video_id=vid,
                 category_id=res['category_id'], score=float(score),
                 iscrowd=0, area=avg_area, segmentations=rles,
                 _frame_areas=areas))

    images = list(videos.values())
    coco_gt, coco_dt = COCO(), COCO()
    coco_gt.dataset = dict(images=images, annotations=gt_anns,
                           categories=categories)
    coco_dt.dataset = dict(images=images, annotations=dt_anns,
                           categories=categories)
    coco_gt.createIndex()
    coco_dt.createIndex()
    return coco_gt, coco_dt
