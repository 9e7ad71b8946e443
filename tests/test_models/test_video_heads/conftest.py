"""Shared helpers of the video-head tests: a tiny DecoupledVideoSegmentor and fake videos."""
import copy
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

import mvc_plugin.models.video_heads  # noqa: F401  (registers the video heads)
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample, TrackDataSample
from mmdet.structures.mask import BitmapMasks

CONFIGS = Path(__file__).resolve().parents[3] / 'configs'
NUM_CLASSES = 5
H, W = 64, 96  # frame size (divisible by 32: no padding)


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny CPU ops: one thread is far faster than two on a shared machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def dvis_cfg(stage: str = 'tracker', mode: str = 'online', **kwargs) -> dict:
    """The host model of configs/dvis_synthetic_refiner.py, smaller, random init allowed."""
    cfg = Config.fromfile(str(CONFIGS / 'dvis_synthetic_refiner.py'))
    init_default_scope('mmdet')
    model = copy.deepcopy(cfg.model.model).to_dict()
    head = model['segmenter']['panoptic_head']
    head['num_queries'] = 8
    head['transformer_decoder']['num_layers'] = 2
    head['pixel_decoder']['encoder']['num_layers'] = 1
    model['segmenter']['train_cfg']['num_points'] = 256
    model['criterion']['num_points'] = 256
    model.update(stage=stage, mode=mode, init_cfg=None, allow_random_init=True)
    model.update(kwargs)
    return model


def build_dvis(stage: str = 'tracker', mode: str = 'online', seed: int = 0, **kwargs):
    torch.manual_seed(seed)
    model = MODELS.build(dvis_cfg(stage, mode, **kwargs))
    model.init_weights()
    return model


def video_samples(num_frames: int, ori_shapes: Optional[Sequence[tuple]] = None,
                  with_gt: bool = False, seed: int = 0) -> TrackDataSample:
    """A TrackDataSample as mmdet's video pipeline + TrackDataPreprocessor leave it."""
    rng = np.random.default_rng(seed)
    frames = []
    for t in range(num_frames):
        ori = tuple(ori_shapes[t]) if ori_shapes else (H, W)
        frame = DetDataSample(metainfo=dict(
            img_id=t, video_id=1, frame_id=t, video_length=num_frames,
            ori_video_length=num_frames, ori_shape=ori, img_shape=(H, W), pad_shape=(H, W),
            batch_input_shape=(H, W), scale_factor=(W / ori[1], H / ori[0])))
        if with_gt:
            ids = [1, 2] if t % 2 == 0 else [1]  # track 2 is hidden on odd frames
            masks = np.zeros((len(ids), H, W), dtype=np.uint8)
            for i, _ in enumerate(ids):
                y, x = rng.integers(0, H - 20), rng.integers(0, W - 20)
                masks[i, y:y + 20, x:x + 20] = 1
            frame.gt_instances = InstanceData(
                labels=torch.tensor([0, 3][:len(ids)]), masks=BitmapMasks(masks, H, W),
                instances_ids=torch.tensor(ids), bboxes=torch.zeros(len(ids), 4))
        frames.append(frame)
    sample = TrackDataSample()
    sample.video_data_samples = frames
    return sample


def video_inputs(num_frames: int, batch: int = 1, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch, num_frames, 3, H, W, generator=g)
