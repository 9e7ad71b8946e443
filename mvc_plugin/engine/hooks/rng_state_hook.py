"""``RNGStateHook``: a resumed run draws the same random numbers as an uninterrupted one.

What mmengine restores on ``resume``: weights, optimizer, schedulers, message hub, the
iteration counter, and the *seed* -- not the generator states. An iteration-based loop then
replays the sampler by fetching (and discarding) the batches already trained on, which draws
the data-augmentation randomness again, while the model's own randomness (MVC masks,
Mask2Former's point sampling, dropout) restarts from the seed. Losses after a resume therefore
differ from those of a run that was never interrupted.

This hook stores the python / numpy / torch generator states in each checkpoint's ``meta``
(:mod:`mvc_plugin.engine.rng_state`, weights-only-safe values) and, on resume, restores them
exactly where the uninterrupted run would be: right before the first new batch is fetched
(after the loop's replay of the trained batches), or at the start of the epoch for epoch-based
loops. Validation during training saves and restores the states around itself, so the training
streams do not depend on when validation runs. Single-process runs only (a multi-process run
logs a warning and keeps mmengine's behaviour). Generators private to a module (e.g.
``PatchMaskGenerator(seed=...)``) are not captured.
"""
import logging
from typing import Any, Iterator, Optional

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.registry import HOOKS
from mmengine.runner import IterBasedTrainLoop

from ..rng_state import capture_rng_states, restore_rng_states

__all__ = ['RNGStateHook']

META_KEY = 'rng_states'


class _RestoreBeforeBatch:
    """Wraps the loop's data iterator: restores ``states`` right before batch ``skip + 1``."""

    def __init__(self, inner: Iterator, skip: int, states: dict) -> None:
        self._inner, self._skip, self._states, self._count = inner, skip, states, 0

    def __iter__(self) -> '_RestoreBeforeBatch':
        return self

    def __next__(self) -> Any:
        if self._states is not None and self._count == self._skip:
            restore_rng_states(self._states)
            self._states = None
        self._count += 1
        return next(self._inner)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Save the generator states in checkpoints and restore them on resume."""

    priority = 'VERY_LOW'

    def __init__(self) -> None:
        self._pending: Optional[dict] = None
        self._around_val: Optional[dict] = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint.setdefault('meta', {})[META_KEY] = capture_rng_states()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self._pending = (checkpoint.get('meta') or {}).get(META_KEY)

    def before_train_epoch(self, runner) -> None:
        states, self._pending = self._pending, None
        if states is None or (runner.iter == 0 and runner.epoch == 0):
            return  # nothing saved, or a load_from (fine-tuning) rather than a resume
        if runner.world_size > 1:
            print_log('RNGStateHook: multi-process run; random states restart from the seed',
                      'current', logging.WARNING)
            return
        loop = runner.train_loop
        if isinstance(loop, IterBasedTrainLoop) and runner.iter > 0:
            loop.dataloader_iterator = _RestoreBeforeBatch(loop.dataloader_iterator,
                                                           runner.iter, states)
        else:
            restore_rng_states(states)
        print_log('RNGStateHook: random states restored from the checkpoint', 'current')

    def before_val(self, runner) -> None:
        self._around_val = capture_rng_states()

    def after_val(self, runner) -> None:
        if self._around_val is not None:
            restore_rng_states(self._around_val)
            self._around_val = None
