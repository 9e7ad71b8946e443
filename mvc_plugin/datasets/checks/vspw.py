"""VSPW check: split file, class list, every video's frames and masks.

Cheap (default): ``label_num_dic_final.json`` (name -> raw label, C = largest label below
255), the split file (or every folder of ``data/``), per video: ``origin/`` frames exist and
are complete (header + end marker), each frame has its ``mask/<stem>.png`` and the masks match
the frames one to one, mask and frame sizes agree (image headers). ``full=True`` also decodes
every frame and mask and checks that masks are single-channel with values in {0..C, 255}.
"""
import os
import os.path as osp
from typing import List, Optional

import numpy as np

from ..frame_integrity import frame_problem
from ..problems import Problem
from .common import CheckReport, header_size, load_json_or_problem, size_problem, videos_bar

__all__ = ['check_vspw', 'vspw_num_classes']

IMG_EXTS = ('.jpg', '.jpeg', '.png')
LABEL_FILE = 'label_num_dic_final.json'


def vspw_num_classes(mapping: dict, path: str) -> tuple:
    """``(C, problems)``: the largest raw label below 255 of the class list, and its faults."""
    labels, problems = [], []
    for name, value in mapping.items():
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 255:
            problems.append(Problem(f'{path}: class {name!r} has label {value!r}; labels must '
                                    f'be ints in [0, 255]', 'bad-json', path))
        else:
            labels.append(value)
    real = [v for v in labels if 0 < v < 255]
    if not real:
        problems.append(Problem(f'{path}: no class with a label in 1..254', 'bad-json', path))
    return (max(real) if real else 0), problems


def _video_names(root: str, split: Optional[str], report: CheckReport) -> List[str]:
    data_dir = osp.join(root, 'data')
    if split is None:
        if not osp.isdir(data_dir):
            report.add(Problem(f'{data_dir}: no such folder (VSPW layout expected)',
                               'missing-file', data_dir))
            return []
        return sorted(d for d in os.listdir(data_dir) if osp.isdir(osp.join(data_dir, d)))
    path = split if osp.isabs(split) or osp.isfile(split) else osp.join(root, split)
    if not osp.isfile(path):
        report.add(Problem(f'{path}: split file not found', 'missing-file', path))
        return []
    with open(path, encoding='utf-8', errors='replace') as f:
        return [line.strip() for line in f if line.strip()]


def _mask_values_problem(path: str, num_classes: int, video: str, t: int) -> Optional[Problem]:
    from PIL import Image
    with Image.open(path) as img:
        if img.mode not in ('L', 'P', 'I', 'I;16'):
            return Problem(f'{path}: video {video} frame {t}: mask has mode {img.mode}; VSPW '
                           f'masks are single-channel label maps', 'invalid-mask-value', path,
                           video, t)
        values = np.unique(np.asarray(img))
    bad = [int(v) for v in values if not (0 <= v <= num_classes or v == 255)]
    if not bad:
        return None
    return Problem(f'{path}: video {video} frame {t}: mask values {bad[:10]} outside '
                   f'{{0..{num_classes}, 255}}', 'invalid-mask-value', path, video, t)


def check_vspw(root: str, split: Optional[str] = None, full: bool = False,
               progress: bool = False) -> CheckReport:
    """Check a VSPW tree (``split``: a file relative to ``root`` or a path; ``None`` checks
    every video folder); never raises for bad data."""
    report = CheckReport(f'VSPW {root}')
    if not osp.isdir(root):
        report.add(Problem(f'{root}: VSPW root folder not found', 'missing-file', root))
        return report
    label_path = osp.join(root, LABEL_FILE)
    mapping, problem = load_json_or_problem(label_path, f'VSPW class list {LABEL_FILE}')
    report.add(problem)
    num_classes = None
    if mapping is not None:
        num_classes, problems = vspw_num_classes(mapping, label_path)
        report.extend(problems)
    videos = _video_names(root, split, report)
    report.videos = len(videos)
    for video in videos_bar(videos, 'vspw videos', progress):
        vdir = osp.join(root, 'data', video)
        img_dir, mask_dir = osp.join(vdir, 'origin'), osp.join(vdir, 'mask')
        if not osp.isdir(img_dir):
            report.add(Problem(f'{img_dir}: video {video} has no origin/ folder',
                               'missing-frame', img_dir, video))
            continue
        frames = sorted(n for n in os.listdir(img_dir) if n.lower().endswith(IMG_EXTS))
        if not frames:
            report.add(Problem(f'{img_dir}: video {video} has no frames', 'empty-video',
                               img_dir, video))
            continue
        masks = sorted(n for n in os.listdir(mask_dir)
                       if n.lower().endswith('.png')) if osp.isdir(mask_dir) else []
        stems = {osp.splitext(n)[0] for n in frames}
        orphans = [m for m in masks if osp.splitext(m)[0] not in stems]
        if len(masks) != len(frames) or orphans:
            extra = f'; masks without a frame: {orphans[:5]}' if orphans else ''
            report.add(Problem(f'{mask_dir}: video {video}: {len(masks)} masks for '
                               f'{len(frames)} frames{extra}', 'length-mismatch', mask_dir,
                               video))
        for t, name in enumerate(frames):
            report.frames += 1
            img_path = osp.join(img_dir, name)
            mask_path = osp.join(mask_dir, osp.splitext(name)[0] + '.png')
            img_problem = frame_problem(img_path, full, video=video, frame=t)
            mask_problem = frame_problem(mask_path, full, 'missing-mask', video=video, frame=t)
            report.add(img_problem)
            report.add(mask_problem)
            if img_problem or mask_problem:
                continue
            report.add(size_problem(mask_path, header_size(mask_path), header_size(img_path),
                                    f'its frame {name}', video, t))
            if full and num_classes is not None:
                report.add(_mask_values_problem(mask_path, num_classes, video, t))
    return report
