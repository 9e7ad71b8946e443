"""Shared set-up for ``tools/train.py`` and ``tools/test.py`` (also run by ``mim``)."""
import argparse
import os.path as osp
from typing import Optional

from mmengine.config import Config, DictAction

from .cpu_distributed import prepare_cpu_distributed

__all__ = ['add_common_args', 'add_safe_checkpoint_hook', 'load_config', 'fill_output_paths']


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """Arguments both tools take, with the OpenMMLab names users already know."""
    parser.add_argument('--work-dir', help='folder for logs, checkpoints and results')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, e.g. train_cfg.max_iters=100')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher for distributed runs')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def load_config(config: str, work_dir: Optional[str], cfg_options: Optional[dict],
                launcher: str) -> Config:
    """Load ``config``, apply overrides, choose the work dir (default ``work_dirs/<name>``)."""
    if not osp.isfile(config):
        raise FileNotFoundError(f'config file not found: {config}')
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    cfg.launcher = launcher
    prepare_cpu_distributed(cfg)  # DDP without CUDA: gloo process group, no device_ids
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config))[0])
    fill_output_paths(cfg)
    add_safe_checkpoint_hook(cfg)
    return cfg


def add_safe_checkpoint_hook(cfg: Config) -> None:
    """Add :class:`SafeCheckpointLoadHook` unless the config has it, so ``load_from`` / resume
    checkpoints written by mmengine load weights-only on any torch (scoped to the loading)."""
    hooks = list(cfg.get('custom_hooks') or [])
    if not any(isinstance(h, dict) and h.get('type') == 'SafeCheckpointLoadHook' for h in hooks):
        cfg.custom_hooks = hooks + [dict(type='SafeCheckpointLoadHook')]


def fill_output_paths(cfg: Config) -> None:
    """Point evaluators' result files into the work dir when the config leaves them unset.

    Configs cannot know the work dir, and writing into the current directory (mmdet's default)
    scatters results; ``outfile_prefix=None`` in our configs means ``<work_dir>/results/<name>``.
    """
    for key in ('val_evaluator', 'test_evaluator'):
        evaluators = cfg.get(key)
        if evaluators is None:
            continue
        items = evaluators if isinstance(evaluators, list) else [evaluators]
        for ev in items:
            if isinstance(ev, dict) and 'outfile_prefix' in ev and ev['outfile_prefix'] is None:
                name = key.split('_')[0]
                ev['outfile_prefix'] = osp.join(cfg.work_dir, 'results', name)
