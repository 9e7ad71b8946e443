"""Cheap checks of on-disk video datasets, run before training starts.

Every check collects *all* problems it finds (with the file, video and frame) instead of stopping
at the first one, so a user fixes the data in one pass. ``DatasetError`` carries the list.
"""
import json
import os
import os.path as osp
from typing import Iterable, List, Optional, Sequence

from .problems import Problem
from .rle_validation import rle_problem
from .segm_formats import is_empty_segm, is_polygon, polygon_problem

__all__ = [
    'DatasetError', 'FRAME_CHECKS', 'check_frame_file', 'check_frames', 'frame_check_level',
    'load_json_file',
    'require_dir', 'check_ytvis_json'
]

#: How thoroughly frame files are checked: not at all, existence, file header, full decode.
FRAME_CHECKS = ('none', 'exists', 'header', 'decode')

# Leading bytes of the image formats video datasets ship frames in.
_MAGIC = {
    b'\xff\xd8\xff': 'JPEG',
    b'\x89PNG\r\n\x1a\n': 'PNG',
    b'BM': 'BMP',
}


class DatasetError(ValueError):
    """A dataset on disk does not match the expected layout; ``problems`` lists every finding."""

    def __init__(self, what: str, problems: Sequence[str], max_shown: int = 20) -> None:
        self.problems = list(problems)
        shown = '\n  - '.join(self.problems[:max_shown])
        more = len(self.problems) - max_shown
        tail = f'\n  ... and {more} more' if more > 0 else ''
        super().__init__(f'{what}: {len(self.problems)} problem(s)\n  - {shown}{tail}')


def require_dir(path: str, what: str) -> None:
    """Raise ``DatasetError`` when ``path`` is not an existing folder."""
    if not osp.isdir(path):
        raise DatasetError(f'{what} not found', [f'{path}: no such folder'])


def load_json_file(path: str, what: str) -> dict:
    """Load a JSON object, turning a missing file or bad JSON into a clear ``DatasetError``."""
    if not osp.isfile(path):
        raise DatasetError(what, [f'{path}: file not found (expected {what})'])
    try:
        with open(path, 'rb') as f:
            data = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise DatasetError(what, [f'{path}: not valid JSON ({e})']) from None
    if not isinstance(data, dict):
        raise DatasetError(what, [f'{path}: expected a JSON object, got {type(data).__name__}'])
    return data


def frame_check_level(level: str) -> str:
    """``level`` if it is one of :data:`FRAME_CHECKS`, else a ``ValueError`` (dataset argument
    ``frame_check``)."""
    if level not in FRAME_CHECKS:
        raise ValueError(f'frame_check must be one of {FRAME_CHECKS}, got {level!r}')
    return level


def check_frame_file(path: str, level: str = 'header') -> Optional[str]:
    """Return a problem description for one frame file, or ``None`` when it passes ``level``."""
    if level not in FRAME_CHECKS:
        raise ValueError(f'frame check level must be one of {FRAME_CHECKS}, got {level!r}')
    if level == 'none':
        return None
    try:
        size = os.stat(path).st_size
    except FileNotFoundError:
        return f'{path}: frame file missing'
    except (OSError, ValueError) as e:  # ValueError: e.g. a NUL character in the name
        return f'{path}: frame file unreadable ({e})'
    if size == 0:
        return f'{path}: frame file is empty'
    if level == 'exists':
        return None
    try:
        with open(path, 'rb') as f:
            head = f.read(8)
    except OSError as e:
        return f'{path}: frame file unreadable ({e})'
    if not any(head.startswith(m) for m in _MAGIC):
        return f'{path}: not a JPEG/PNG/BMP image (first bytes {head[:4]!r})'
    if level == 'decode':
        import mmcv  # imported lazily: decoding is the slow, opt-in level
        try:
            img = mmcv.imread(path)
        except Exception as e:  # noqa: BLE001 - any decoder failure means unreadable
            return f'{path}: image cannot be decoded ({e})'
        if img is None:
            return f'{path}: image cannot be decoded'
    return None


def check_frames(paths: Iterable[str], level: str = 'header') -> List[str]:
    """Check many frame files; returns all problems found."""
    problems = []
    for path in paths:
        problem = check_frame_file(path, level)
        if problem:
            problems.append(problem)
    return problems


def _is_id(value) -> bool:
    """JSON ids the datasets can index by: ints (not bools) or strings."""
    return isinstance(value, (int, str)) and not isinstance(value, bool)


def _positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def check_ytvis_json(data: dict, ann_path: str, require_annotations: bool = True) -> List[str]:
    """Structural checks of a YouTube-VIS / OVIS JSON; returns all problems found.

    Checks the top-level keys and the type of every field the datasets read, per-video
    ``length`` vs ``file_names``, each annotation's video and category ids and the length of
    its per-frame lists, and each RLE: its size, and that its counts decode and fill the mask
    (bad counts crash pycocotools later). The problems are :class:`Problem` strings.
    """
    problems: List[str] = []

    def add(kind: str, message: str, video=None, frame=None) -> None:
        problems.append(Problem(f'{ann_path}: {message}', kind, ann_path, video, frame))

    if not isinstance(data, dict):
        add('bad-json', f'expected a JSON object, got {type(data).__name__}')
        return problems
    for key in ('videos', 'categories'):
        if not isinstance(data.get(key), list):
            add('bad-json', f'missing list "{key}" (YouTube-VIS JSON expected)')
    anns = data.get('annotations')
    if anns is None and not require_annotations:
        anns = []
    if not isinstance(anns, list):
        add('bad-json', 'missing list "annotations" (YouTube-VIS JSON expected)')
    if problems:
        return problems

    cat_ids = set()
    for i, cat in enumerate(data['categories']):
        if not isinstance(cat, dict) or not _is_id(cat.get('id')) or isinstance(
                cat.get('id'), str) or not isinstance(cat.get('name'), str):
            add('bad-json', f'categories[{i}] needs an integer "id" and a string "name"')
        elif cat['id'] in cat_ids:
            add('bad-json', f'categories[{i}]: duplicate category id {cat["id"]}')
        else:
            cat_ids.add(cat['id'])

    videos = {}
    for i, video in enumerate(data['videos']):
        if not isinstance(video, dict) or not _is_id(video.get('id')) or not isinstance(
                video.get('file_names'), list) or not all(
                    isinstance(n, str) for n in video['file_names']):
            add('bad-json', f'videos[{i}] needs "id" and a "file_names" list of strings')
            continue
        vid, n = video['id'], len(video['file_names'])
        if vid in videos:
            add('bad-json', f'videos[{i}]: duplicate video id {vid!r}', vid)
            continue
        if n == 0:
            add('empty-video', f'video {vid} has no frames', vid)
        if 'length' in video and video['length'] != n:
            add('length-mismatch', f'video {vid}: length {video["length"]!r} but {n} file_names',
                vid)
        sized = True
        for key in ('height', 'width'):
            if not _positive_int(video.get(key)):
                add('bad-json', f'video {vid}: "{key}" must be a positive int', vid)
                sized = False
        videos[vid] = (n, [video['height'], video['width']] if sized else None)

    for i, ann in enumerate(anns):
        if not isinstance(ann, dict):
            add('bad-json', f'annotations[{i}] (id ?): expected an object')
            continue
        where = f'annotations[{i}] (id {ann.get("id")!r})'
        vid = ann.get('video_id')
        if not _is_id(ann.get('id')):
            add('bad-json', f'{where}: needs an integer or string "id"')
        if not _is_id(vid) or vid not in videos:
            add('unknown-video', f'{where}: unknown video_id {vid!r}')
            continue
        n, size = videos[vid]
        if not _is_id(ann.get('category_id')) or ann['category_id'] not in cat_ids:
            add('unknown-category', f'{where}: category_id {ann.get("category_id")!r} not in '
                f'categories', vid)
        segs = ann.get('segmentations')
        if not isinstance(segs, list):
            add('bad-json', f'{where}: missing "segmentations" list', vid)
            continue
        if len(segs) != n:
            add('length-mismatch', f'{where}: {len(segs)} segmentations for video {vid} of '
                f'{n} frames', vid)
        for t, seg in enumerate(segs):
            if is_empty_segm(seg):
                continue
            if is_polygon(seg):  # polygons are rasterised at the video's size
                bad = polygon_problem(seg)
                found = None if bad is None else ('invalid-polygon', bad)
            else:
                found = rle_problem(seg, size)
            if found is not None:
                add(found[0], f'{where}: frame {t}: {found[1]}', vid, t)
    return problems
