"""Tiny DVIS++ models for the tests (the video-head tests' synthetic config, DVIS++ modules)."""
import pytest
import torch

from mmdet.registry import MODELS
from ..test_video_heads.conftest import dvis_cfg


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def dvispp_cfg(stage: str = 'tracker', mode: str = 'online', oma_cfg=None, **kwargs) -> dict:
    model = dvis_cfg(stage, mode)
    model['type'] = 'DVISPlusVideoSegmentor'
    model['segmenter']['panoptic_head']['type'] = 'ReIDMask2FormerHead'
    model['tracker'] = dict(type='DVISPlusReferringTracker', num_layers=2, ffn_channels=64,
                            noise_mode='wa', noise_ratio=0.5, oma_cfg=oma_cfg)
    model['refiner'] = dict(type='DVISPlusTemporalRefiner', num_layers=2, ffn_channels=64,
                            oma_cfg=oma_cfg)
    model['test_cfg'] = dict(max_num=4, window_size=2)
    model.pop('init_heads_from_previous', None)
    model.update(kwargs)
    return model


def build_dvispp(stage='tracker', mode='online', seed=0, **kwargs):
    torch.manual_seed(seed)
    model = MODELS.build(dvispp_cfg(stage, mode, **kwargs))
    model.init_weights()
    return model
