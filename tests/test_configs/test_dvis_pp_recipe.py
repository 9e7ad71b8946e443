"""The 15 DVIS++ R50 baseline configs carry the official recipe, value by value, and their
MVC + OMA variants differ only by MVC / OMA. The table is read off the official DVIS++ configs
(zhang-tao-whu/DVIS_Plus, ``configs/dvis_Plus/<folder>/<file>``; SOLVER.MAX_ITER, SOLVER.STEPS,
SOLVER.BASE_LR, SOLVER.IMS_PER_BATCH, INPUT.SAMPLING_FRAME_NUM / _RANGE, INPUT.REVERSE_AGU)."""
import functools

import pytest
from mmengine.config import Config

from .config_files import CONFIG_DIR

DVIS_PP = CONFIG_DIR / 'dvis_pp'


@functools.lru_cache(maxsize=None)
def _load(name: str) -> Config:
    """A shipped config, parsed once per session (read only here)."""
    return Config.fromfile(str(DVIS_PP / f'{name}.py'))

# (dataset, stage): (max_iters, milestones, lr, IMS_PER_BATCH, frames, range, reverse, coco)
OFFICIAL = {
    # ytvis19/CTVIS_R50.yaml (on MinVIS_R50.yaml: COCO joint, crop)
    ('ytvis19', 'segmenter'): (32000, [12000, 24000], 5e-5, 8, 10, 15, False, True),
    # ytvis19/DVIS_Plus_Online_R50_8wIter.yaml (the longer of 4w / 8w)
    ('ytvis19', 'online'): (80000, [56000], 1e-4, 8, 5, 2, False, True),
    # ytvis19/DVIS_Plus_Offline_R50.yaml
    ('ytvis19', 'offline'): (40000, [28000], 1e-4, 8, 15, 7, True, True),
    # ytvis21/CTVIS_R50.yaml, DVIS_Plus_Online_R50_8wIter.yaml, DVIS_Plus_Offline_R50.yaml
    ('ytvis21', 'segmenter'): (32000, [12000, 24000], 5e-5, 8, 10, 15, False, True),
    ('ytvis21', 'online'): (80000, [56000], 1e-4, 8, 5, 2, False, True),
    ('ytvis21', 'offline'): (40000, [28000], 1e-4, 8, 15, 7, True, True),
    # ovis/CTVIS_R50.yaml, DVIS_Plus_Online_R50_16wIter.yaml (the longer of 4w / 16w),
    # DVIS_Plus_Offline_R50.yaml
    ('ovis', 'segmenter'): (32000, [12000, 24000], 5e-5, 8, 10, 15, False, True),
    ('ovis', 'online'): (160000, [112000], 1e-4, 8, 5, 2, False, True),
    ('ovis', 'offline'): (40000, [28000], 1e-4, 8, 15, 7, True, True),
    # VSPW/CTVIS_R50.yaml (BASE_LR of Base-VSPW-*.yaml), DVIS_Plus_Online_R50.yaml,
    # DVIS_Plus_Offline_R50.yaml
    ('vspw', 'segmenter'): (20000, [14000, 18000], 1e-4, 16, 4, 8, False, False),
    ('vspw', 'online'): (20000, [14000], 1e-4, 8, 5, 2, False, False),
    ('vspw', 'offline'): (20000, [14000], 1e-4, 8, 21, 10, True, False),
    # VIPSeg/CTVIS_r50.yaml (BASE_LR of Base-VIPSeg-*.yaml), DVIS_Plus_Online_R50.yaml,
    # DVIS_Plus_Offline_R50.yaml
    ('vipseg', 'segmenter'): (20000, [14000, 18000], 1e-4, 16, 5, 10, False, False),
    ('vipseg', 'online'): (20000, [14000], 1e-4, 8, 5, 2, False, False),
    ('vipseg', 'offline'): (20000, [14000], 1e-4, 8, 11, 10, True, False),
}
# MIN_SIZE_TRAIN choices / MAX_SIZE_TRAIN / MIN_SIZE_TEST: ytvis19|21 / ovis MinVIS_R50.yaml,
# VSPW/MinVIS_R50_720p.yaml (+ CTVIS MIN_SIZE_TEST 720), VIPSeg/MinVIS_R50.yaml
VIS_SIZES = ((320, 352, 392, 416, 448, 480, 512, 544, 576, 608, 640), 768, 480)
SIZES_720P = ((480, 512, 544, 576, 608, 640, 672, 704, 736, 768, 800), 1333, 720)
SIZES = {'ytvis19': VIS_SIZES, 'ytvis21': VIS_SIZES, 'ovis': VIS_SIZES, 'vspw': SIZES_720P,
         'vipseg': SIZES_720P}


def _transforms(node):
    """Every transform dict in a pipeline (nested wrappers included)."""
    if isinstance(node, dict):
        if 'type' in node:
            yield node
        for value in node.values():
            yield from _transforms(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _transforms(value)


@pytest.mark.parametrize('dataset,stage', list(OFFICIAL), ids=lambda v: v)
def test_baseline_carries_the_official_recipe(dataset, stage):
    iters, steps, lr, ims, frames, frame_range, reverse, coco = OFFICIAL[dataset, stage]
    cfg = _load(f'dvis-pp_r50_{dataset}_{stage}')
    assert cfg.train_cfg.max_iters == iters
    assert cfg.param_scheduler.type == 'MultiStepLR' and cfg.param_scheduler.milestones == steps
    assert cfg.param_scheduler.end == iters and cfg.param_scheduler.gamma == 0.1
    assert cfg.optim_wrapper.optimizer.lr == lr
    assert cfg.optim_wrapper.optimizer.type == 'AdamW'
    assert cfg.optim_wrapper.optimizer.weight_decay == 0.05
    assert cfg.optim_wrapper.paramwise_cfg.custom_keys.backbone.lr_mult == 0.1
    assert cfg.optim_wrapper.clip_grad == dict(max_norm=0.01, norm_type=2)
    assert cfg.auto_scale_lr.base_batch_size == ims
    assert cfg.train_dataloader.batch_size * 8 == ims  # 8 GPUs as the official runs
    assert cfg.num_frames == frames
    dataset_cfg = cfg.train_dataloader.dataset
    datasets = dataset_cfg.datasets if dataset_cfg.type == 'ConcatDataset' else [dataset_cfg]
    samplers = [t for t in _transforms(datasets[0].pipeline) if t.type == 'DVISPlusClipSample']
    assert len(samplers) == 1
    assert (samplers[0].num_frames, samplers[0].frame_range) == (frames, frame_range)
    assert samplers[0].get('reverse', False) == reverse
    assert (dataset_cfg.type == 'ConcatDataset') == coco
    if coco:  # COCO pseudo clips of the same length, 1 : 1 batches
        assert datasets[1].type == 'CocoPseudoVideoDataset'
        assert datasets[1].num_frames == frames
        assert cfg.train_dataloader.batch_sampler.ratios == [1.0, 1.0]
    min_sizes, max_size, test_size = SIZES[dataset]
    resizes = [t for t in _transforms(datasets[0].pipeline) if t.type == 'RandomChoiceResize']
    assert [tuple(s) for s in resizes[-1].scales] == [(max_size, s) for s in min_sizes]
    tests = [t for t in _transforms(cfg.val_dataloader.dataset.pipeline) if t.type == 'Resize']
    assert tuple(tests[0].scale) == (1333, test_size)
    model = cfg.model
    assert model.stage == {'segmenter': 'segmenter', 'online': 'tracker',
                           'offline': 'refiner'}[stage]
    if stage != 'segmenter':  # the previous stage's work dir, no iter_N.pth
        previous = {'online': 'segmenter', 'offline': 'online'}[stage]
        assert model.init_cfg.checkpoint == \
            f'stage://work_dirs/dvis-pp_r50_{dataset}_{previous}'


@pytest.mark.parametrize('dataset,stage', list(OFFICIAL), ids=lambda v: v)
def test_mvc_oma_variant_only_adds_mvc_and_oma(dataset, stage):
    base = _load(f'dvis-pp_r50_{dataset}_{stage}')
    mvc = _load(f'mvc-oma_dvis-pp_r50_{dataset}_{stage}')
    for key in ('train_cfg', 'param_scheduler', 'optim_wrapper', 'auto_scale_lr',
                'train_dataloader', 'val_dataloader', 'num_frames'):
        assert mvc[key] == base[key], key
    host = mvc.model
    if stage == 'segmenter':
        assert host.type == 'MaskedVideoConsistency'
        assert host.mask_generator == base.mvc_mask_generator
        host = host.model
        assert host == base.model
        return
    assert host.query_mask_ratio == 0.2 and base.model.query_mask_ratio == 0.0
    assert host.tracker.oma_cfg == base.oma_cfg
    assert base.model.tracker.oma_cfg == dict(mode='off')
    if stage == 'offline':
        assert host.refiner.oma_cfg == base.oma_cfg
    previous = {'online': 'segmenter', 'offline': 'online'}[stage]
    assert host.init_cfg.checkpoint == \
        f'stage://work_dirs/mvc-oma_dvis-pp_r50_{dataset}_{previous}'
    for key in ('segmenter', 'task', 'stage', 'mode', 'test_cfg'):
        assert host[key] == base.model[key], key


def _depth(path, seen=0):
    """Longest ``_base_`` chain from ``path`` within this repository (+1 for an mmdet:: base)."""
    import re
    text = path.read_text()
    match = re.search(r'_base_\s*=\s*\[([^\]]*)\]', text)
    if not match:
        return seen
    depths = []
    for base in re.findall(r"'([^']+)'", match.group(1)):
        if '::' in base:
            depths.append(seen + 1)
        else:
            depths.append(_depth((path.parent / base).resolve(), seen + 1))
    return max(depths)


def test_inheritance_is_at_most_four_levels():
    for path in DVIS_PP.glob('*.py'):
        assert _depth(path) <= 4, path.name


def test_stage_without_previous_checkpoint_says_what_to_train(tmp_path):
    """A stage-2 config started before stage 1: the error names the config to train first."""
    from mmengine.registry import MODELS, init_default_scope

    import mvc_plugin  # noqa: F401
    from mvc_plugin.engine import StageCheckpointError
    cfg = _load('dvis-pp_r50_vspw_online').copy()
    cfg.model.init_cfg.checkpoint = f'stage://{tmp_path}/dvis-pp_r50_vspw_segmenter'
    init_default_scope('mmdet')
    model = MODELS.build(cfg.model)
    with pytest.raises(StageCheckpointError, match='configs/dvis_pp/dvis-pp_r50_vspw_segmenter'):
        model.init_weights()
