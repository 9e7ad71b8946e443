"""Random VIPSeg / VSPW / YouTube-VIS data in the official layouts, for comparing scorers.

Used by ``tools/benchmark.py metrics --official-*``: the official scripts and the plug-in score
the same files. Each video mixes the cases where scorers can part: a predicted id that changes
class for a stretch of frames (VPQ tube key), id switches, per-frame ids, predictions on void,
predicted void on labelled pixels, crowd GT (two of one category in some videos), a thing listed
first in a video (the official STQ's crowd quirk); for VSPW "others" (0) and void (255); for
YouTube-VIS, GT given as polygons, uncompressed and compressed RLE, absent frames and crowd.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

__all__ = ['VIPSEG_NUM_CLASSES', 'write_vipseg', 'write_vspw', 'write_ytvis']

VIPSEG_NUM_CLASSES = 124  # the official STQ hard-codes 124 classes
_NUM_STUFF = 66  # category ids 0..65 stuff, 66..123 things (VIPSeg's split)


def _ellipse(yy: np.ndarray, xx: np.ndarray, cy: float, cx: float, ry: float,
             rx: float) -> np.ndarray:
    return ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1.0


def _objects(rng: np.random.Generator, num: int, h: int, w: int) -> list[dict]:
    return [dict(cy=rng.uniform(0.2, 0.8) * h, cx=rng.uniform(0.1, 0.9) * w,
                 vy=rng.uniform(-0.004, 0.004) * h, vx=rng.uniform(-0.006, 0.006) * w,
                 ry=rng.uniform(0.06, 0.2) * h, rx=rng.uniform(0.04, 0.15) * w)
            for _ in range(num)]


def _stuff_map(rng_bands: np.ndarray, t: int, h: int, w: int, yy: np.ndarray) -> np.ndarray:
    """Index of the horizontal band of each pixel; band borders drift with time."""
    borders = (rng_bands + 0.01 * t) % 1.0 * h
    return np.searchsorted(np.sort(borders), yy[:, :1]).repeat(w, 1)


def _panoptic_video(rng: np.random.Generator, t_len: int, h: int, w: int, hard: bool):
    """GT and predicted (id map, {id: (category, iscrowd)}) per frame of one video."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    bands = rng.random(3)
    stuff_cats = rng.choice(_NUM_STUFF, 4, replace=False)
    objs = _objects(rng, int(rng.integers(2, 6)), h, w)
    thing_cats = rng.integers(_NUM_STUFF, VIPSEG_NUM_CLASSES, len(objs))
    crowd = {0} if hard and rng.random() < 0.5 else set()
    if hard and len(objs) > 2 and rng.random() < 0.5:  # two crowd segments of one category
        crowd |= {1, 2}
        thing_cats[2] = thing_cats[1]
    flip_obj, flip_span = int(rng.integers(len(objs))), sorted(rng.integers(0, t_len, 2))
    switch_obj, switch_t = int(rng.integers(len(objs))), int(rng.integers(1, t_len + 1))
    per_frame = rng.random() < 0.2
    frames = []
    for t in range(t_len):
        band = _stuff_map(bands, t, h, w, yy)
        gt = (100 + stuff_cats[band]).astype(np.int64)
        pred = (200 + stuff_cats[np.clip(band + (xx < w * 0.1).astype(int) * (t % 2), 0, 3)])
        pred = pred.astype(np.int64)
        gt_info = {int(100 + c): (int(c), 0) for c in stuff_cats}
        pred_info = {int(200 + c): (int(c), 0) for c in stuff_cats}
        for k, o in enumerate(objs):
            cy, cx = o['cy'] + o['vy'] * t, o['cx'] + o['vx'] * t
            g_mask = _ellipse(yy, xx, cy, cx, o['ry'], o['rx'])
            gid = 1000 + 10 * k
            gt[g_mask] = gid
            gt_info[gid] = (int(thing_cats[k]), int(k in crowd))
            jitter = rng.normal(0, 0.03, 2)
            p_mask = _ellipse(yy, xx, cy + jitter[0] * o['ry'], cx + jitter[1] * o['rx'],
                              o['ry'] * 1.05, o['rx'] * 0.95)
            pid = 5000 + 10 * k + (k == switch_obj and t >= switch_t) + (t * 1000 if per_frame
                                                                           else 0)
            cat = int(thing_cats[k])
            if k == flip_obj and flip_span[0] <= t <= flip_span[1]:
                cat = int(rng.integers(_NUM_STUFF, VIPSEG_NUM_CLASSES))  # same id, other class
            pred[p_mask] = pid
            pred_info[pid] = (cat, 0)
        gt[(yy > h * 0.9) & (xx < w * 0.15)] = 0  # void corner
        if rng.random() < 0.3:  # a thing predicted on void
            pred[(yy > h * 0.88) & (xx < w * 0.1)] = 9000
            pred_info[9000] = (int(thing_cats[0]), 0)
        if rng.random() < 0.2:  # predicted void on labelled pixels
            pred[:h // 8, w // 2:] = 0
        frames.append((gt, gt_info, pred, pred_info))
    return frames


def _segments(ids: np.ndarray, info: dict, first: int | None = None) -> list[dict]:
    present, area = np.unique(ids, return_counts=True)
    segs = [dict(id=int(i), category_id=info[int(i)][0], iscrowd=info[int(i)][1],
                 area=int(a)) for i, a in zip(present, area) if i]
    segs.sort(key=lambda s: (s['id'] != first, s['id']))
    return segs


def _id2rgb(ids: np.ndarray) -> np.ndarray:
    return np.stack([ids % 256, ids // 256 % 256, ids // 65536], -1).astype(np.uint8)


def write_vipseg(root: str | Path, seed: int, num_videos: int, num_frames: int, h: int, w: int,
                 hard: bool = True) -> dict[str, Path]:
    """GT ``root/gt/{panoptic_gt.json, panomasksRGB}``, prediction ``root/pred/{pred.json,
    pan_pred}``. ``hard`` adds crowd GT and things listed first (the official STQ quirk)."""
    root, rng = Path(root), np.random.default_rng(seed)
    cats = [dict(id=c, name=f'c{c}', isthing=int(c >= _NUM_STUFF))
            for c in range(VIPSEG_NUM_CLASSES)]
    gt: dict[str, Any] = dict(categories=cats, videos=[], annotations=[])
    pred: dict[str, Any] = dict(annotations=[])
    for v in range(num_videos):
        name = f'{seed}_{v}'
        length = max(1, num_frames - int(rng.integers(0, num_frames // 2 + 1)) * (v % 2))
        images, gframes, pframes = [], [], []
        for t, (g, g_info, p, p_info) in enumerate(_panoptic_video(rng, length, h, w, hard)):
            stem = f'{t:05d}'
            for sub, ids in (('gt/panomasksRGB', g), ('pred/pan_pred', p)):
                (root / sub / name).mkdir(parents=True, exist_ok=True)
                Image.fromarray(_id2rgb(ids)).save(root / sub / name / f'{stem}.png')
            first = 1000 if hard and t == 0 and v % 2 == 0 else None
            images.append(dict(id=stem, file_name=f'{stem}.png', width=w, height=h))
            gframes.append(dict(image_id=stem, file_name=f'{stem}.png',
                                segments_info=_segments(g, g_info, first)))
            pframes.append(dict(image_id=stem, file_name=f'{stem}.png',
                                segments_info=_segments(p, p_info)))
        gt['videos'].append(dict(video_id=name, images=images))
        gt['annotations'].append(dict(video_id=name, annotations=gframes))
        pred['annotations'].append(dict(video_id=name, annotations=pframes))
    (root / 'gt' / 'panoptic_gt.json').write_text(json.dumps(gt))
    (root / 'pred' / 'pred.json').write_text(json.dumps(pred))
    return dict(gt_json=root / 'gt' / 'panoptic_gt.json', gt_root=root / 'gt' / 'panomasksRGB',
                pred_json=root / 'pred' / 'pred.json', pred_root=root / 'pred' / 'pan_pred',
                pred_dir=root / 'pred')


def write_vspw(root: str | Path, seed: int, num_videos: int, num_frames: int, h: int,
               w: int) -> dict[str, Path]:
    """Raw GT ``root/gt/data/<v>/mask/*.png`` (0 others, 255 void, r = class r - 1) with
    ``root/gt/val.txt``; predicted classes ``root/pred/<v>/*.png``."""
    root, rng = Path(root), np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    names = []
    for v in range(num_videos):
        name = f'{seed}_{v}'
        names.append(name)
        length = max(2, num_frames - int(rng.integers(0, num_frames // 3 + 1)) * (v % 2))
        bands, classes = rng.random(3), rng.integers(0, 125, 4)
        objs = _objects(rng, 3, h, w)
        obj_cls = rng.integers(1, 125, 3)
        (root / 'gt' / 'data' / name / 'mask').mkdir(parents=True, exist_ok=True)
        (root / 'pred' / name).mkdir(parents=True, exist_ok=True)
        for t in range(length):
            g = classes[_stuff_map(bands, t, h, w, yy)].astype(np.int64)
            for o, c in zip(objs, obj_cls):
                g[_ellipse(yy, xx, o['cy'] + o['vy'] * t, o['cx'] + o['vx'] * t, o['ry'],
                           o['rx'])] = c
            g[(yy < h * 0.1) & (xx > w * 0.9)] = 255 if t % 3 else 0
            p = np.where((g == 0) | (g == 255), rng.integers(0, 124), g - 1)
            flicker = rng.random(g.shape) < 0.01
            p[flicker] = rng.integers(0, 124, int(flicker.sum()))
            if t % 5 == 2:
                p[:, : w // 10] = int(rng.integers(0, 124))
            Image.fromarray(g.astype(np.uint8)).save(root / 'gt' / 'data' / name / 'mask'
                                                     / f'{t:05d}.png')
            Image.fromarray(p.astype(np.uint8)).save(root / 'pred' / name / f'{t:05d}.png')
    (root / 'gt' / 'val.txt').write_text(''.join(f'{n}\n' for n in names))
    return dict(gt_root=root / 'gt', pred_root=root / 'pred', split=root / 'gt' / 'val.txt')


def _polygon(cy: float, cx: float, ry: float, rx: float, phase: float) -> list[float]:
    ang = np.linspace(0, 2 * np.pi, 9)[:-1] + phase
    return np.stack([cx + rx * np.cos(ang), cy + ry * np.sin(ang)], 1).ravel().round(2).tolist()


def write_ytvis(root: str | Path, seed: int, num_videos: int, num_frames: int, h: int,
                w: int) -> dict[str, Path]:
    """``root/gt.json`` (polygons, uncompressed and compressed RLE; ``areas``) and
    ``root/results.json`` (compressed RLE, 10 tracks per video: 2 per GT track, one of them
    shifted, the rest false positives, as a model keeping its top 10 writes them)."""
    from pycocotools import mask as mask_utils
    root, rng = Path(root), np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    gt: dict[str, Any] = dict(videos=[], annotations=[], categories=[
        dict(id=c + 1, name=f'c{c}') for c in range(40)])
    results = []

    def rle(poly: list[float]) -> dict:
        return mask_utils.merge(mask_utils.frPyObjects([poly], h, w))

    for v in range(num_videos):
        vid = v + 1
        gt['videos'].append(dict(id=vid, height=h, width=w, length=num_frames,
                                 file_names=[f'{vid}/{t:05d}.jpg' for t in range(num_frames)]))
        objs = _objects(rng, int(rng.integers(1, 5)), h, w)
        for k, o in enumerate(objs):
            cat = int(rng.integers(1, 41))
            start, end = sorted(rng.integers(0, num_frames + 1, 2))
            end = max(end, start + 1)
            form = int(rng.integers(3))  # 0 polygon, 1 uncompressed RLE, 2 compressed RLE
            segs, areas = [], []
            for t in range(num_frames):
                if not start <= t < end:
                    segs.append(None)
                    areas.append(None)
                    continue
                poly = _polygon(o['cy'] + o['vy'] * t, o['cx'] + o['vx'] * t, o['ry'], o['rx'],
                                0.05 * t)
                r = rle(poly)
                areas.append(int(mask_utils.area(r)))
                if form == 0:
                    segs.append([poly])
                elif form == 1:
                    flat = mask_utils.decode(r).ravel(order='F')
                    bounds = np.concatenate([[0], np.flatnonzero(np.diff(flat)) + 1, [h * w]])
                    counts = ([0] if flat[0] else []) + np.diff(bounds).tolist()
                    segs.append(dict(size=[h, w], counts=counts))
                else:
                    segs.append(dict(size=[h, w], counts=r['counts'].decode()))
            gt['annotations'].append(dict(id=len(gt['annotations']) + 1, video_id=vid,
                                          category_id=cat, iscrowd=int(rng.random() < 0.05),
                                          segmentations=segs, areas=areas,
                                          height=h, width=w))
            for copy in range(2):  # a good and a poor detection of each track
                shift = rng.normal(0, 0.05 + 0.3 * copy, 2)
                dcat = cat if rng.random() < 0.85 else int(rng.integers(1, 41))
                dsegs = []
                for t in range(num_frames):
                    if not start - copy <= t < end + copy:
                        dsegs.append(None)
                        continue
                    r = rle(_polygon(o['cy'] + o['vy'] * t + shift[0] * o['ry'],
                                     o['cx'] + o['vx'] * t + shift[1] * o['rx'],
                                     o['ry'], o['rx'], 0.05 * t + copy))
                    dsegs.append(dict(size=[h, w], counts=r['counts'].decode()))
                results.append(dict(video_id=vid, category_id=dcat, score=float(rng.random()),
                                    segmentations=dsegs))
        while sum(r['video_id'] == vid for r in results[-10:]) < 10:  # 10 results per video
            o = _objects(rng, 1, h, w)[0]
            results.append(dict(video_id=vid, category_id=int(rng.integers(1, 41)),
                                score=float(rng.random()), segmentations=[
                                    dict(size=[h, w], counts=rle(_polygon(
                                        o['cy'], o['cx'], o['ry'], o['rx'], 0))['counts'].decode())
                                    for _ in range(num_frames)]))
    (root / 'gt.json').write_text(json.dumps(gt))
    (root / 'results.json').write_text(json.dumps(results))
    return dict(gt_json=root / 'gt.json', pred_json=root / 'results.json')
