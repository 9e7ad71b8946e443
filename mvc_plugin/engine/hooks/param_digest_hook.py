"""``ParamDigestHook``: every rank writes a digest of its model parameters after training.

Why: DistributedDataParallel keeps the replicas' parameters identical; when they drift apart
(a rank skipping a step, a parameter outside the gradient all-reduce, rank-dependent code in an
optimiser hook) training silently degrades. mmengine saves checkpoints on rank 0 only, so the
other ranks' weights are never seen. This hook writes ``param_digest_rank<r>.json`` on every
rank -- per parameter tensor the float64 sum and sum of squares -- and
:func:`compare_param_digests` lists the tensors on which ranks disagree.

Enable it from the command line, without editing the config::

    --cfg-options default_hooks.param_digest.type=ParamDigestHook

or in a config with ``default_hooks = dict(param_digest=dict(type='ParamDigestHook'))``:
``default_hooks`` is a dict, so this keeps the base config's hooks (a ``custom_hooks`` list
would replace the base's list, progress bar included).
"""
import glob
import json
import os
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS

__all__ = ['ParamDigestHook', 'param_digest', 'load_param_digests', 'compare_param_digests']

DIGEST_PATTERN = 'param_digest_rank{rank}.json'


def param_digest(module: torch.nn.Module, include_buffers: bool = False
                 ) -> Dict[str, Dict[str, float]]:
    """``{name: {'sum', 'sum_sq', 'numel'}}`` of every parameter (and buffer) tensor.

    Sums are taken in float64 by numpy (single-threaded pairwise summation), so identical
    tensors give identical digests whatever torch's thread count, and a difference in a single
    element is visible.
    """
    tensors = list(module.named_parameters())
    if include_buffers:
        tensors += [(n, b) for n, b in module.named_buffers() if b.is_floating_point()
                    or b.dtype in (torch.int32, torch.int64)]
    digest = {}
    for name, tensor in tensors:
        values = tensor.detach().to('cpu', torch.float64).contiguous().numpy().ravel()
        digest[name] = dict(sum=float(np.sum(values)), sum_sq=float(np.sum(values * values)),
                            numel=int(values.size))
    return digest


@HOOKS.register_module()
class ParamDigestHook(Hook):
    """After training, write ``<out_dir>/param_digest_rank<r>.json`` on every rank.

    Args:
        out_dir: folder of the digests; default: the runner's work dir.
        include_buffers: also digest buffers. Off by default: mmengine wraps models with
            ``broadcast_buffers=False``, so e.g. BatchNorm running statistics legitimately
            differ between ranks.
    """

    priority = 'LOWEST'

    def __init__(self, out_dir: Optional[str] = None, include_buffers: bool = False) -> None:
        self.out_dir = out_dir
        self.include_buffers = include_buffers

    def after_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        out_dir = self.out_dir or runner.work_dir
        os.makedirs(out_dir, exist_ok=True)
        path = osp.join(out_dir, DIGEST_PATTERN.format(rank=runner.rank))
        payload = dict(rank=runner.rank, world_size=runner.world_size, iter=runner.iter,
                       params=param_digest(model, self.include_buffers))
        with open(path, 'w', encoding='utf-8') as f:
            json.dump(payload, f)
        runner.logger.info(f'ParamDigestHook: wrote {len(payload["params"])} tensor digests '
                           f'of rank {runner.rank} to {path}')


def load_param_digests(folder: str) -> List[dict]:
    """The digests in ``folder``, ordered by rank (``FileNotFoundError`` if there are none)."""
    paths = glob.glob(osp.join(folder, DIGEST_PATTERN.format(rank='*')))
    if not paths:
        raise FileNotFoundError(f'no {DIGEST_PATTERN.format(rank="*")} in {folder}')

    def rank_of(path: str) -> int:
        return int(re.search(r'rank(\d+)\.json$', path).group(1))

    digests = []
    for path in sorted(paths, key=rank_of):
        with open(path, encoding='utf-8') as f:
            digests.append(json.load(f))
    return digests


def compare_param_digests(digests: Sequence[dict]) -> List[str]:
    """Differences between the ranks' digests, one line each; empty when all are identical.

    Values are compared exactly: DDP replicas must hold bit-identical parameters.
    """
    if not digests:
        return []
    problems = []
    ref = digests[0]
    for other in digests[1:]:
        who = f'rank {other.get("rank")} vs rank {ref.get("rank")}'
        if other.get('iter') != ref.get('iter'):
            problems.append(f'{who}: iteration {other.get("iter")} != {ref.get("iter")}')
        names, ref_names = set(other['params']), set(ref['params'])
        for name in sorted(names ^ ref_names):
            problems.append(f'{who}: tensor {name} only on one of them')
        for name in sorted(names & ref_names):
            if other['params'][name] != ref['params'][name]:
                problems.append(f'{who}: {name}: {other["params"][name]} != '
                                f'{ref["params"][name]}')
    return problems
