"""Every shipped config loads, inherits the hosts' bases and builds its model with the plug-in."""

from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope

import mvc_plugin  # noqa: F401
from mmdet.models import Mask2Former, Mask2FormerVideo
from mmseg.models import EncoderDecoder

from mvc_plugin.models import DecoupledVideoSegmentor
from mvc_plugin.models.dvis_plus import DVISPlusVideoSegmentor

from .config_files import CONFIG_DIR, CONFIGS

# the host model each config family builds (by file-name prefix)
HOSTS = {'vis': Mask2FormerVideo, 'vss': EncoderDecoder, 'vps': Mask2Former,
         'dvis': DecoupledVideoSegmentor, 'dvis-pp': DVISPlusVideoSegmentor,
         'mvc-oma': DVISPlusVideoSegmentor}


def _head(host_cfg):
    """The Mask2Former head config of a host model config."""
    if host_cfg.type in ('DecoupledVideoSegmentor', 'DVISPlusVideoSegmentor'):
        return host_cfg.segmenter.panoptic_head
    return host_cfg.get('track_head') or host_cfg.get('decode_head') or host_cfg.panoptic_head


def _build(path: Path):
    cfg = Config.fromfile(str(path))
    init_default_scope(cfg.default_scope)
    return cfg, MODELS.build(cfg.model)


def test_config_basenames_are_unique():
    names = [p.name for p in CONFIGS]
    assert len(names) == len(set(names))


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: p.stem)
def test_config_builds_model(path):
    cfg, model = _build(path)
    assert cfg.custom_imports['imports'] == ['mvc_plugin']
    assert isinstance(model, HOSTS[path.stem.split('_')[0]])
    host_cfg = cfg.model.model if cfg.model.type == 'MaskedVideoConsistency' else cfg.model
    head = _head(host_cfg)
    num_classes = head.get('num_classes') or \
        head.num_things_classes + head.num_stuff_classes
    assert num_classes == len(head.loss_cls.class_weight) - 1


@pytest.mark.parametrize('path', [p for p in CONFIGS if (p.parent / (p.stem + '_baseline.py'))
                                  .is_file()], ids=lambda p: p.stem)
def test_mvc_config_matches_its_baseline(path):
    """An MVC config is its baseline plus training-only masking: same parameters, same keys."""
    cfg, model = _build(path)
    assert cfg.model.type == 'MaskedVideoConsistency'
    _, base = _build(path.parent / (path.stem + '_baseline.py'))
    assert type(base) is type(model).__mro__[2]
    assert sum(p.numel() for p in model.parameters()) == sum(p.numel() for p in base.parameters())
    assert list(model.state_dict()) == list(base.state_dict())


def test_vis_youtube_is_mmdet_mask2former_vis_with_mvc():
    cfg = Config.fromfile(str(CONFIG_DIR / 'vis_youtube.py'))
    assert cfg.model.type == 'MaskedVideoConsistency'
    assert cfg.model.model.type == 'Mask2FormerVideo'
    assert cfg.model.model.backbone.depth == 50
    assert cfg.model.model.track_head.num_classes == 40
    assert cfg.train_dataloader.dataset.type == 'VideoInstanceDataset'
    assert cfg.train_dataloader.dataset.data_root == 'data/youtube_vis_2019/'
    assert cfg.val_evaluator.type == 'VideoInstanceMetric'
