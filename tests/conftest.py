"""Shared fixtures: tiny synthetic datasets (generated once per session) and repo paths."""
import os
import os.path as osp
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_REAL = REPO.parent / 'shared' / 'data' / 'real'

# Tiny set used by most tests: small enough that a training iteration takes well under a second.
TINY_YTVIS = dict(num_videos=4, num_frames=4, height=64, width=96, seed=1)


@pytest.fixture(autouse=True)
def _isolated_default_scope():
    """Each test starts in mmdet's registry scope, and a test that switches the global default
    scope (``init_default_scope('mmseg')``) cannot leak it into the next one."""
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmdet'):
        yield


@pytest.fixture(scope='session')
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope='session')
def real_data_root() -> Path:
    if not SHARED_REAL.is_dir():
        pytest.skip(f'real test data not present at {SHARED_REAL} (only in a checkout with '
                    f'../shared beside it)')
    return SHARED_REAL


@pytest.fixture(scope='session')
def tiny_ytvis(tmp_path_factory) -> Path:
    """A synthetic YouTube-VIS set with train and val splits (disjoint videos)."""
    from mvc_plugin.datasets.synthetic import SyntheticVideoSpec, write_ytvis
    root = tmp_path_factory.mktemp('tiny_ytvis')
    write_ytvis(SyntheticVideoSpec(**TINY_YTVIS), str(root), split='train', progress=False)
    write_ytvis(SyntheticVideoSpec(**{**TINY_YTVIS, 'num_videos': 2, 'first_index': 100}),
                str(root), split='val', progress=False)
    return root


def tiny_vis_options(data_root: Path, iters: int = 2) -> list:
    """``--cfg-options`` that point the quick-start config at ``data_root`` for a short run."""
    return [
        f'train_dataloader.dataset.data_root={data_root}',
        f'val_dataloader.dataset.data_root={data_root}',
        f'test_dataloader.dataset.data_root={data_root}',
        f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters + 1}',
        f'param_scheduler.end={iters}', 'param_scheduler.milestones=[1000]',
        f'default_hooks.checkpoint.interval={iters}', 'default_hooks.logger.interval=1',
        'train_dataloader.batch_size=1',
    ]


def run_tool(args, cwd=None, env=None, timeout=600) -> subprocess.CompletedProcess:
    """Run a command with this interpreter's venv on PATH; fail with its output on error."""
    full_env = dict(os.environ)
    full_env['PATH'] = osp.dirname(sys.executable) + os.pathsep + full_env.get('PATH', '')
    full_env.setdefault('PYTHONUNBUFFERED', '1')
    if env:
        full_env.update(env)
    proc = subprocess.run(args, cwd=cwd, env=full_env, capture_output=True, text=True,
                          timeout=timeout)
    return proc
