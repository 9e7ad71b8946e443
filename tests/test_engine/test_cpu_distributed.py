"""prepare_cpu_distributed: what a distributed launch without CUDA gets, and its errors."""
import socket

import pytest
import torch
from mmengine.config import Config

from mvc_plugin.engine import prepare_cpu_distributed

no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason='CPU-only behaviour')


def _cfg(launcher: str, backend: str = 'gloo', **extra) -> Config:
    return Config(dict(launcher=launcher, env_cfg=dict(dist_cfg=dict(backend=backend)),
                       **extra))


def test_noop_without_a_launcher():
    cfg = _cfg('none')
    assert prepare_cpu_distributed(cfg) is False
    assert 'model_wrapper_cfg' not in cfg


@no_cuda
def test_nccl_and_cluster_launchers_fail_clearly():
    with pytest.raises(RuntimeError, match=r"backend 'nccl' needs CUDA.*"
                                           r"env_cfg.dist_cfg.backend=gloo"):
        prepare_cpu_distributed(_cfg('pytorch', 'nccl'))
    with pytest.raises(RuntimeError, match='--launcher slurm needs CUDA GPUs'):
        prepare_cpu_distributed(_cfg('slurm'))


@no_cuda
def test_needs_torchrun_environment(monkeypatch):
    for key in ('RANK', 'LOCAL_RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'):
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(RuntimeError, match='missing RANK, LOCAL_RANK'):
        prepare_cpu_distributed(_cfg('pytorch'))


@no_cuda
@pytest.mark.skipif(not torch.distributed.is_gloo_available(), reason='no gloo backend')
def test_starts_gloo_and_drops_device_ids(monkeypatch):
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    for key, value in dict(RANK='0', LOCAL_RANK='0', WORLD_SIZE='1', MASTER_ADDR='127.0.0.1',
                           MASTER_PORT=str(port)).items():
        monkeypatch.setenv(key, value)
    assert not torch.distributed.is_initialized()
    cfg = _cfg('pytorch', find_unused_parameters=True)
    try:
        assert prepare_cpu_distributed(cfg) is True
        assert torch.distributed.is_initialized()
        assert torch.distributed.get_backend() == 'gloo'
    finally:
        if torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()
    assert cfg.model_wrapper_cfg == dict(type='MMDistributedDataParallel', device_ids=None,
                                         broadcast_buffers=False, find_unused_parameters=True)
