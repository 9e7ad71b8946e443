"""VIPSeg check: the panoptic JSON, every frame and every panoptic PNG.

``check_vipseg_json`` is the structural check :class:`VIPSegDataset` runs when it loads (every
field it reads has the right type). ``check_vipseg`` adds, per video: images vs annotated
frames, unknown category ids, frames and PNGs exist and are complete (header + end marker),
frame / PNG / JSON sizes agree (image headers). ``full=True`` also decodes every frame and PNG
and compares the ids in each PNG with its ``segments_info`` (both directions) -- decoding all
PNGs of VIPSeg takes minutes, so it is not part of the cheap check.
"""
import os.path as osp
from numbers import Real
from typing import Any, List

import numpy as np

from ..frame_integrity import frame_problem
from ..vipseg_layout import frame_image_path
from ..problems import Problem
from .common import CheckReport, header_size, load_json_or_problem, size_problem, videos_bar

__all__ = ['check_vipseg', 'check_vipseg_json']


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _list_of_dicts(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, dict) for v in value)


def _frame_ok(img: dict) -> bool:
    return isinstance(img.get('file_name'), str) and isinstance(img.get('id'), (int, str)) \
        and all(_int(img.get(k)) and img[k] > 0 for k in ('height', 'width'))


def _segment_ok(seg: dict) -> bool:
    bbox = seg.get('bbox', (0, 0, 0, 0))
    return _int(seg.get('id')) and _int(seg.get('category_id')) and isinstance(
        bbox, (list, tuple)) and len(bbox) == 4 and all(
            isinstance(b, Real) and not isinstance(b, bool) for b in bbox)


def check_vipseg_json(data: Any, ann_path: str) -> List[Problem]:
    """Types and ids of a VIPSeg panoptic JSON; returns every problem found."""
    def bad(message: str, video: Any = None) -> Problem:
        return Problem(f'{ann_path}: {message}', 'bad-json', ann_path, video)

    if not isinstance(data, dict):
        return [bad(f'expected a JSON object, got {type(data).__name__}')]
    problems = [bad(f'missing list "{k}" (VIPSeg panoptic JSON expected)')
                for k in ('categories', 'videos', 'annotations')
                if not isinstance(data.get(k), list)]
    if problems:
        return problems
    ids, names = set(), set()
    for i, cat in enumerate(data['categories']):
        if not isinstance(cat, dict) or not _int(cat.get('id')) or not isinstance(
                cat.get('name'), str) or not isinstance(cat.get('isthing'), (int, bool)):
            problems.append(bad(f'categories[{i}] needs an int "id", a string "name" and '
                                f'"isthing"'))
        elif cat['id'] in ids or cat['name'] in names:
            problems.append(bad(f'categories[{i}]: duplicate id {cat["id"]} or name '
                                f'{cat["name"]!r}'))
        else:
            ids.add(cat['id'])
            names.add(cat['name'])
    for key, frames_key, frame_ok, what in (
            ('videos', 'images', _frame_ok, '"file_name", "id", "height" and "width"'),
            ('annotations', 'annotations', lambda a: isinstance(a.get('file_name'), str)
             and _list_of_dicts(a.get('segments_info'))
             and all(_segment_ok(s) for s in a['segments_info']),
             '"file_name" and a "segments_info" list of {int id, int category_id, bbox}')):
        seen = set()
        for i, video in enumerate(data[key]):
            vid = video.get('video_id') if isinstance(video, dict) else None
            if not isinstance(vid, str) or not _list_of_dicts(video.get(frames_key)):
                problems.append(bad(f'{key}[{i}] needs a string "video_id" and a '
                                    f'"{frames_key}" list of objects'))
                continue
            if vid in seen:
                problems.append(bad(f'{key}[{i}]: video {vid} listed twice', vid))
            seen.add(vid)
            for t, frame in enumerate(video[frames_key]):
                if not frame_ok(frame):
                    problems.append(bad(f'{key}[{i}] (video {vid}) frame {t}: needs {what}', vid))
    return problems


def _segment_problems(png_path: str, segments: list, video: str, t: int) -> List[Problem]:
    from ...evaluation.functional.vipseg_eval import rgb2id
    from PIL import Image
    with Image.open(png_path) as img:
        keep = img.mode in ('RGB', 'L', 'I', 'I;16')  # others (RGBA, P...) -> RGB
        ids = set(np.unique(rgb2id(np.asarray(img if keep else img.convert('RGB')))).tolist())
    ids.discard(0)
    listed = {s['id'] for s in segments}
    out = []
    for missing, what in ((sorted(ids - listed), 'in the PNG but not in segments_info'),
                          (sorted(listed - ids), 'in segments_info but not in the PNG')):
        if missing:
            out.append(Problem(f'{png_path}: video {video} frame {t}: segment ids '
                               f'{missing[:10]} {what}', 'segment-mismatch', png_path, video, t))
    return out


def check_vipseg(ann_file: str, img_root: str, pan_root: str, full: bool = False,
                 progress: bool = False) -> CheckReport:
    """Check a VIPSeg panoptic JSON with its frames (``img_root/<video>/``) and PNGs
    (``pan_root/<video>/``); never raises for bad data."""
    report = CheckReport(f'VIPSeg {ann_file}')
    data, problem = load_json_or_problem(ann_file, 'a VIPSeg panoptic JSON')
    if problem is not None:
        report.add(problem)
        return report
    structure = check_vipseg_json(data, ann_file)
    report.extend(structure)
    if structure:
        return report
    for root, what in ((img_root, 'frame'), (pan_root, 'panoptic PNG')):
        if not osp.isdir(root):
            report.add(Problem(f'{root}: {what} folder not found', 'missing-file', root))
    if not report.ok:
        return report
    cat_ids = {c['id'] for c in data['categories']}
    anns = {a['video_id']: a['annotations'] for a in data['annotations']}
    for vid in sorted(set(anns) - {v['video_id'] for v in data['videos']}):
        report.add(Problem(f'{ann_file}: annotations for video {vid}, which is not in "videos"',
                           'unknown-video', ann_file, vid))
    report.videos = len(data['videos'])
    for video in videos_bar(data['videos'], 'vipseg videos', progress):
        vid, images = video['video_id'], video['images']
        frames = anns.get(vid)
        if not images:
            report.add(Problem(f'{ann_file}: video {vid} has no images', 'empty-video',
                               ann_file, vid))
        if frames is None or len(frames) != len(images):
            report.add(Problem(f'{ann_file}: video {vid}: {len(images)} images but '
                               f'{"no" if frames is None else len(frames)} annotated frames',
                               'length-mismatch', ann_file, vid))
        for t, img in enumerate(images):
            report.frames += 1
            img_path = frame_image_path(img_root, vid, img['file_name'])
            img_problem = frame_problem(img_path, full, video=vid, frame=t)
            report.add(img_problem)
            size = None if img_problem else header_size(img_path)
            report.add(size_problem(img_path, size, (img['width'], img['height']),
                                    'the JSON image entry', vid, t))
            if frames is None or t >= len(frames):
                continue
            segments = frames[t]['segments_info']
            for seg in segments:
                if seg['category_id'] not in cat_ids:
                    report.add(Problem(f'{ann_file}: video {vid} frame {t}: segment {seg["id"]} '
                                       f'has unknown category_id {seg["category_id"]}',
                                       'unknown-category', ann_file, vid, t))
            png_path = osp.join(pan_root, vid, frames[t]['file_name'])
            png_problem = frame_problem(png_path, full, 'missing-mask', video=vid, frame=t)
            report.add(png_problem)
            if png_problem:
                continue
            report.add(size_problem(png_path, header_size(png_path),
                                    size or (img['width'], img['height']), 'its frame', vid, t))
            if full:
                report.extend(_segment_problems(png_path, segments, vid, t))
    return report
