"""The decoupled-model configs of the five datasets form a complete, consistent grid:
dataset x backbone x stage x (baseline | MVC + OMA), each stage starting from the previous one."""
import itertools

import pytest
from mmengine.config import Config

from .config_files import CONFIG_DIR

DATASETS = {'ytvis19': 'vis', 'ytvis21': 'vis', 'ovis': 'vis', 'vspw': 'vss', 'vipseg': 'vps'}
BACKBONES = {'r50': 'ResNet', 'swinl': 'SwinTransformer'}
STAGES = ('segmenter', 'tracker', 'refiner')
FRAMES = {'segmenter': 2, 'tracker': 5, 'refiner': 10}
GRID = list(itertools.product(DATASETS, BACKBONES, STAGES, (True, False)))


def _name(dataset, backbone, stage, baseline):
    return f'dvis_{dataset}_{backbone}_{stage}' + ('_baseline' if baseline else '')


def test_grid_is_complete():
    shipped = {p.stem for p in (CONFIG_DIR / 'dvis').glob('dvis_*.py')}
    assert shipped == {_name(*key) for key in GRID}


@pytest.mark.parametrize('dataset,backbone,stage,baseline', GRID,
                         ids=lambda v: v if isinstance(v, str) else ('base' if v else 'mvc'))
def test_config_is_what_its_name_says(dataset, backbone, stage, baseline):
    cfg = Config.fromfile(str(CONFIG_DIR / 'dvis' / (_name(dataset, backbone, stage, baseline)
                                                     + '.py')))
    assert cfg.model.type == ('DecoupledVideoSegmentor' if baseline
                              else 'MaskedVideoConsistency')
    host = cfg.model if baseline else cfg.model.model
    assert host.task == DATASETS[dataset]
    assert host.stage == stage
    assert host.mode == ('offline' if stage == 'refiner' else 'online')
    assert host.segmenter.backbone.type == BACKBONES[backbone]
    oma_on = [host.tracker.oma_cfg.get('mode') != 'off', host.refiner.oma_cfg.get('mode') != 'off']
    # OMA acts where attention over queries is trained: the tracker from stage 2, the refiner
    # in stage 3; the segmenter stage trains neither, so its oma settings do not matter
    if stage == 'tracker':
        assert oma_on[0] == (not baseline)
    if stage == 'refiner':
        assert oma_on == [not baseline] * 2
    assert host.query_mask_ratio == (0.0 if baseline or stage == 'segmenter' else 0.2)
    if not baseline:  # MIC's 64 px at ~1024 px input, 32 px at 640x360 / 480 px
        assert cfg.model.mask_generator.block_size == (64 if dataset == 'vipseg' else 32)
    assert cfg.train_dataloader.dataset.pipeline[0].type == 'VideoClipSample'
    assert cfg.train_dataloader.dataset.pipeline[0].num_frames == FRAMES[stage]
    assert cfg.auto_scale_lr.base_batch_size == cfg.train_dataloader.batch_size * 8
    if stage == 'segmenter':  # from mmdet's COCO-panoptic Mask2Former of the same backbone
        assert host.segmenter.init_cfg.type == 'Pretrained'
        assert ('swin-l' in host.segmenter.init_cfg.checkpoint) == (backbone == 'swinl')
        assert host.get('init_cfg') is None
    else:  # from the previous stage of the same variant; nothing downloaded
        previous = _name(dataset, backbone, STAGES[STAGES.index(stage) - 1], baseline)
        assert host.init_cfg.checkpoint == \
            f'work_dirs/{previous}/iter_{cfg.train_cfg.max_iters}.pth'
        assert host.segmenter.init_cfg is None
    if backbone == 'swinl':
        assert host.segmenter.panoptic_head.in_channels == [192, 384, 768, 1536]
        assert 'relative_position_bias_table' in cfg.optim_wrapper.paramwise_cfg.custom_keys
