"""DAVIS (2016 / 2017) to YouTube-VIS JSON conversion.

DAVIS stores per-frame masks (``Annotations/<res>/<seq>/NNNNN.png``: binary
0/255 in DAVIS 2016, palette object ids in DAVIS 2017) and, separately, the
category of each object (``object_categories.json``:
``{"seq": {"1": "bird"}}``). YouTube-VIS stores one track per object with
per-frame RLE masks, which is what the VIS loaders and the YouTube-VIS
evaluator read. The image root for a loader is ``ROOT/JPEGImages/<res>``
(``file_names`` are ``<seq>/<frame>.jpg``).
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np
from PIL import Image
from pycocotools import mask as mask_utils
from tqdm import tqdm

__all__ = ['convert_davis_to_ytvis', 'load_davis_mask', 'load_categories']

PathLike = Union[str, os.PathLike]
_FRAME_SUFFIXES = ('.jpg', '.jpeg', '.png')


def load_davis_mask(path: PathLike) -> np.ndarray:
    """Object-id map (H, W) of a DAVIS mask PNG; 0 is background.

    Binary masks (mode ``1``, or ``L`` with values in {0, 255}: DAVIS 2016)
    give object 1; palette (``P``) and other single-channel masks are read as
    object ids (DAVIS 2017). An ``L`` mask mixing 255 with other non-zero
    values is ambiguous and rejected.
    """
    path = Path(path)
    with Image.open(path) as img:
        mode = img.mode
        arr = np.array(img)
    if mode == '1':
        return arr.astype(np.int64)
    if mode not in ('L', 'P', 'I', 'I;16'):
        raise ValueError(f'{path}: unsupported mask mode {mode!r} (expected '
                         'a single-channel binary, palette or id PNG)')
    arr = arr.astype(np.int64)
    if mode == 'L':
        values = set(np.unique(arr).tolist())
        if values <= {0, 255}:
            return (arr == 255).astype(np.int64)
        if 255 in values:
            raise ValueError(f'{path}: mode L mask mixes 255 with other ids '
                             f'{sorted(values - {0, 255})[:5]}; cannot tell '
                             'a binary mask from an id map')
    return arr


def load_categories(path: PathLike) -> Dict[str, Dict[int, str]]:
    """``{"seq": {"1": "bird"}}`` -> ``{seq: {1: "bird"}}``.

    Top-level keys starting with ``_`` (comments) are skipped.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'categories json not found: {path}')
    with open(path) as f:
        raw = json.load(f)
    if not isinstance(raw, dict):
        raise ValueError(f'{path}: expected {{"seq": {{"1": "name"}}}}')
    out: Dict[str, Dict[int, str]] = {}
    for seq, objs in raw.items():
        if seq.startswith('_'):
            continue
        if not isinstance(objs, dict) or not all(
                isinstance(n, str) and str(k).isdigit()
                for k, n in objs.items()):
            raise ValueError(f'{path}: entry {seq!r} must map object ids '
                             f'to category names, got {objs!r}')
        out[seq] = {int(k): n for k, n in objs.items()}
    return out


def _link(src: Path, dst: Path) -> None:
    """Symlink ``dst`` -> ``src`` (absolute), replacing an old symlink."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.is_symlink():
        if dst.resolve() == src.resolve():
            return
        dst.unlink()
    elif dst.exists():
        raise FileExistsError(f'{dst} exists and is not a symlink')
    dst.symlink_to(src.resolve())


def _encode(mask: np.ndarray) -> dict:
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    rle['counts'] = rle['counts'].decode('ascii')
    return rle


def convert_davis_to_ytvis(davis_root: PathLike,
                           out_json: Optional[PathLike] = None,
                           resolution: str = '480p',
                           sequences: Optional[Sequence[str]] = None,
                           categories_json: Optional[PathLike] = None,
                           link_frames_to: Optional[PathLike] = None,
                           max_frames: Optional[int] = None,
                           frame_stride: int = 1,
                           progress: bool = True) -> Dict[str, Any]:
    """Convert a DAVIS folder to a YouTube-VIS JSON dict (and file).

    Args:
        davis_root: folder with ``JPEGImages/<res>``, ``Annotations/<res>``
            and ``object_categories.json``.
        out_json: where to write the JSON (parents are created); None: only
            return it.
        resolution: DAVIS resolution folder name.
        sequences: sequences to convert (default: all in JPEGImages).
        categories_json: object-category map (default:
            ``davis_root/object_categories.json``).
        link_frames_to: if given, the selected frames are symlinked as
            ``<link_frames_to>/<seq>/<frame>``, usable as the image root.
        max_frames: keep at most this many frames per sequence (after the
            stride).
        frame_stride: keep every k-th frame, starting with the first.
        progress: show a tqdm bar over sequences.

    Returns:
        The YouTube-VIS dict: ``videos`` (id, name, width, height, length,
        file_names), ``annotations`` (one per object: per-frame compressed
        RLE with str counts or None, ``areas``, ``bboxes`` [x, y, w, h]) and
        ``categories`` (all names of the categories json, sorted, ids from 1).
        Objects listed in the json but absent from the selected frames get no
        annotation.
    """
    root = Path(davis_root)
    if not root.is_dir():
        raise FileNotFoundError(f'DAVIS root not found: {root}')
    img_root = root / 'JPEGImages' / resolution
    ann_root = root / 'Annotations' / resolution
    if not img_root.is_dir():
        raise FileNotFoundError(f'frame folder not found: {img_root}')
    if frame_stride < 1:
        raise ValueError(f'frame_stride must be >= 1, got {frame_stride}')
    if max_frames is not None and max_frames < 1:
        raise ValueError(f'max_frames must be >= 1, got {max_frames}')
    cat_path = Path(categories_json) if categories_json is not None \
        else root / 'object_categories.json'
    seq_cats = load_categories(cat_path)
    names = sorted({n for objs in seq_cats.values() for n in objs.values()})
    cat_ids = {name: i + 1 for i, name in enumerate(names)}

    if sequences is None:
        sequences = sorted(p.name for p in img_root.iterdir() if p.is_dir())
    else:
        sequences = list(sequences)
        for seq in sequences:
            if not (img_root / seq).is_dir():
                raise FileNotFoundError(
                    f'sequence {seq!r} not found: {img_root / seq}')
    if not sequences:
        raise ValueError(f'no sequences under {img_root}')

    videos: List[dict] = []
    annotations: List[dict] = []
    for seq in tqdm(sequences, desc='DAVIS -> YouTube-VIS', unit='seq',
                    disable=not progress):
        frames = sorted(p for p in (img_root / seq).iterdir()
                        if p.suffix.lower() in _FRAME_SUFFIXES)
        frames = frames[::frame_stride][:max_frames]
        if not frames:
            raise ValueError(f'no frames in {img_root / seq}')
        if not (ann_root / seq).is_dir():
            raise FileNotFoundError(
                f'annotation folder missing for sequence {seq!r}: '
                f'{ann_root / seq}')
        if seq not in seq_cats:
            raise ValueError(f'sequence {seq!r} has no category entry in '
                             f'{cat_path}')
        video_id = len(videos) + 1
        width = height = None
        tracks: Dict[int, list] = {}
        for t, frame in enumerate(frames):
            with Image.open(frame) as img:
                size = img.size  # (w, h)
            if width is None:
                width, height = size
            elif size != (width, height):
                raise ValueError(f'{frame}: frame size {size} differs from '
                                 f'the first frame ({width}, {height})')
            mask_path = ann_root / seq / f'{frame.stem}.png'
            if not mask_path.is_file():
                raise FileNotFoundError(f'mask missing for frame {frame}: '
                                        f'{mask_path}')
            ids = load_davis_mask(mask_path)
            if ids.shape != (height, width):
                raise ValueError(
                    f'{mask_path}: mask size (w, h) = '
                    f'{(ids.shape[1], ids.shape[0])} differs from the frame '
                    f'{frame} {(width, height)}')
            for obj in np.unique(ids).tolist():
                if obj == 0:
                    continue
                if obj not in seq_cats[seq]:
                    raise ValueError(f'{mask_path}: object id {obj} of '
                                     f'sequence {seq!r} has no category in '
                                     f'{cat_path}')
                tracks.setdefault(obj, [None] * len(frames))[t] = _encode(
                    ids == obj)
        videos.append(
            dict(id=video_id, name=seq, width=width, height=height,
                 length=len(frames),
                 file_names=[f'{seq}/{f.name}' for f in frames]))
        for obj in sorted(tracks):
            segms = tracks[obj]
            annotations.append(
                dict(id=len(annotations) + 1, video_id=video_id,
                     category_id=cat_ids[seq_cats[seq][obj]], iscrowd=0,
                     height=height, width=width, segmentations=segms,
                     areas=[None if s is None else int(mask_utils.area(s))
                            for s in segms],
                     bboxes=[None if s is None else
                             [float(v) for v in mask_utils.toBbox(s)]
                             for s in segms]))
        if link_frames_to is not None:
            for frame in frames:
                _link(frame, Path(link_frames_to) / seq / frame.name)

    result = dict(
        info=dict(description=f'DAVIS {resolution} converted to YouTube-VIS',
                  frame_stride=frame_stride,
                  max_frames=max_frames),
        licenses=[],
        videos=videos,
        annotations=annotations,
        categories=[dict(id=cat_ids[n], name=n) for n in names])
    if out_json is not None:
        out = Path(out_json)
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out, 'w') as f:
            json.dump(result, f)
    return result
