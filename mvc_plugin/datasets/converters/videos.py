"""Custom videos with per-frame instance-id masks to YouTube-VIS JSON + frame folders.

Why: the quickest way to train or evaluate on one's own clips is to bring them into the format
the VIS datasets and the YouTube-VIS evaluator already read. Input layout under ``SRC``::

    SRC/<video>/frames/<frame>.jpg|png     a video as frames, or
    SRC/<video>.mp4|avi                    a video file (frames are extracted)
    SRC/<video>/masks/<frame>.png          one mask per frame, pixel value = instance id
    SRC/<video>/meta.json                  optional {"1": "dog", "2": "cat"}; default "object"

Masks are palette / grey-level PNGs (0 = background, 1..N = instances) or RGB PNGs with
``id = R + 256 G + 256^2 B``. Frame-folder masks are matched to frames by file stem; a video
file's masks are matched to its decoded frames in sorted order. Output::

    OUT/annotations/<split>.json           videos, one track per instance, categories by name
    OUT/<split>/JPEGImages/<video>/<frame>  the frames (``file_names`` are relative to here)

so a config needs ``data_root=OUT``, ``ann_file='annotations/<split>.json'`` and
``data_prefix=dict(img_path='<split>/JPEGImages')``, like the synthetic quick-start set.
"""
from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import mmcv
import numpy as np
from PIL import Image
from pycocotools import mask as mask_utils
from tqdm import tqdm

__all__ = ['VIDEO_SUFFIXES', 'VideoSource', 'convert_videos_to_ytvis', 'find_videos',
           'load_instance_mask', 'load_video_meta']

PathLike = Union[str, os.PathLike]
FRAME_SUFFIXES = ('.jpg', '.jpeg', '.png')
VIDEO_SUFFIXES = ('.mp4', '.avi')


@dataclass
class VideoSource:
    """One input video: a frame folder or a video file, its masks and optional meta.json."""

    name: str
    masks: Path
    frames: Optional[Path] = None  # SRC/<video>/frames
    video_file: Optional[Path] = None  # SRC/<video>.mp4
    meta: Optional[Path] = None


def _natural_key(path: Path) -> list:
    return [int(p) if p.isdigit() else p for p in re.split(r'(\d+)', path.name)]


def _files(folder: Path, suffixes: Sequence[str]) -> List[Path]:
    return sorted((p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in suffixes),
                  key=_natural_key)


def load_instance_mask(path: PathLike) -> np.ndarray:
    """(H, W) int64 instance ids of a mask PNG; 0 is background.

    Palette (``P``), grey-level (``L``, ``I``, ``I;16``) and binary (``1``) PNGs hold the ids
    directly; ``RGB`` (or opaque ``RGBA``) PNGs encode ``R + 256 G + 256^2 B``.
    """
    path = Path(path)
    with Image.open(path) as img:
        mode = img.mode
        arr = np.array(img)
    if mode in ('P', 'L', 'I', 'I;16', '1'):
        return arr.astype(np.int64)
    if mode == 'RGBA':
        if (arr[..., 3] != 255).any():
            raise ValueError(f'{path}: RGBA mask with transparent pixels; save instance ids as '
                             'a palette, grey-level or RGB PNG')
        arr, mode = arr[..., :3], 'RGB'
    if mode == 'RGB':
        rgb = arr.astype(np.int64)
        return rgb[..., 0] + 256 * rgb[..., 1] + 65536 * rgb[..., 2]
    raise ValueError(f'{path}: unsupported mask mode {mode!r} (expected a palette, grey-level '
                     'or RGB-encoded instance-id PNG)')


def load_video_meta(path: PathLike) -> Dict[int, str]:
    """``{"1": "dog"}`` in ``meta.json`` -> ``{1: "dog"}`` (instance id -> class name)."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding='utf-8'))
    except json.JSONDecodeError as err:
        raise ValueError(f'{path}: not valid JSON ({err})') from None
    if not isinstance(raw, dict) or not all(
            str(k).isdigit() and isinstance(v, str) and v.strip() for k, v in raw.items()):
        raise ValueError(f'{path}: expected {{"<instance id>": "<class name>"}}, e.g. '
                         f'{{"1": "dog"}}, got {raw!r}'[:300])
    return {int(k): v.strip() for k, v in raw.items()}


def find_videos(src_root: PathLike) -> List[VideoSource]:
    """The videos under ``src_root`` sorted by name; errors name the offending path."""
    root = Path(src_root)
    if not root.is_dir():
        raise FileNotFoundError(f'source folder not found: {root}')
    files = {p.stem: p for p in root.iterdir()
             if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES}
    dirs = {p.name: p for p in root.iterdir() if p.is_dir()}
    videos = []
    for name in sorted(set(files) | set(dirs)):
        folder = root / name
        frames = folder / 'frames'
        if name in files and frames.is_dir():
            raise ValueError(f'{name}: both {files[name]} and {frames} exist; keep one')
        if name not in files and not frames.is_dir():
            raise FileNotFoundError(f'{folder}: no frames/ folder and no {name}'
                                    f'{"|".join(VIDEO_SUFFIXES)} video beside it')
        if not (folder / 'masks').is_dir():
            raise FileNotFoundError(f'video {name!r} has no masks: expected {folder / "masks"}/'
                                    '<frame>.png')
        meta = folder / 'meta.json'
        videos.append(VideoSource(name=name, masks=folder / 'masks',
                                  frames=None if name in files else frames,
                                  video_file=files.get(name),
                                  meta=meta if meta.is_file() else None))
    if not videos:
        raise ValueError(f'no videos under {root} (expected <video>/frames/ folders or '
                         f'<video>{"|".join(VIDEO_SUFFIXES)} files, each with <video>/masks/)')
    return videos


def _frame_pairs(video: VideoSource, img_dir: Path, link: bool
                 ) -> Iterator[Tuple[str, Tuple[int, int], Path]]:
    """(output file name, (w, h), mask path) per frame; writes / links the frame into
    ``img_dir``."""
    masks = _files(video.masks, ('.png', ))
    if not masks:
        raise FileNotFoundError(f'video {video.name!r} has no masks: {video.masks} holds no .png')
    img_dir.mkdir(parents=True, exist_ok=True)
    if video.frames is not None:
        frames = _files(video.frames, FRAME_SUFFIXES)
        if not frames:
            raise FileNotFoundError(f'{video.frames}: no {"/".join(FRAME_SUFFIXES)} frames')
        by_stem = {m.stem: m for m in masks}
        missing = [f.name for f in frames if f.stem not in by_stem]
        extra = sorted(set(by_stem) - {f.stem for f in frames})
        if missing or extra:
            raise ValueError(f'video {video.name!r}: frame count mismatch, {len(frames)} frames '
                             f'in {video.frames} vs {len(masks)} masks in {video.masks}; '
                             f'frames without a mask: {missing[:5]}, masks without a frame: '
                             f'{[s + ".png" for s in extra[:5]]}')
        for frame in frames:
            with Image.open(frame) as img:
                size = img.size
            dst = img_dir / frame.name
            if dst.is_symlink() or dst.exists():
                dst.unlink()
            if link:
                dst.symlink_to(frame.resolve())
            else:
                shutil.copyfile(frame, dst)
            yield frame.name, size, by_stem[frame.stem]
        return
    reader = mmcv.VideoReader(str(video.video_file))
    count = 0  # decoded frames (the container's frame count can be wrong)
    while True:
        frame = reader.read()  # (re-iterating a VideoReader would restart it)
        if frame is None:
            break
        if count < len(masks):
            name = f'{count:05d}.jpg'
            mmcv.imwrite(frame, str(img_dir / name))
            yield name, (frame.shape[1], frame.shape[0]), masks[count]
        count += 1
    if count != len(masks):
        raise ValueError(f'video {video.name!r}: frame count mismatch, {video.video_file} has '
                         f'{count} frames but {video.masks} has {len(masks)} masks')


def _encode(mask: np.ndarray) -> Dict[str, Any]:
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {'size': [int(s) for s in rle['size']], 'counts': rle['counts'].decode('ascii')}


def _convert_video(video: VideoSource, video_id: int, img_dir: Path, link: bool
                   ) -> Tuple[dict, Dict[int, list]]:
    """The ``videos`` entry and ``{instance id: [RLE or None per frame]}`` of one video."""
    file_names: List[str] = []
    tracks: Dict[int, Dict[int, dict]] = {}
    width = height = None
    for t, (name, size, mask_path) in enumerate(_frame_pairs(video, img_dir, link)):
        if width is None:
            width, height = size
        elif size != (width, height):
            raise ValueError(f'video {video.name!r}: frame {name} is {size[0]}x{size[1]}, the '
                             f'first frame {width}x{height}')
        ids = load_instance_mask(mask_path)
        if ids.shape != (height, width):
            raise ValueError(f'{mask_path}: mask size {ids.shape[1]}x{ids.shape[0]} differs '
                             f'from its frame {name} ({width}x{height})')
        for obj in np.unique(ids).tolist():
            if obj != 0:
                tracks.setdefault(obj, {})[t] = _encode(ids == obj)
        file_names.append(f'{video.name}/{name}')
    length = len(file_names)
    entry = dict(id=video_id, name=video.name, width=width, height=height, length=length,
                 file_names=file_names)
    return entry, {obj: [segs.get(t) for t in range(length)] for obj, segs in tracks.items()}


def convert_videos_to_ytvis(src_root: PathLike, out_dir: PathLike, split: str = 'train',
                            classes: Optional[Sequence[str]] = None,
                            default_class: str = 'object', link_frames: bool = False,
                            progress: bool = True) -> Dict[str, Any]:
    """Convert the videos under ``src_root``; writes ``out_dir/annotations/<split>.json`` and
    ``out_dir/<split>/JPEGImages/`` and returns the JSON dict.

    Args:
        src_root: input folder (layout in the module docstring).
        out_dir: output root (a config's ``data_root``).
        split: name of the JSON and of the frame folder.
        classes: the full class list; fixes the category ids, e.g. to convert train and val
            with the same ids. Default: every name in the meta.json files, plus
            ``default_class`` when an instance has no entry.
        default_class: class of instances missing from (or without) ``meta.json``.
        link_frames: symlink frame-folder frames instead of copying them.
        progress: show a tqdm bar over videos.

    Returns:
        YouTube-VIS dict: ``videos``, ``annotations`` (one per instance id and video, compressed
        RLE with str counts or None per frame, ``areas`` in pixels, ``bboxes`` [x, y, w, h])
        and ``categories`` sorted by name with ids from 1.
    """
    if not split or any(c in split for c in '/\\') or split in ('.', '..'):
        raise ValueError(f'split must be a plain name such as "train", got {split!r}')
    videos_in = find_videos(src_root)
    metas = {v.name: load_video_meta(v.meta) if v.meta else {} for v in videos_in}
    out = Path(out_dir)
    videos, pending = [], []  # pending: (video id, instance id, class name, segmentations)
    for video in tqdm(videos_in, desc='videos -> YouTube-VIS', unit='video',
                      disable=not progress):
        entry, tracks = _convert_video(video, len(videos) + 1,
                                       out / split / 'JPEGImages' / video.name, link_frames)
        videos.append(entry)
        for obj in sorted(tracks):
            pending.append((entry['id'], obj, metas[video.name].get(obj, default_class),
                            tracks[obj]))

    used = {name for _, _, name, _ in pending}
    if classes is not None:
        names = sorted(set(classes))
        unknown = sorted(used - set(names))
        if unknown:
            raise ValueError(f'classes {unknown} of the masks are not in the given class list '
                             f'{names}')
    else:
        names = sorted({n for meta in metas.values() for n in meta.values()} | used)
    cat_ids = {name: i + 1 for i, name in enumerate(names)}
    sizes = {v['id']: (v['height'], v['width']) for v in videos}
    annotations = []
    for video_id, _, name, segs in pending:
        height, width = sizes[video_id]
        annotations.append(dict(
            id=len(annotations) + 1, video_id=video_id, category_id=cat_ids[name], iscrowd=0,
            height=height, width=width, length=1, segmentations=segs,
            areas=[None if s is None else int(mask_utils.area(s)) for s in segs],
            bboxes=[None if s is None else [float(x) for x in mask_utils.toBbox(s)]
                    for s in segs]))
    result = dict(
        info=dict(description=f'{Path(src_root).name} converted to YouTube-VIS by mvc_plugin',
                  split=split),
        licenses=[], videos=videos, annotations=annotations,
        categories=[dict(id=cat_ids[n], name=n, supercategory='object') for n in names])
    ann_path = out / 'annotations' / f'{split}.json'
    ann_path.parent.mkdir(parents=True, exist_ok=True)
    ann_path.write_text(json.dumps(result), encoding='utf-8')
    return result
