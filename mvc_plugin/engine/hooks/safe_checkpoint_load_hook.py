"""``SafeCheckpointLoadHook``: mmengine checkpoints load weights-only while the Runner loads them.

mmengine's Runner loads ``load_from`` / ``resume`` checkpoints (and ``Pretrained`` weights) with a
plain ``torch.load``; on torch >= 2.6 that is weights-only and refuses the history buffers in
mmengine's own checkpoints. This hook allow-lists exactly those globals
(:func:`checkpoint_globals`) from ``before_run`` until the run's loop starts (``before_train`` /
``before_val`` / ``before_test``), which is where ``Runner.train`` / ``val`` / ``test`` load
weights, and restores torch's list afterwards. Nothing else in the process is affected.
"""
from contextlib import ExitStack
from typing import Optional

from mmengine.hooks import Hook
from mmengine.registry import HOOKS

from ..checkpoint_safety import checkpoint_globals

__all__ = ['SafeCheckpointLoadHook']


@HOOKS.register_module()
class SafeCheckpointLoadHook(Hook):
    """Scope :func:`checkpoint_globals` to the Runner's checkpoint loading (no arguments)."""

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self._scope: Optional[ExitStack] = None

    def _close(self) -> None:
        if self._scope is not None:
            self._scope.close()
            self._scope = None

    def before_run(self, runner) -> None:
        self._close()
        self._scope = ExitStack()
        self._scope.enter_context(checkpoint_globals())

    def before_train(self, runner) -> None:
        self._close()

    def before_val(self, runner) -> None:
        self._close()

    def before_test(self, runner) -> None:
        self._close()

    def after_run(self, runner) -> None:
        self._close()
