"""Hand-made inputs where the official scorers' rules matter (for test_official_parity.py).

VIPSeg: predicted ids that change class inside a window (the official VPQ keeps one tube per
id, with the class of its first frame), two crowd segments of one category (the official VPQ
discounts false positives only on the last listed one), a GT ``area`` in the JSON that differs
from the PNG's pixel count (the official VPQ uses the JSON). YouTube-VIS: ground truth given as
polygons (one and two parts), uncompressed RLE, compressed RLE, ``[]`` and ``None``.
"""
import numpy as np
from pycocotools import mask as mask_utils

__all__ = ['VIPSEG_RULE_VIDEOS', 'rule_case', 'ytvis_polygon_case']

RH, RW = 8, 12
_GT_CAT = {9: 0, 7: 1, 300: 3, 400: 4, 402: 4, 403: 4, 301: 3}
_P_WALL, _P_SKY = 90, 70


def _w0(t):
    """8 frames: wall / sky, a person walking right, a static car.

    Prediction: id 30 follows the person but is labelled car at frames 3-4 (running-mean
    labels flipping); id 40 covers the car and is labelled person from frame 5 on.
    """
    g = np.full((RH, RW), 9)
    g[:3] = 7
    g[5:, 8:] = 400
    g[3:6, t:t + 2] = 300
    p = np.select([g == 9, g == 7, g == 400, g == 300], [_P_WALL, _P_SKY, 40, 30])
    pcat = {_P_WALL: 0, _P_SKY: 1, 30: 4 if t in (3, 4) else 3, 40: 3 if t >= 5 else 4}
    return g, p, pcat, {}, {}


def _w1(t):
    """5 frames: grass, two crowd cars (402 listed before 403), a person (301).

    Prediction: car blob 50 on crowd 402 only, car blob 51 on crowd 403 only, the person
    right. The JSON ``area`` of the person at frame 2 is 3x its pixel count.
    """
    g = np.full((RH, RW), 9)
    g[1:4, 1:4] = 402
    g[1:4, 8:11] = 403
    g[5:8, 4:7] = 301
    p = np.select([g == 9, g == 402, g == 403, g == 301], [_P_WALL, 50, 51, 31])
    pcat = {_P_WALL: 0, 50: 4, 51: 4, 31: 3}
    area = {301: 27} if t == 2 else {}
    return g, p, pcat, dict(crowd=(402, 403)), area


VIPSEG_RULE_VIDEOS = {'w0': (_w0, 8), 'w1': (_w1, 5)}


def _segments(ids, cat, crowd=(), area=None):
    present, counts = np.unique(ids, return_counts=True)
    area = area or {}
    return [dict(id=int(i), category_id=cat[int(i)], iscrowd=int(i in crowd),
                 area=int(area.get(int(i), c))) for i, c in zip(present, counts) if i]


def rule_case():
    """{video: (gt id maps, gt segments_info, pred id maps, pred segments_info)}."""
    out = {}
    for name, (make, num_frames) in VIPSEG_RULE_VIDEOS.items():
        gts, gsegs, preds, psegs = [], [], [], []
        for t in range(num_frames):
            g, p, pcat, opts, area = make(t)
            gts.append(g)
            preds.append(p)
            gsegs.append(_segments(g, _GT_CAT, area=area, **opts))
            psegs.append(_segments(p, pcat))
        out[name] = gts, gsegs, preds, psegs
    return out


def _rle(mask):
    r = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    r['counts'] = r['counts'].decode()
    return r


def _uncompressed(mask):
    flat = mask.ravel(order='F').astype(np.int64)
    bounds = np.concatenate([[0], np.flatnonzero(np.diff(flat)) + 1, [flat.size]])
    return dict(size=list(mask.shape), counts=([0] if flat[0] else []) + np.diff(bounds).tolist())


def ytvis_polygon_case():
    """(gt, results) of 2 videos of 3 frames at 30 x 40 with polygon ground truth."""
    h, w = 30, 40

    def poly_mask(polys):
        return mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(polys, h, w)))

    tri = [[2.0, 2.0, 14.5, 3.0, 6.0, 15.0]]
    two = [[20.0, 2.0, 30.0, 2.0, 30.0, 9.0, 20.0, 9.0], [33.0, 20.0, 39.0, 20.0, 36.0, 28.0]]
    box = np.zeros((h, w), bool)
    box[18:27, 3:15] = True
    gt_tracks = [  # (video, category, per-frame segmentation)
        (1, 1, [tri, [[p + 1 for p in tri[0]]], []]),
        (1, 2, [two, None, two]),
        (2, 1, [_uncompressed(box), _rle(box), [[3.0, 18.0, 15.0, 18.0, 15.0, 27.0,
                                                 3.0, 27.0]]]),
    ]
    gt = dict(videos=[dict(id=v, height=h, width=w, length=3,
                           file_names=[f'{v}/{t}.jpg' for t in range(3)]) for v in (1, 2)],
              categories=[dict(id=1, name='a'), dict(id=2, name='b')], annotations=[])
    masks = []
    for vid, cat, segs in gt_tracks:
        ms = [None if not s else (poly_mask(s) if isinstance(s, list) else mask_utils.decode(
            mask_utils.frPyObjects(s, h, w) if isinstance(s['counts'], list) else s))
            for s in segs]
        masks.append(ms)
        gt['annotations'].append(dict(
            id=len(gt['annotations']) + 1, video_id=vid, category_id=cat, iscrowd=0,
            height=h, width=w, segmentations=segs,
            areas=[None if m is None else int(m.sum()) for m in ms]))
    results = []
    first_part = poly_mask(two[:1])
    for k, ((vid, cat, _), ms) in enumerate(zip(gt_tracks, masks)):
        # a shifted detection scored above an exact one; for the two-part track the exact one
        # covers only the first part
        for shift, score in ((3, 0.9), (0, 0.5)):
            segs = [None if m is None else _rle(np.roll(first_part if k == 1 and shift == 0
                                                        else m, shift, axis=1)) for m in ms]
            results.append(dict(video_id=vid, category_id=cat, score=score - 0.1 * k,
                                segmentations=segs))
    return gt, results
