"""``NaNLossGuardHook``: a NaN / inf loss stops training before it can spoil the weights.

mmengine runs forward, backward and the optimizer step inside ``model.train_step``; hooks only
see the loss afterwards (``outputs`` of ``after_train_iter`` are the log variables of the loss
dict). By then a NaN loss has produced NaN gradients (gradient clipping turns even a single
NaN into all-NaN gradients) and the step has written NaN into every weight; the next
checkpoint would save them. This hook therefore also registers a PyTorch optimizer
step-pre-hook that drops the gradients (the step becomes a no-op) when any is non-finite, and:

* ``after_train_iter`` (before the logger and checkpoint hooks) raises
  :class:`NonFiniteLossError` naming the iteration, the non-finite loss terms and the frames
  of the batch;
* ``before_save_checkpoint`` refuses to write a checkpoint once that happened, or whose
  weights are not finite, so no saved file ever holds NaN weights.
"""
import math
from typing import Any, Dict, Iterable, List, Optional

import torch
from mmengine.hooks import Hook
from mmengine.registry import HOOKS

__all__ = ['NaNLossGuardHook', 'NonFiniteLossError']


class NonFiniteLossError(RuntimeError):
    """Training produced a NaN / inf loss or gradient; the message says where."""


def _optimizers(optim_wrapper: Any) -> List[torch.optim.Optimizer]:
    wrappers = getattr(optim_wrapper, 'optim_wrappers', None)  # OptimWrapperDict
    items = wrappers.values() if isinstance(wrappers, dict) else [optim_wrapper]
    return [w.optimizer for w in items if isinstance(getattr(w, 'optimizer', None),
                                                     torch.optim.Optimizer)]


def _non_finite(values: Dict[str, Any]) -> Dict[str, float]:
    bad = {}
    for name, value in (values or {}).items():
        try:
            tensor = torch.as_tensor(value.detach() if torch.is_tensor(value) else value,
                                     dtype=torch.float64)
        except (TypeError, ValueError, RuntimeError):
            continue  # not a number (e.g. a string in the log vars)
        if not bool(torch.isfinite(tensor).all()):
            bad[name] = float(tensor.flatten()[~torch.isfinite(tensor.flatten())][0])
    return bad


def _batch_paths(data_batch: Any, limit: int = 6) -> List[str]:
    """Best effort: image paths of the samples in a batch, for the error message."""
    samples = data_batch.get('data_samples') if isinstance(data_batch, dict) else None
    paths: List[str] = []
    for sample in samples if isinstance(samples, (list, tuple)) else []:
        frames: Iterable = getattr(sample, 'video_data_samples', None) or [sample]
        for frame in frames:
            metainfo = getattr(frame, 'metainfo', None)
            path = metainfo.get('img_path') if isinstance(metainfo, dict) else None
            if isinstance(path, str) and path not in paths:
                paths.append(path)
    return paths[:limit]


@HOOKS.register_module()
class NaNLossGuardHook(Hook):
    """Stop training at the first non-finite loss (or gradient) without touching the weights.

    Args:
        check_grads: also check gradients before each optimizer step and skip a step whose
            gradients are not finite (then stop, as for a NaN loss).
    """

    priority = 'ABOVE_NORMAL'  # after RuntimeInfoHook, before LoggerHook and CheckpointHook

    def __init__(self, check_grads: bool = True) -> None:
        self.check_grads = check_grads
        self._handles: list = []
        self._skipped_step = False
        self._tripped: Optional[str] = None

    def _drop_non_finite_step(self, optimizer: torch.optim.Optimizer, args, kwargs) -> None:
        grads = [p.grad for group in optimizer.param_groups for p in group['params']
                 if p.grad is not None]
        if not grads:
            return None
        norm = torch.linalg.vector_norm(
            torch.stack([torch.linalg.vector_norm(g.detach().float()) for g in grads]))
        if not math.isfinite(float(norm)):
            for group in optimizer.param_groups:
                for p in group['params']:
                    p.grad = None  # optimizers skip parameters without a gradient
            self._skipped_step = True
        return None

    def before_train(self, runner) -> None:
        self._remove_handles()
        if self.check_grads:
            self._handles = [opt.register_step_pre_hook(self._drop_non_finite_step)
                             for opt in _optimizers(runner.optim_wrapper)]

    def after_train_iter(self, runner, batch_idx: int, data_batch: Any = None,
                         outputs: Optional[dict] = None) -> None:
        bad, skipped = _non_finite(outputs), self._skipped_step
        self._skipped_step = False
        if not bad and not skipped:
            return
        it = runner.iter + 1
        if bad:
            terms = ', '.join(f'{k}={v}' for k, v in bad.items())
            what = f'non-finite loss at iteration {it}: {terms}'
        else:
            what = f'non-finite gradients at iteration {it} (all loss terms finite)'
        step = ('its optimizer step was skipped, so the weights are those after iteration '
                f'{it - 1}' if skipped else 'the optimizer step already ran')
        paths = _batch_paths(data_batch)
        batch = f'; frames of the batch: {paths}' if paths else ''
        self._tripped = what
        raise NonFiniteLossError(
            f'NaNLossGuardHook: {what}. Training stopped; {step}, and no checkpoint is written '
            f'from here on{batch}. Resume from the last checkpoint (tools/train.py --resume) '
            f'with a lower learning rate or gradient clipping (optim_wrapper.clip_grad), or '
            f'check these frames with tools/check_dataset.py --full.')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if self._tripped:
            raise NonFiniteLossError(f'NaNLossGuardHook: refusing to save a checkpoint after '
                                     f'{self._tripped}')
        bad = [name for name, value in (checkpoint.get('state_dict') or {}).items()
               if torch.is_tensor(value) and value.is_floating_point()
               and not bool(torch.isfinite(value).all())]
        if bad:
            raise NonFiniteLossError(f'NaNLossGuardHook: refusing to save a checkpoint with '
                                     f'non-finite weights in {bad[:5]}')

    def _remove_handles(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def after_train(self, runner) -> None:
        self._remove_handles()
