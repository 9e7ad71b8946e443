"""A tqdm progress bar over training iterations and evaluation batches.

mmengine's logger prints a line every ``interval`` iterations; on a CPU quick start that can be
minutes apart. This hook shows continuous progress (iterations/s, ETA, current loss) on stderr.
"""
import sys
from typing import Optional

from mmengine.hooks import Hook
from mmengine.registry import HOOKS
from tqdm import tqdm

__all__ = ['ProgressBarHook']


@HOOKS.register_module()
class ProgressBarHook(Hook):
    """Show progress bars for train / val / test loops (rank 0 only).

    Args:
        train: show a bar over training iterations.
        eval: show bars over validation and test batches.
        disable_when_not_tty: hide the bars when stderr is not a terminal (CI logs).
    """

    priority = 'VERY_LOW'

    def __init__(self, train: bool = True, eval: bool = True,
                 disable_when_not_tty: bool = False) -> None:
        self.show_train = train
        self.show_eval = eval
        self.disable = disable_when_not_tty and not sys.stderr.isatty()
        self._bar: Optional[tqdm] = None

    def _open(self, runner, total: int, desc: str, initial: int = 0) -> None:
        self._close()
        if runner.rank == 0 and not self.disable:
            self._bar = tqdm(total=total, initial=initial, desc=desc, dynamic_ncols=True,
                             file=sys.stderr, leave=True)

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def before_train(self, runner) -> None:
        if self.show_train:
            self._open(runner, runner.max_iters, 'train', initial=runner.iter)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if self._bar is not None and self._bar.desc == 'train':
            if outputs and 'loss' in outputs:
                self._bar.set_postfix(loss=f'{float(outputs["loss"]):.3f}', refresh=False)
            self._bar.update(1)

    def after_train(self, runner) -> None:
        self._close()

    def before_val_epoch(self, runner) -> None:
        if self.show_eval:
            self._open(runner, len(runner.val_dataloader), 'val')

    def before_test_epoch(self, runner) -> None:
        if self.show_eval:
            self._open(runner, len(runner.test_dataloader), 'test')

    def after_val_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if self._bar is not None:
            self._bar.update(1)

    after_test_iter = after_val_iter

    def after_val_epoch(self, runner, metrics=None) -> None:
        self._close()
        # a validation in the middle of training ends the train bar's line; reopen it
        loop = getattr(runner, '_train_loop', None)
        if self.show_train and loop is not None and not isinstance(loop, dict) \
                and runner.iter < runner.max_iters:
            self._open(runner, runner.max_iters, 'train', initial=runner.iter)

    def after_test_epoch(self, runner, metrics=None) -> None:
        self._close()
