"""Writers storing synthetic videos in the official YouTube-VIS, VSPW and VIPSeg layouts.

Why: the dataset classes and data pipelines of this plug-in read those on-disk formats, so
synthetic data written the same way exercises exactly the code paths real data does. All
output is deterministic (no timestamps; same spec -> byte-identical files).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import numpy as np
import pycocotools.mask as mask_utils
from PIL import Image
from tqdm import tqdm

from .synthetic import (SUPPORTED_FORMATS, SyntheticVideo, SyntheticVideoSpec, class_colours,
                        class_names, frame_stem, generate_video, semantic_map,
                        thing_class_names)

__all__ = ['JPEG_QUALITY', 'THING_ID_BASE', 'occlusion_label', 'panoptic_ids', 'write_dataset',
           'write_vipseg', 'write_vspw', 'write_ytvis']

JPEG_QUALITY = 95
#: VIPSeg thing segment id = category_id * THING_ID_BASE + instance id (stuff id = category id).
THING_ID_BASE = 1000

VideoCallback = Optional[Callable[[SyntheticVideo], None]]


def _check_split(split: str) -> str:
    if not isinstance(split, str) or split in ('', '.', '..') or any(c in split for c in '/\\'):
        raise ValueError(f'split must be a plain non-empty name such as "train", got {split!r}')
    return split


def _videos(spec: SyntheticVideoSpec, desc: str, progress: bool,
            on_video: VideoCallback) -> Iterator[SyntheticVideo]:
    for index in tqdm(range(spec.num_videos), desc=desc, unit='video', disable=not progress):
        video = generate_video(spec, index)
        if on_video is not None:
            on_video(video)
        yield video


def _save_jpeg(path: Path, rgb: np.ndarray) -> None:
    Image.fromarray(rgb).save(path, format='JPEG', quality=JPEG_QUALITY)


def _dump_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(data, f)


def _write_split_file(path: Path, names: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(''.join(f'{n}\n' for n in names), encoding='utf-8')


def occlusion_label(visible_area: int, amodal_area: int) -> Optional[str]:
    """OVIS per-frame occlusion label from the share of the object hidden by others:
    ``no_occlusion`` (0), ``slight_occlusion`` (<= 0.5), ``severe_occlusion`` (> 0.5); ``None``
    when the object is not visible (OVIS annotates absent frames with ``null``)."""
    if visible_area <= 0 or amodal_area <= 0:
        return None
    hidden = 1.0 - min(visible_area, amodal_area) / amodal_area
    if hidden <= 0.0:
        return 'no_occlusion'
    return 'slight_occlusion' if hidden <= 0.5 else 'severe_occlusion'


def write_ytvis(spec: SyntheticVideoSpec, out_dir: str | Path, split: str = 'train', *,
                progress: bool = True, on_video: VideoCallback = None,
                occlusion: bool = False) -> str:
    """Write YouTube-VIS 2019 style data; returns ``OUT/annotations/<split>.json``.

    Frames go to ``OUT/<split>/JPEGImages/<video>/<00000>.jpg``; one annotation per thing
    instance with per-frame RLE / area / bbox (``None`` where the instance is absent). With
    ``occlusion``, each annotation also carries OVIS-style per-frame ``occlusion`` labels
    (:func:`occlusion_label` of the visible vs unoccluded in-image area), which
    :class:`OVISDataset` and ``VideoInstanceMetric(occlusion_split=True)`` read.
    """
    split, root = _check_split(split), Path(out_dir)
    H, W = spec.height, spec.width
    videos, annotations = [], []
    for video_id, video in enumerate(_videos(spec, f'ytvis {split}', progress, on_video), 1):
        vdir = root / split / 'JPEGImages' / video.name
        vdir.mkdir(parents=True, exist_ok=True)
        file_names = []
        for t, frame in enumerate(video.frames):
            _save_jpeg(vdir / f'{frame_stem(t)}.jpg', frame)
            file_names.append(f'{video.name}/{frame_stem(t)}.jpg')
        videos.append(dict(id=video_id, width=W, height=H, length=video.num_frames,
                           file_names=file_names))
        amodal_areas = video.amodal_areas() if occlusion else None
        for i, cls in enumerate(video.instance_classes):
            segs: list = []
            areas: list = []
            boxes: list = []
            for t in range(video.num_frames):
                mask = video.instance_map[t] == i + 1
                if not mask.any():
                    segs.append(None)
                    areas.append(None)
                    boxes.append(None)
                    continue
                rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
                areas.append(int(mask_utils.area(rle)))
                boxes.append([float(x) for x in mask_utils.toBbox(rle)])
                segs.append({'size': [int(s) for s in rle['size']],
                             'counts': rle['counts'].decode('utf-8')})
            if any(a is not None for a in areas):
                annotations.append(dict(
                    id=len(annotations) + 1, video_id=video_id, category_id=int(cls) + 1,
                    iscrowd=0, height=H, width=W, length=1, segmentations=segs, areas=areas,
                    bboxes=boxes))
                if occlusion:
                    amodal = amodal_areas[:, i]
                    annotations[-1]['occlusion'] = [
                        None if a is None else occlusion_label(a, int(amodal[t]))
                        for t, a in enumerate(areas)]
    data = {
        'info': {'description': 'Synthetic YouTube-VIS 2019 style data (mvc_plugin)',
                 'url': '', 'version': '1.0', 'year': 2019,
                 'contributor': 'mvc_plugin.datasets.synthetic', 'date_created': '',
                 'split': split, 'synthetic_spec': spec.to_dict()},
        'licenses': [],
        'videos': videos,
        'annotations': annotations,
        'categories': [dict(id=k + 1, name=name, supercategory='object')
                       for k, name in enumerate(thing_class_names(spec))],
    }
    json_path = root / 'annotations' / f'{split}.json'
    _dump_json(json_path, data)
    return str(json_path)


def write_vspw(spec: SyntheticVideoSpec, out_dir: str | Path, split: str = 'train', *,
               progress: bool = True, on_video: VideoCallback = None) -> str:
    """Write VSPW style data; returns the root ``OUT``.

    ``OUT/data/<video>/origin/<00000>.jpg`` frames, ``OUT/data/<video>/mask/<00000>.png``
    8-bit labels (0 = others, 1..C classes, stuff first; 255 = void is never produced),
    ``OUT/<split>.txt`` video list and ``OUT/label_num_dic_final.json`` name -> label.
    """
    split, root = _check_split(split), Path(out_dir)
    names = []
    for video in _videos(spec, f'vspw {split}', progress, on_video):
        vdir = root / 'data' / video.name
        origin, mask_dir = vdir / 'origin', vdir / 'mask'
        origin.mkdir(parents=True, exist_ok=True)
        mask_dir.mkdir(parents=True, exist_ok=True)
        labels = semantic_map(video, spec)
        for t in range(video.num_frames):
            _save_jpeg(origin / f'{frame_stem(t)}.jpg', video.frames[t])
            Image.fromarray(labels[t]).save(mask_dir / f'{frame_stem(t)}.png')
        names.append(video.name)
    _write_split_file(root / f'{split}.txt', names)
    label_dic = {'others': 0, **{name: i + 1 for i, name in enumerate(class_names(spec))}}
    _dump_json(root / 'label_num_dic_final.json', label_dic)
    return str(root)


def panoptic_ids(video: SyntheticVideo, spec: SyntheticVideoSpec) -> np.ndarray:
    """(T, H, W) int64 VIPSeg segment ids: stuff = category id, thing = cat * 1000 + inst id."""
    labels = semantic_map(video, spec).astype(np.int64)
    return np.where(video.instance_map > 0, labels * THING_ID_BASE + video.instance_map, labels)


def _segments_info(ids: np.ndarray) -> list[dict[str, Any]]:
    segments = []
    for seg_id in np.unique(ids):
        if seg_id == 0:
            continue
        rows, cols = np.nonzero(ids == seg_id)
        is_thing = seg_id >= THING_ID_BASE
        x0, y0 = int(cols.min()), int(rows.min())
        segments.append(dict(
            id=int(seg_id), category_id=int(seg_id // THING_ID_BASE if is_thing else seg_id),
            iscrowd=0,
            area=int(rows.size), bbox=[x0, y0, int(cols.max()) - x0 + 1, int(rows.max()) - y0 + 1]))
    return segments


def write_vipseg(spec: SyntheticVideoSpec, out_dir: str | Path, split: str = 'train', *,
                 progress: bool = True, on_video: VideoCallback = None) -> str:
    """Write VIPSeg style panoptic data; returns ``OUT/panoptic_gt_VIPSeg_<split>.json``.

    ``OUT/images/<video>/<00000>.jpg`` frames and ``OUT/panomasksRGB/<video>/<00000>.png`` RGB
    ids (id = R + 256 G + 256^2 B, 0 = void); thing ids are stable across a video's frames. As
    the official conversion writes it, ``videos[].images[].file_name`` names the frame's PNG.
    """
    split, root = _check_split(split), Path(out_dir)
    H, W, S = spec.height, spec.width, spec.num_stuff_classes
    videos, annotations, names = [], [], []
    for video in _videos(spec, f'vipseg {split}', progress, on_video):
        img_dir, pan_dir = root / 'images' / video.name, root / 'panomasksRGB' / video.name
        img_dir.mkdir(parents=True, exist_ok=True)
        pan_dir.mkdir(parents=True, exist_ok=True)
        ids = panoptic_ids(video, spec)
        images, frame_anns = [], []
        for t in range(video.num_frames):
            stem = frame_stem(t)
            _save_jpeg(img_dir / f'{stem}.jpg', video.frames[t])
            rgb = np.stack([ids[t] % 256, ids[t] // 256 % 256, ids[t] // 65536], -1)
            Image.fromarray(rgb.astype(np.uint8)).save(pan_dir / f'{stem}.png')
            images.append(dict(id=stem, file_name=f'{stem}.png', width=W, height=H))
            frame_anns.append(dict(image_id=stem, file_name=f'{stem}.png',
                                   segments_info=_segments_info(ids[t])))
        videos.append(dict(video_id=video.name, images=images))
        annotations.append(dict(video_id=video.name, annotations=frame_anns))
        names.append(video.name)
    categories = [dict(id=i + 1, name=name, isthing=int(i >= S), color=list(colour))
                  for i, (name, colour) in enumerate(zip(class_names(spec), class_colours(spec)))]
    json_path = root / f'panoptic_gt_VIPSeg_{split}.json'
    _dump_json(json_path, dict(categories=categories, videos=videos, annotations=annotations))
    _write_split_file(root / f'{split}.txt', names)
    return str(json_path)


_WRITER_FUNCS = {'ytvis': write_ytvis, 'vspw': write_vspw, 'vipseg': write_vipseg}
assert tuple(_WRITER_FUNCS) == SUPPORTED_FORMATS


def write_dataset(fmt: str, spec: SyntheticVideoSpec, out_dir: str | Path, split: str = 'train',
                  *, progress: bool = True, on_video: VideoCallback = None) -> str:
    """Dispatch to ``write_<fmt>``; ``fmt`` is one of ``SUPPORTED_FORMATS``."""
    if fmt not in _WRITER_FUNCS:
        raise ValueError(f'format must be one of {", ".join(SUPPORTED_FORMATS)}, got {fmt!r}')
    return _WRITER_FUNCS[fmt](spec, out_dir, split, progress=progress, on_video=on_video)
