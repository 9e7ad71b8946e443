"""tools/dev/gpu_smoke.py (run by tools/gpu_smoke.sh on a GPU): the stage configs it trains are
the shipped ones with only data, iterations, downloads and AMP changed. (Its CPU mode was run by
hand: `--device cpu --iters 2 --size 64 96`; training on CPU takes minutes, so the suite checks
the configs it builds.)"""
import importlib.util

import pytest

from ..conftest import REPO

spec = importlib.util.spec_from_file_location('gpu_smoke', REPO / 'tools' / 'dev' / 'gpu_smoke.py')
gpu_smoke = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gpu_smoke)


@pytest.mark.parametrize('stage', gpu_smoke.STAGES)
def test_stage_configs_are_the_shipped_ones_on_synthetic_data(stage, tmp_path):
    from mmengine.config import Config
    path = str(REPO / 'configs' / 'dvis_pp' / f'dvis-pp_r50_ytvis19_{stage}.py')
    shipped = Config.fromfile(path)
    cfg = gpu_smoke.stage_cfg(path, str(tmp_path), str(tmp_path / 'w'), 20, 'cuda', (360, 640),
                              previous=None if stage == 'segmenter' else 'prev.pth')
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.optimizer == shipped.optim_wrapper.optimizer
    assert cfg.train_cfg.max_iters == 20 and cfg.val_cfg is None
    assert cfg.train_dataloader.dataset.data_root == str(tmp_path)
    assert cfg.train_dataloader.dataset.pipeline == \
        shipped.train_dataloader.dataset.datasets[0].pipeline  # clip sampling and sizes kept
    assert cfg.model.segmenter.init_cfg is None  # no download on the GPU machine
    if stage != 'segmenter':
        assert cfg.model.init_cfg.checkpoint == 'prev.pth'
