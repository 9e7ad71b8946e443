"""Every DVIS++ config (15 baselines + 15 MVC + OMA) trains two iterations on the CPU, as shipped
except for the tiny synthetic data of its format, 64 px inputs, point counts and no downloads
(``dvis_pp_tiny.py``). One dataset (YouTube-VIS 2019 baseline) runs as a chain: the online stage
starts from the segmenter run's ``last_checkpoint`` through ``stage://`` and the offline stage from
the online run's; the other stage-2/3 configs start from random weights. In-process runners
(``Runner.from_cfg``), one parametrised test."""
import pytest
from mmengine.config import Config
from mmengine.runner import Runner

import mvc_plugin  # noqa: F401

from .config_files import CONFIG_DIR
from .dvis_pp_tiny import tiny_cfg, write_tiny_sets

DATASETS = ('ytvis19', 'ytvis21', 'ovis', 'vspw', 'vipseg')
STAGES = ('segmenter', 'online', 'offline')
CHAIN = 'ytvis19'  # baseline configs of this dataset train as a chain of checkpoints
CASES = [f'{prefix}dvis-pp_r50_{ds}_{stage}' for ds in DATASETS for stage in STAGES
         for prefix in ('', 'mvc-oma_')]


@pytest.fixture(scope='module')
def tiny_sets(tmp_path_factory):
    return write_tiny_sets(tmp_path_factory.mktemp('dvis_pp_tiny_sets'))


@pytest.fixture(scope='module')
def chain_dir(tmp_path_factory):
    return tmp_path_factory.mktemp('dvis_pp_chain')


@pytest.fixture
def _cheap_config_text(monkeypatch):
    """The runner logs and dumps the config through yapf (seconds per run on two busy cores);
    a plain repr is enough here."""
    monkeypatch.setattr(Config, 'pretty_text', property(lambda self: repr(self._cfg_dict)))


@pytest.mark.parametrize('name', CASES)
def test_config_trains_two_iterations(name, tiny_sets, chain_dir, tmp_path, _cheap_config_text):
    stage = name.rsplit('_', 1)[1]
    chained = name.startswith(f'dvis-pp_r50_{CHAIN}_')
    previous = {'online': 'segmenter', 'offline': 'online'}.get(stage)
    work_dir = chain_dir / stage if chained else tmp_path
    cfg = tiny_cfg(CONFIG_DIR / 'dvis_pp' / f'{name}.py', tiny_sets, work_dir,
                   previous=chain_dir / previous if chained and previous else None,
                   save=chained)
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2
    logs = runner.message_hub.log_scalars
    assert 'train/loss' in logs and float(logs['train/loss'].current()) == \
        pytest.approx(float(logs['train/loss'].current()))  # finite (NaNLossGuardHook also)
    if chained:
        assert (work_dir / 'last_checkpoint').is_file()
    if chained and previous:
        assert str(runner.cfg.model.init_cfg.checkpoint) == f'stage://{chain_dir / previous}'
