"""The three DVIS stages for video semantic (VSPW format) and panoptic (VIPSeg format)
segmentation on CPU: tools/train.py per stage from the previous stage's checkpoint, then
tools/test.py online (tracker) and offline (refiner), scored by the task's official metrics."""
import re
import sys

import pytest

from ...conftest import REPO, run_tool

ENV = {'OMP_NUM_THREADS': '1'}
STAGES = ('segmenter', 'tracker', 'refiner')
SPEC = dict(num_videos=2, num_frames=9, height=64, width=96, seed=3)
METRIC = {'vss': r'vspw/mIoU: [0-9.]+\s+vspw/VC8: [0-9.]+',
          'vps': r'vipseg/VPQ: [0-9.]+.*vipseg/VPQ@8: [0-9.]+.*vipseg/STQ: [0-9.]+'}


def _ok(proc):
    assert proc.returncode == 0, f'exit {proc.returncode}\n{proc.stdout[-3000:]}\n' \
                                 f'{proc.stderr[-6000:]}'
    return proc.stdout + proc.stderr


def _data_options(task, root):
    opts = [f'{k}.dataset.data_root={root}'
            for k in ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    if task == 'vps':
        for k in ('val_evaluator', 'test_evaluator'):
            opts += [f'{k}.ann_file={root / "panoptic_gt_VIPSeg_val.json"}',
                     f'{k}.seg_prefix={root / "panomasksRGB"}']
    return opts


@pytest.fixture(scope='module', params=['vss', 'vps'])
def trained(request, tmp_path_factory):
    from mvc_plugin.datasets.synthetic import SyntheticVideoSpec, write_vipseg, write_vspw
    task = request.param
    write = write_vspw if task == 'vss' else write_vipseg
    root = tmp_path_factory.mktemp(f'{task}_data')
    write(SyntheticVideoSpec(**SPEC), str(root), split='train', progress=False)
    write(SyntheticVideoSpec(**{**SPEC, 'first_index': 50}), str(root), split='val',
          progress=False)
    works, logs, previous = {}, {}, None
    for stage in STAGES:
        works[stage] = tmp_path_factory.mktemp(f'{task}_{stage}')
        opts = _data_options(task, root) + [
            'train_cfg.max_iters=2', 'train_cfg.val_interval=3', 'train_dataloader.batch_size=1',
            'default_hooks.checkpoint.interval=2', 'default_hooks.logger.interval=1']
        if previous is not None:
            opts.append(f'model.model.init_cfg.checkpoint={previous}')
        config = REPO / 'configs' / f'dvis_synthetic_{task}_{stage}.py'
        logs[stage] = _ok(run_tool([sys.executable, str(REPO / 'tools' / 'train.py'),
                                    str(config), '--work-dir', str(works[stage]),
                                    '--cfg-options', *opts], env=ENV))
        previous = works[stage] / 'iter_2.pth'
    return task, root, works, logs


def test_each_stage_trains_from_the_previous_one(trained):
    task, _, works, logs = trained
    for stage in STAGES:
        assert re.search(r'Iter\(train\) \[2/2\].*loss_mask: [0-9.]+.*mvc\.loss_mask', logs[stage])
    for stage, before in (('tracker', 'segmenter'), ('refiner', 'tracker')):
        assert f'load model from: {works[before] / "iter_2.pth"}' in logs[stage]


@pytest.mark.parametrize('stage', ['tracker', 'refiner'])  # online, offline
def test_online_and_offline_models_are_scored(trained, stage):
    task, root, works, _ = trained
    config = REPO / 'configs' / f'dvis_synthetic_{task}_{stage}.py'
    out = _ok(run_tool([sys.executable, str(REPO / 'tools' / 'test.py'), str(config),
                        str(works[stage] / 'iter_2.pth'), '--work-dir',
                        str(works[stage] / 'test'), '--cfg-options',
                        *_data_options(task, root)], env=ENV))
    assert re.search(METRIC[task], out), out[-3000:]
    assert 'missing keys' not in out and 'unexpected key' not in out
