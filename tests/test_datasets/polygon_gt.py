"""Rewrite YouTube-VIS ground truth with polygon / uncompressed-RLE segmentations (tests)."""
import json

import numpy as np
from pycocotools import mask as mask_utils

__all__ = ['to_polygons']


def _box_polygon(rle):
    x, y, w, h = mask_utils.toBbox(rle).tolist()
    return [[x, y, x + w, y, x + w, y + h, x, y + h]]


def to_polygons(ann_file):
    """Replace every other track's masks by their bounding-box polygon and the others by
    uncompressed RLE; returns {(annotation id, frame): expected compressed RLE}."""
    data = json.loads(ann_file.read_text())
    sizes = {v['id']: (v['height'], v['width']) for v in data['videos']}
    expected = {}
    for k, ann in enumerate(data['annotations']):
        h, w = sizes[ann['video_id']]
        for t, seg in enumerate(ann['segmentations']):
            if seg is None:
                continue
            rle = dict(seg, counts=seg['counts'].encode()) if isinstance(
                seg['counts'], str) else seg
            if k % 2 == 0:
                poly = _box_polygon(rle)
                ann['segmentations'][t] = poly
                expected[ann['id'], t] = mask_utils.merge(mask_utils.frPyObjects(poly, h, w))
            else:
                flat = mask_utils.decode(rle).ravel(order='F').astype(np.int64)
                bounds = np.concatenate([[0], np.flatnonzero(np.diff(flat)) + 1, [flat.size]])
                counts = ([0] if flat[0] else []) + np.diff(bounds).tolist()
                ann['segmentations'][t] = dict(size=[h, w], counts=counts)
                expected[ann['id'], t] = rle
    ann_file.write_text(json.dumps(data))
    return expected
