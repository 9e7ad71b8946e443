"""Every shipped config loads, inherits mmdet's bases and builds its model with the plug-in."""
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

import mvc_plugin  # noqa: F401
from mmdet.registry import MODELS

CONFIGS = sorted((Path(__file__).resolve().parents[2] / 'configs').glob('*.py'))


def test_config_basenames_are_unique():
    names = [p.name for p in CONFIGS]
    assert len(names) == len(set(names))


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: p.stem)
def test_config_builds_model(path):
    cfg = Config.fromfile(str(path))
    assert cfg.custom_imports['imports'] == ['mvc_plugin']
    assert cfg.train_dataloader.dataset.type == 'VideoInstanceDataset'
    assert cfg.val_evaluator.type == 'VideoInstanceMetric'
    init_default_scope('mmdet')
    model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'Mask2FormerVideo'
    assert model.track_head.num_classes == len(cfg.model.track_head.loss_cls.class_weight) - 1


def test_vis_youtube_is_mmdet_mask2former_vis():
    cfg = Config.fromfile(str(CONFIGS[0].parent / 'vis_youtube.py'))
    assert cfg.model.backbone.depth == 50
    assert cfg.model.track_head.num_classes == 40
    assert cfg.train_dataloader.dataset.data_root == 'data/youtube_vis_2019/'
    assert cfg.train_dataloader.dataset.dataset_version == '2019'
