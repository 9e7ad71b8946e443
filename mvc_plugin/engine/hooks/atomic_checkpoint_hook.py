"""``AtomicCheckpointHook``: mmengine's ``CheckpointHook`` whose files are never half-written.

Two differences from the parent, both about what a kill / crash / full disk leaves behind:

* checkpoints and ``last_checkpoint`` are written atomically (temporary file in the same
  folder, then ``os.replace``; :mod:`mvc_plugin.engine.atomic_io`);
* with ``max_keep_ckpts`` the outdated checkpoints are deleted *after* the new one is in place
  (the parent deletes first, so a failed save with ``max_keep_ckpts=1`` leaves none).

Use it with ``default_hooks = dict(checkpoint=dict(type='AtomicCheckpointHook', ...))``.
"""
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook
from mmengine.registry import HOOKS

from ..atomic_io import ATOMIC_BACKEND, AtomicLocalBackend, atomic_write, remove_stale_partials

__all__ = ['AtomicCheckpointHook']


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """Save checkpoints like ``CheckpointHook`` (same arguments), atomically on local disks.

    Without ``backend_args`` / ``file_client_args`` the atomic local backend is used; with
    another storage backend the parent's behaviour is kept (with a warning).
    """

    def __init__(self, *args, backend_args=None, file_client_args=None, **kwargs) -> None:
        if backend_args is None and file_client_args is None:
            backend_args = dict(backend=ATOMIC_BACKEND)
        super().__init__(*args, backend_args=backend_args, file_client_args=file_client_args,
                         **kwargs)

    def before_train(self, runner) -> None:
        super().before_train(runner)
        self._atomic = isinstance(self.file_backend, AtomicLocalBackend)
        if not self._atomic:
            runner.logger.warning(f'AtomicCheckpointHook: {type(self.file_backend).__name__} '
                                  f'storage; checkpoints are written as CheckpointHook does')
        elif is_main_process():
            for path in remove_stale_partials(self.out_dir):
                runner.logger.info(f'removed {path}, left by a save that was interrupted')

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        if not getattr(self, '_atomic', False):
            return super()._save_checkpoint_with_step(runner, step, meta)
        outdated = []
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids
                                            and self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                outdated.append(self.keep_ckpt_ids.popleft())
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))

        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(
            self.out_dir, ckpt_filename, self.file_client_args,
            save_optimizer=self.save_optimizer, save_param_scheduler=self.save_param_scheduler,
            meta=meta, by_epoch=self.by_epoch, backend_args=self.backend_args, **self.args)
        if not is_main_process():
            return
        atomic_write(osp.join(runner.work_dir, 'last_checkpoint'), self.last_ckpt)
        for old in outdated:  # only now that the new checkpoint is complete
            path = self.file_backend.join_path(self.out_dir, self.filename_tmpl.format(old))
            if self.file_backend.isfile(path):
                self.file_backend.remove(path)
            elif self.file_backend.isdir(path):
                self.file_backend.rmtree(path)
