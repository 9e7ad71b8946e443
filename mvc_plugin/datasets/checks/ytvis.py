"""YouTube-VIS / OVIS check: the load-time JSON checks, then every frame and every mask.

Cheap (default): the JSON structure, ids, lengths, polygons and RLE counts
(``check_ytvis_json``, the same check :class:`VideoInstanceDataset` runs when it loads), every
frame's existence, image header and end-of-file marker, and each frame's size read from its
header against the video's ``height`` / ``width`` (and so against its RLE sizes). ``full=True``
also decodes every frame and every RLE mask and rasterises every polygon.
"""
import os.path as osp
from typing import Optional

from pycocotools import mask as mask_utils

from ..frame_integrity import frame_problem
from ..problems import Problem
from ..rle_validation import rle_problem
from ..segm_formats import is_empty_segm, is_polygon, polygon_problem, segm_to_rle
from ..validation import check_ytvis_json
from .common import CheckReport, header_size, load_json_or_problem, size_problem, videos_bar

__all__ = ['check_ytvis']


def _decode_problems(data: dict, ann_path: str, report: CheckReport) -> None:
    """Full check: pycocotools decodes each RLE whose counts are valid and rasterises each valid
    polygon at its video's size (bad ones are reported by the JSON check and would crash
    pycocotools)."""
    anns = data.get('annotations')
    sizes = {v.get('id'): (v.get('height'), v.get('width')) for v in data.get('videos') or []
             if isinstance(v, dict) and isinstance(v.get('height'), int)
             and isinstance(v.get('width'), int)}
    for i, ann in enumerate(anns if isinstance(anns, list) else []):
        segs = ann.get('segmentations') if isinstance(ann, dict) else None
        size = sizes.get(ann.get('video_id')) if isinstance(ann, dict) else None
        for t, seg in enumerate(segs if isinstance(segs, list) else []):
            if is_empty_segm(seg):
                continue
            if is_polygon(seg):
                if polygon_problem(seg) is not None or not isinstance(size, tuple):
                    continue  # reported by the JSON check
            elif rle_problem(seg) is not None:
                continue
            try:
                mask_utils.decode(segm_to_rle(seg, *(size or seg['size'])))
            except Exception as e:  # noqa: BLE001 - any decoder failure is an invalid RLE
                report.add(Problem(f'{ann_path}: annotations[{i}] (id {ann.get("id")!r}): '
                                   f'frame {t}: pycocotools cannot decode the RLE ({e})',
                                   'invalid-rle', ann_path, ann.get('video_id'), t))


def check_ytvis(ann_file: str, img_root: str, full: bool = False,
                progress: bool = False) -> CheckReport:
    """Check a YouTube-VIS style JSON and its frames under ``img_root``; never raises for bad
    data (everything found is in the returned report)."""
    report = CheckReport(f'YouTube-VIS {ann_file}')
    data, problem = load_json_or_problem(ann_file, 'a YouTube-VIS annotation JSON')
    if problem is not None:
        report.add(problem)
        return report
    structure = check_ytvis_json(data, ann_file, require_annotations=False)
    report.extend(structure)
    if not isinstance(data.get('videos'), list):
        return report
    if not osp.isdir(img_root):
        report.add(Problem(f'{img_root}: frame folder not found', 'missing-file', img_root))
        return report

    videos = [v for v in data['videos'] if isinstance(v, dict) and isinstance(
        v.get('file_names'), list) and all(isinstance(n, str) for n in v['file_names'])]
    report.videos = len(data['videos'])
    for video in videos_bar(videos, 'ytvis videos', progress):
        vid = video.get('id')
        h, w = video.get('height'), video.get('width')
        expected: Optional[tuple] = (w, h) if isinstance(h, int) and isinstance(w, int) else None
        for t, name in enumerate(video['file_names']):
            path = osp.join(img_root, name)
            report.frames += 1
            problem = frame_problem(path, full, video=vid, frame=t)
            if problem is not None:
                report.add(problem)
                continue
            report.add(size_problem(path, header_size(path), expected,
                                    'the video (JSON height/width, RLE size)', vid, t))
    if full:
        _decode_problems(data, ann_file, report)
    return report
