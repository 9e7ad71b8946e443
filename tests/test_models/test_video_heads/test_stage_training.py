"""The three DVIS stages end to end on CPU: tools/train.py for each stage (each starting from
the previous stage's checkpoint), then tools/test.py on the offline model."""
import copy
import re
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import mvc_plugin  # noqa: F401
from mmdet.registry import MODELS

from ...conftest import REPO, run_tool, tiny_vis_options

CONFIGS = {s: REPO / 'configs' / f'dvis_synthetic_{s}.py' for s in ('segmenter', 'tracker',
                                                                     'refiner')}
ENV = {'OMP_NUM_THREADS': '1'}  # tiny ops: one thread is faster on a shared CPU


def _ok(proc):
    assert proc.returncode == 0, f'exit {proc.returncode}\n{proc.stdout[-3000:]}\n' \
                                 f'{proc.stderr[-6000:]}'
    return proc.stdout + proc.stderr


def _train(stage, work, data_root, start_from=None):
    opts = tiny_vis_options(data_root, iters=2) + ['train_cfg.val_begin=100']  # test.py scores
    if start_from is not None:
        opts.append(f'model.model.init_cfg.checkpoint={start_from}')
    return run_tool([sys.executable, str(REPO / 'tools' / 'train.py'), str(CONFIGS[stage]),
                     '--work-dir', str(work), '--cfg-options', *opts], env=ENV)


@pytest.fixture(scope='module')
def stages(tiny_ytvis, tmp_path_factory):
    works, logs, previous = {}, {}, None
    for stage in CONFIGS:
        works[stage] = tmp_path_factory.mktemp(stage)
        logs[stage] = _ok(_train(stage, works[stage], tiny_ytvis, previous))
        previous = works[stage] / 'iter_2.pth'
    return works, logs


def _weights(path, prefix):
    state = torch.load(path, map_location='cpu', weights_only=False)['state_dict']
    return {k: v for k, v in state.items() if k.startswith(prefix)}


def test_each_stage_trains_from_the_previous_one(stages):
    works, logs = stages
    for stage in CONFIGS:
        assert (works[stage] / 'iter_2.pth').is_file()
        assert re.search(r'Iter\(train\) \[2/2\].*loss: [0-9.]+', logs[stage]), stage
    assert 'mvc.loss_mask' in logs['segmenter']  # MVC on frames in every stage
    assert 'mvc.loss_mask' in logs['tracker'] and 'mvc.loss_mask' in logs['refiner']
    for stage, before in (('tracker', 'segmenter'), ('refiner', 'tracker')):
        assert f'load model from: {works[before] / "iter_2.pth"}' in logs[stage]
    # frozen modules leave a stage exactly as they entered it
    for stage, before, frozen in (('tracker', 'segmenter', 'segmenter.'),
                                  ('refiner', 'tracker', 'tracker.')):
        old = _weights(works[before] / 'iter_2.pth', frozen)
        new = _weights(works[stage] / 'iter_2.pth', frozen)
        assert old.keys() == new.keys() and all(torch.equal(old[k], new[k]) for k in old)
    trained = _weights(works['tracker'] / 'iter_2.pth', 'tracker.')
    start = _weights(works['segmenter'] / 'iter_2.pth', 'tracker.')
    assert any(not torch.equal(trained[k], start[k]) for k in trained)


def test_offline_model_is_scored_by_test_tool(stages, tiny_ytvis):
    works, _ = stages
    out = _ok(run_tool([sys.executable, str(REPO / 'tools' / 'test.py'),
                        str(CONFIGS['refiner']), str(works['refiner'] / 'iter_2.pth'),
                        '--work-dir', str(works['refiner'] / 'test'), '--cfg-options',
                        *tiny_vis_options(tiny_ytvis)], env=ENV))
    assert re.search(r'ytvis/AP: -?[0-9.]+', out)
    assert 'missing keys' not in out and 'unexpected key' not in out


@pytest.mark.parametrize('stage', ['tracker', 'refiner'])
def test_stage_configs_need_the_previous_checkpoint(stage, tmp_path):
    """Built as shipped but without the previous stage's checkpoint: a clear error, at build
    time (no init_cfg) or before training (init_cfg naming a missing file)."""
    cfg = Config.fromfile(str(CONFIGS[stage]))
    init_default_scope('mmdet')
    host = cfg.model.model
    assert host.init_cfg.type == 'Pretrained'
    previous = 'segmenter' if stage == 'tracker' else 'tracker'
    assert host.init_cfg.checkpoint == f'work_dirs/dvis_synthetic_{previous}/iter_60.pth'
    host.init_cfg.checkpoint = str(tmp_path / 'missing.pth')
    model = MODELS.build(copy.deepcopy(cfg.model))
    with pytest.raises(ValueError, match='does not exist'):
        model.init_weights()
    host.init_cfg = None
    with pytest.raises(ValueError, match=f"'{previous}' stage's checkpoint"):
        MODELS.build(cfg.model)
