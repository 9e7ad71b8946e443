"""Cheap checks of on-disk video datasets, run before training starts.

Every check collects *all* problems it finds (with the file, video and frame) instead of stopping
at the first one, so a user fixes the data in one pass. ``DatasetError`` carries the list.
"""
import json
import os
import os.path as osp
from typing import Iterable, List, Optional, Sequence

__all__ = [
    'DatasetError', 'FRAME_CHECKS', 'check_frame_file', 'check_frames', 'load_json_file',
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
    except OSError as e:
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


def _is_rle(seg) -> bool:
    return isinstance(seg, dict) and 'counts' in seg and 'size' in seg


def check_ytvis_json(data: dict, ann_path: str, require_annotations: bool = True) -> List[str]:
    """Structural checks of a YouTube-VIS / OVIS JSON; returns all problems found.

    Checks the top-level keys, per-video ``length`` vs ``file_names``, each annotation's video and
    category ids and the length of its per-frame lists, and the size of each RLE.
    """
    problems = []
    for key in ('videos', 'categories'):
        if not isinstance(data.get(key), list):
            problems.append(f'{ann_path}: missing list "{key}" (YouTube-VIS JSON expected)')
    anns = data.get('annotations')
    if anns is None and not require_annotations:
        anns = []
    if not isinstance(anns, list):
        problems.append(f'{ann_path}: missing list "annotations" (YouTube-VIS JSON expected)')
    if problems:
        return problems

    videos = {}
    for i, video in enumerate(data['videos']):
        if not isinstance(video, dict) or 'id' not in video or not isinstance(
                video.get('file_names'), list):
            problems.append(f'{ann_path}: videos[{i}] needs "id" and a "file_names" list')
            continue
        n = len(video['file_names'])
        if n == 0:
            problems.append(f'{ann_path}: video {video["id"]} has no frames')
        if 'length' in video and video['length'] != n:
            problems.append(f'{ann_path}: video {video["id"]}: length {video["length"]} but '
                            f'{n} file_names')
        for key in ('height', 'width'):
            if not isinstance(video.get(key), int) or video[key] <= 0:
                problems.append(f'{ann_path}: video {video["id"]}: "{key}" must be a positive int')
        videos[video['id']] = video
    cat_ids = {c.get('id') for c in data['categories'] if isinstance(c, dict)}

    for i, ann in enumerate(anns):
        where = f'{ann_path}: annotations[{i}] (id {ann.get("id") if isinstance(ann, dict) else "?"})'
        if not isinstance(ann, dict):
            problems.append(f'{where}: expected an object')
            continue
        video = videos.get(ann.get('video_id'))
        if video is None:
            problems.append(f'{where}: unknown video_id {ann.get("video_id")!r}')
            continue
        if ann.get('category_id') not in cat_ids:
            problems.append(f'{where}: category_id {ann.get("category_id")!r} not in categories')
        segs = ann.get('segmentations')
        n = len(video['file_names'])
        if not isinstance(segs, list):
            problems.append(f'{where}: missing "segmentations" list')
            continue
        if len(segs) != n:
            problems.append(f'{where}: {len(segs)} segmentations for video {video["id"]} of '
                            f'{n} frames')
        size = [video.get('height'), video.get('width')]
        for t, seg in enumerate(segs):
            if seg is None:
                continue
            if not _is_rle(seg):
                problems.append(f'{where}: frame {t}: segmentation is not an RLE dict')
            elif list(seg['size']) != size:
                problems.append(f'{where}: frame {t}: RLE size {list(seg["size"])} != video '
                                f'size {size}')
    return problems
