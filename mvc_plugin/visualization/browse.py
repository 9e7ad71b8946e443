"""Render a config's dataset with its annotations: one PNG per video, one row of frames.

Why: before a long training run, the quickest check of a dataset (converted, synthetic or real)
is to look at it. This module builds the train / val / test dataset of a config exactly as
training does (same class, data root, class list and load-time validation), picks a few
videos and ``T`` evenly spaced frames of each, and draws the ground truth with the OpenMMLab
visualizers: video instances with :class:`VideoTrackVisualizer` (mmdet's track visualizer, one
colour per track id, ``"<class> #<track id>"`` labels), VSPW semantic maps with mmseg's
``SegLocalVisualizer`` (class names on the regions), VIPSeg panoptic frames with both (stuff as
a semantic map, things as tracks). Frames are loaded without the config's augmentations.
"""
import os
import os.path as osp
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import cv2
import mmcv
import numpy as np
import torch
from mmdet.datasets import BaseVideoDataset
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import DATASETS, DefaultScope
from mmengine.structures import InstanceData, PixelData
from mmseg.datasets import BaseSegDataset
from mmseg.structures import SegDataSample
from mmseg.visualization import SegLocalVisualizer
from tqdm import tqdm

from .track_visualizer import VideoTrackVisualizer, class_palette

__all__ = ['SPLITS', 'browse_dataset', 'build_split_dataset', 'pick_frames']

SPLITS = ('train', 'val', 'test')
_GAP, _HEADER = 4, 18  # px between frames / above the row
Clip = Tuple[str, List[dict]]  # (video name, data infos of its frames)


def build_split_dataset(cfg: Config, split: str):
    """Build ``cfg.<split>_dataloader.dataset`` in the config's registry scope (the dataset
    inside wrappers such as ``RepeatDataset``); ``ValueError`` for a bad split or no data."""
    if split not in SPLITS:
        raise ValueError(f'split must be one of {", ".join(SPLITS)}, got {split!r}')
    loader = cfg.get(f'{split}_dataloader')
    if not loader or not loader.get('dataset'):
        raise ValueError(f'the config has no {split}_dataloader.dataset to browse')
    dataset_cfg = loader['dataset']
    while isinstance(dataset_cfg.get('dataset'), dict):  # RepeatDataset and other wrappers
        dataset_cfg = dataset_cfg['dataset']
    # unserialised: mmengine's serialisation fails on an empty data list, and nothing is shared
    dataset_cfg = dict(dataset_cfg, serialize_data=False)
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmdet')):
        dataset = DATASETS.build(dataset_cfg)
    if len(dataset) == 0:
        raise ValueError(f'the {split} dataset ({type(dataset).__name__}, data_root='
                         f'{getattr(dataset, "data_root", None)!r}) is empty: nothing to browse')
    return dataset


def pick_frames(length: int, num_frames: int) -> List[int]:
    """``num_frames`` evenly spaced frame indices of a video (all of them if it is shorter)."""
    if length <= num_frames:
        return list(range(length))
    return sorted({int(round(x)) for x in np.linspace(0, length - 1, num_frames)})


def _vis_clips(dataset: BaseVideoDataset, num_videos: int) -> Iterator[Clip]:
    for idx in range(min(num_videos, len(dataset))):
        info = dataset.get_data_info(idx)
        images = info['images']
        name = osp.dirname(images[0].get('file_name', '')) if images else ''
        yield name or f'video_{info["video_id"]}', images


def _frame_clips(dataset, num_videos: int, key: str) -> Iterator[Clip]:
    """Group a per-frame dataset's consecutive frames by ``info[key]`` (the video)."""
    name, frames, count = None, [], 0
    for idx in range(len(dataset)):
        info = dataset.get_data_info(idx)
        if frames and info[key] != name:
            yield str(name), frames
            count += 1
            if count == num_videos:
                return
            frames = []
        name = info[key]
        frames.append(info)
    if frames:
        yield str(name), frames


class _Renderer:
    """Draws one frame (a data info) of one dataset family."""

    def __init__(self, dataset) -> None:
        meta = dict(dataset.metainfo)
        classes = list(meta.get('classes') or [])
        palette = meta.get('palette') or class_palette(len(classes))
        self.track_vis = VideoTrackVisualizer.get_instance('mvc_plugin_browse_tracks')
        self.track_vis.dataset_meta = dict(classes=classes)
        self.seg_vis = SegLocalVisualizer.get_instance('mvc_plugin_browse_seg')
        self.seg_vis.dataset_meta = dict(classes=classes, palette=[tuple(p) for p in palette])
        self.load_image = Compose([dict(type='mmcv.LoadImageFromFile')])
        if isinstance(dataset, BaseVideoDataset):
            self.draw: Callable[[dict], np.ndarray] = self._draw_vis
            self.load_vis = Compose([dict(type='mmcv.LoadImageFromFile'),
                                     dict(type='mmdet.LoadTrackAnnotations', with_mask=True)])
        elif isinstance(dataset, BaseSegDataset):
            self.draw = self._draw_vss
            self.load_vss = Compose([dict(type='mmcv.LoadImageFromFile'),
                                     dict(type='mmseg.LoadAnnotations')])
        elif 'segments_info' in dataset.get_data_info(0):
            self.draw = self._draw_vps
        else:
            raise TypeError(f'cannot browse {type(dataset).__name__}: expected a video instance '
                            '(mmdet BaseVideoDataset), VSPW-style (mmseg BaseSegDataset) or '
                            'VIPSeg-style panoptic dataset')

    def _instances(self, image: np.ndarray, instances: InstanceData) -> np.ndarray:
        sample = DetDataSample()
        sample.gt_instances = instances
        self.track_vis.add_datasample('frame', image, sample, draw_gt=True, draw_pred=False)
        return self.track_vis.get_image()

    def _semantic(self, image: np.ndarray, seg_map: np.ndarray) -> np.ndarray:
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(data=torch.from_numpy(seg_map.astype(np.int64))[None])
        self.seg_vis.add_datasample('frame', image, sample, draw_gt=True, draw_pred=False)
        return self.seg_vis.get_image()

    def _draw_vis(self, info: dict) -> np.ndarray:
        results = self.load_vis(dict(info))
        image, boxes = mmcv.bgr2rgb(results['img']), results['gt_bboxes']
        instances = InstanceData(
            bboxes=torch.as_tensor(getattr(boxes, 'tensor', boxes)).reshape(-1, 4),
            labels=torch.as_tensor(results['gt_bboxes_labels'], dtype=torch.long),
            masks=results['gt_masks'].to_ndarray().astype(bool),
            instances_id=torch.as_tensor(results['gt_instances_ids'], dtype=torch.long))
        return self._instances(image, instances)

    def _draw_vss(self, info: dict) -> np.ndarray:
        results = self.load_vss(dict(info))
        return self._semantic(mmcv.bgr2rgb(results['img']), results['gt_seg_map'])

    def _draw_vps(self, info: dict) -> np.ndarray:
        from ..evaluation.functional.vipseg_eval import rgb2id
        image = mmcv.bgr2rgb(self.load_image(dict(img_path=info['img_path']))['img'])
        ids = rgb2id(mmcv.imread(info['seg_map_path'], 'color', channel_order='rgb'))
        stuff = np.full(ids.shape, 255, np.int64)
        masks, labels, track_ids = [], [], []
        for seg in info['segments_info']:
            mask = ids == seg['id']
            if seg['is_thing']:
                masks.append(mask)
                labels.append(seg['category'])
                track_ids.append(seg['id'])
            else:
                stuff[mask] = seg['category']
        drawn = self._semantic(image, stuff)
        instances = InstanceData(
            masks=np.stack(masks) if masks else np.zeros((0, *ids.shape), bool),
            labels=torch.as_tensor(labels, dtype=torch.long),
            instances_id=torch.as_tensor(track_ids, dtype=torch.long))
        return self._instances(drawn, instances)


def _compose_row(name: str, frames: Sequence[np.ndarray], indices: Sequence[int]) -> np.ndarray:
    """Frames side by side on white, with a header naming the video and the frame indices."""
    height = max(f.shape[0] for f in frames)
    width = sum(f.shape[1] for f in frames) + _GAP * (len(frames) - 1)
    row = np.full((height + _HEADER, max(width, 1), 3), 255, np.uint8)
    x = 0
    for frame in frames:
        row[_HEADER:_HEADER + frame.shape[0], x:x + frame.shape[1]] = frame
        x += frame.shape[1] + _GAP
    label = f'{name}  frames {", ".join(map(str, indices))}'
    cv2.putText(row, label, (2, _HEADER - 5), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1,
                cv2.LINE_AA)
    return row


def browse_dataset(config: Union[str, Config], out_dir: str, split: str = 'train',
                   num_videos: int = 4, num_frames: int = 4, cfg_options: Optional[Dict] = None,
                   progress: bool = True) -> List[str]:
    """Write ``<out_dir>/<split>_<k>_<video>.png`` for the first ``num_videos`` videos of the
    split, each one row of ``num_frames`` annotated frames; returns the written paths."""
    for what, value in (('num_videos', num_videos), ('num_frames', num_frames)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f'{what} must be a positive integer, got {value!r}')
    if split not in SPLITS:
        raise ValueError(f'split must be one of {", ".join(SPLITS)}, got {split!r}')
    cfg = config if isinstance(config, Config) else Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    dataset = build_split_dataset(cfg, split)
    renderer = _Renderer(dataset)
    total = None  # unknown for per-frame datasets until their frames are grouped
    if isinstance(dataset, BaseVideoDataset):
        clips, total = _vis_clips(dataset, num_videos), min(num_videos, len(dataset))
    else:
        key = 'video' if 'video' in dataset.get_data_info(0) else 'video_id'
        clips = _frame_clips(dataset, num_videos, key)
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for k, (name, infos) in enumerate(tqdm(clips, total=total, desc=f'browse {split}',
                                           unit='video', disable=not progress)):
        indices = pick_frames(len(infos), num_frames)
        row = _compose_row(name, [renderer.draw(infos[t]) for t in indices], indices)
        path = osp.join(out_dir, f'{split}_{k:03d}_{name.replace(os.sep, "_")}.png')
        mmcv.imwrite(mmcv.rgb2bgr(row), path)
        paths.append(path)
    return paths
