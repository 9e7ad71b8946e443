"""The quick-start-size DVIS++ configs for synthetic VSPW (VSS) and VIPSeg (VPS) train as
shipped under a plain ``Runner.from_cfg`` (tiny data, 1 iteration per stage): segmenter ->
online -> offline, each stage from the previous one's checkpoint, and the online and offline
models are scored with the official metric of their task."""
import pytest
from mmengine.runner import Runner

import mvc_plugin  # noqa: F401
from mvc_plugin.engine.launch import load_config

from .config_files import CONFIG_DIR

STAGES = ('segmenter', 'online', 'offline')


@pytest.fixture(scope='module')
def tiny_sets(tmp_path_factory):
    from mvc_plugin.datasets.synthetic import SyntheticVideoSpec, write_vipseg, write_vspw
    roots = {}
    for name, writer in (('vspw', write_vspw), ('vipseg', write_vipseg)):
        root = tmp_path_factory.mktemp(f'synthetic_{name}')
        for split, first in (('train', 0), ('val', 100)):
            writer(SyntheticVideoSpec(num_videos=2, num_frames=6, height=48, width=64,
                                      first_index=first), str(root), split=split,
                   progress=False)
        roots[name] = root
    return roots


def _options(fmt, root, previous):
    opts = {f'{k}.dataset.data_root': str(root)
            for k in ('train_dataloader', 'val_dataloader', 'test_dataloader')}
    opts.update({'train_cfg.max_iters': 1, 'param_scheduler.end': 1,
                 'param_scheduler.milestones': [1], 'default_hooks.checkpoint.interval': 1,
                 'model.segmenter.train_cfg.num_points': 256, 'model.criterion.num_points': 256})
    if fmt == 'vipseg':
        for key in ('val_evaluator', 'test_evaluator'):
            opts[f'{key}.ann_file'] = str(root / 'panoptic_gt_VIPSeg_val.json')
            opts[f'{key}.seg_prefix'] = str(root / 'panomasksRGB')
    if previous is not None:
        opts['model.init_cfg.checkpoint'] = previous
    return opts


@pytest.mark.parametrize('fmt, metric', [('vspw', 'vspw/mIoU'), ('vipseg', 'vipseg/VPQ')])
def test_three_stages_train_and_score(fmt, metric, tiny_sets, tmp_path):
    previous = None
    for stage in STAGES:
        config = CONFIG_DIR / 'dvis_pp' / f'dvis-pp_r18_synthetic-{fmt}_{stage}.py'
        cfg = load_config(str(config), str(tmp_path / stage),
                          _options(fmt, tiny_sets[fmt], previous), 'none')
        runner = Runner.from_cfg(cfg)
        runner.train()
        assert runner.iter == 1
        if stage != 'segmenter':
            assert runner.model.mode == stage
            results = runner.test()
            assert metric in results and results[metric] >= 0
        previous = str(tmp_path / stage / 'iter_1.pth')
