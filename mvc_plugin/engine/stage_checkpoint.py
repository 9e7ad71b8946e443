"""``stage://WORK_DIR``: the last checkpoint of a previous training stage, as a checkpoint path.

DVIS++ trains in three stages, each starting from the previous one's final weights. A stage
config names the previous stage's *work directory* instead of a file (no ``iter_N.pth`` to keep in
step with ``max_iters``)::

    model = dict(init_cfg=dict(type='Pretrained',
                               checkpoint='stage://work_dirs/dvis-pp_r50_ytvis19_segmenter'))

mmengine's ``CheckpointHook`` / our ``AtomicCheckpointHook`` write ``WORK_DIR/last_checkpoint``
(the path of the newest checkpoint); this loader reads it and loads that file. When the previous
stage has not been trained (no folder, no ``last_checkpoint``, or a missing file) the error says
which config to train first and how to point at a checkpoint elsewhere
(``--cfg-options model.init_cfg.checkpoint=PATH``). Registered with mmengine's
``CheckpointLoader`` on import of :mod:`mvc_plugin`.
"""
import os.path as osp
from typing import Any, Optional

from mmengine.runner.checkpoint import CheckpointLoader

__all__ = ['STAGE_PREFIX', 'StageCheckpointError', 'resolve_stage_checkpoint']

STAGE_PREFIX = 'stage://'


class StageCheckpointError(FileNotFoundError):
    """The previous stage's checkpoint named by a ``stage://`` path is not there."""


def resolve_stage_checkpoint(filename: str) -> str:
    """The checkpoint file that ``stage://WORK_DIR`` stands for (``StageCheckpointError``)."""
    work_dir = filename[len(STAGE_PREFIX):] if filename.startswith(STAGE_PREFIX) else filename
    name = osp.basename(osp.normpath(work_dir))
    hint = (f'This stage starts from the previous stage\'s final checkpoint, found through '
            f'{osp.join(work_dir, "last_checkpoint")}. Train the previous stage first (python '
            f'tools/train.py configs/dvis_pp/{name}.py, default work dir {work_dir}) or point '
            'this config at a checkpoint: --cfg-options model.init_cfg.checkpoint=PATH.pth '
            '(model.model.init_cfg.checkpoint for the MVC configs).')
    marker = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(marker):
        raise StageCheckpointError(f'no checkpoint of the previous stage: {marker} does not '
                                   f'exist. {hint}')
    with open(marker) as f:
        path = f.read().strip()
    if not osp.isfile(path):
        raise StageCheckpointError(f'{marker} names {path!r}, which does not exist. {hint}')
    return path


@CheckpointLoader.register_scheme(prefixes=STAGE_PREFIX)
def load_from_stage(filename: str, map_location: Optional[Any] = None,
                    logger: Optional[Any] = None) -> Any:
    """Load the checkpoint that ``stage://WORK_DIR`` resolves to."""
    path = resolve_stage_checkpoint(filename)
    return CheckpointLoader.load_checkpoint(path, map_location=map_location, logger=logger)
