"""Distributed (DDP) runs on machines without CUDA, with torch's gloo backend.

Why: mmengine 0.10 cannot start a ``--launcher pytorch`` run on a CPU-only torch. Its
``init_dist`` calls ``torch.cuda.set_device`` (an ``AttributeError`` on CPU builds) and its
default model wrapper passes ``device_ids=[LOCAL_RANK]`` to ``DistributedDataParallel``, which
torch rejects for CPU modules. Multi-process CPU runs are how DDP code paths are tested without
GPUs (and how a CPU cluster node can be used), so this module starts the gloo process group
itself -- mmengine then skips its own initialisation -- and asks for a wrapper without device
ids. On machines with CUDA nothing changes.
"""
import datetime
import os
from typing import Optional

import torch
import torch.distributed as torch_dist
from mmengine.config import Config

__all__ = ['prepare_cpu_distributed']

_TORCHRUN_ENV = ('RANK', 'LOCAL_RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT')


def _dist_kwargs(cfg: Config) -> tuple:
    """(backend, init_process_group kwargs) from ``env_cfg.dist_cfg`` (mmengine's default:
    nccl with a 1800 s timeout)."""
    dist_cfg = dict((cfg.get('env_cfg') or {}).get('dist_cfg') or
                    dict(backend='nccl', timeout=1800))
    backend = dist_cfg.pop('backend', 'nccl')
    dist_cfg.pop('init_backend', None)
    timeout: Optional[float] = dist_cfg.pop('timeout', None)
    if timeout is not None:
        dist_cfg['timeout'] = datetime.timedelta(seconds=timeout)
    return backend, dist_cfg


def prepare_cpu_distributed(cfg: Config) -> bool:
    """Make a distributed launch work without CUDA; returns True when it changed anything.

    For ``cfg.launcher == 'pytorch'`` on a machine without CUDA: checks that the backend is
    gloo, initialises the process group from torchrun's environment variables and sets
    ``cfg.model_wrapper_cfg`` to mmengine's DDP wrapper without ``device_ids`` (unless the
    config sets its own wrapper). ``slurm`` / ``mpi`` launchers need GPUs: a clear error is
    raised instead of mmengine's division by zero. No-op with CUDA or ``launcher='none'``.
    """
    launcher = cfg.get('launcher', 'none')
    if launcher == 'none' or torch.cuda.is_available():
        return False
    if launcher in ('slurm', 'mpi'):
        raise RuntimeError(
            f'--launcher {launcher} needs CUDA GPUs, and this torch has no CUDA. On a CPU-only '
            'machine use --launcher pytorch (tools/dist_train.sh / dist_test.sh) with '
            '--cfg-options env_cfg.dist_cfg.backend=gloo')
    if launcher != 'pytorch':
        raise ValueError(f'unknown launcher {launcher!r}')
    backend, kwargs = _dist_kwargs(cfg)
    if backend != 'gloo':
        raise RuntimeError(
            f'distributed backend {backend!r} needs CUDA, and this torch has no CUDA: add '
            '--cfg-options env_cfg.dist_cfg.backend=gloo for a distributed run on CPU')
    missing = [k for k in _TORCHRUN_ENV if k not in os.environ]
    if missing:
        raise RuntimeError(f'--launcher pytorch expects the environment torchrun sets; missing '
                           f'{", ".join(missing)} (start the tool with tools/dist_train.sh or '
                           f'python -m torch.distributed.run)')
    if not torch_dist.is_initialized():
        torch_dist.init_process_group(backend='gloo', **kwargs)
    if cfg.get('model_wrapper_cfg') is None:
        # mmengine's own wrapper; device_ids=None overrides the [LOCAL_RANK] it would add
        cfg.model_wrapper_cfg = dict(
            type='MMDistributedDataParallel', device_ids=None, broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False))
    return True
