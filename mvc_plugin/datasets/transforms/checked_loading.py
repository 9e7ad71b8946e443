"""``CheckedLoadImageFromFile``: mmcv's ``LoadImageFromFile`` that refuses corrupt frames.

For a truncated frame, mmcv's loader fails with a bare ``AssertionError`` when OpenCV returns
nothing -- or, with OpenCV builds that decode truncated JPEGs, silently returns an image whose
missing rows are grey. This subclass first checks that the file is complete (JPEG end marker /
PNG ``IEND``: a few bytes read, see :mod:`mvc_plugin.datasets.frame_integrity`), then lets mmcv
load it unchanged, and reports any failure as :class:`CorruptFrameError` with the path.

Enable it by swapping the transform type in a pipeline (inside ``TransformBroadcaster`` too)::

    dict(type='CheckedLoadImageFromFile', on_bad_frame='stop')   # or 'skip'
"""
import os.path as osp
from typing import Optional

from mmcv.transforms import LoadImageFromFile
from mmengine.registry import TRANSFORMS

from ..corrupt_frames import CorruptFrameError
from ..frame_integrity import image_bytes_problem, read_head_tail

__all__ = ['CheckedLoadImageFromFile']

ON_BAD_FRAME = ('stop', 'skip')


@TRANSFORMS.register_module()  # mmengine's root registry: found from mmdet and mmseg scopes
class CheckedLoadImageFromFile(LoadImageFromFile):
    """Load an image like ``LoadImageFromFile``; a corrupt file raises ``CorruptFrameError``.

    Args:
        on_bad_frame: ``'stop'`` (default) ends training with the path in the message;
            ``'skip'`` marks the error skippable, so the plug-in's datasets log the path once
            and train on another sample instead (training only).
        Other arguments as in mmcv's ``LoadImageFromFile``.
    """

    def __init__(self, on_bad_frame: str = 'stop', **kwargs) -> None:
        if on_bad_frame not in ON_BAD_FRAME:
            raise ValueError(f'on_bad_frame must be one of {ON_BAD_FRAME}, got {on_bad_frame!r}')
        if kwargs.get('ignore_empty'):
            raise ValueError('ignore_empty=True hides corrupt frames; use on_bad_frame="skip"')
        super().__init__(**kwargs)
        self.on_bad_frame = on_bad_frame

    def _local(self) -> bool:
        return self.file_client_args is None and not self.backend_args

    def _completeness_problem(self, path: str) -> Optional[str]:
        """Cheap check of a local file: present, and its end marker where the format has one."""
        if not self._local():
            return None  # remote storage: mmcv's read and decode are the check
        if not osp.isfile(path):
            return 'file missing'
        try:
            head, tail = read_head_tail(path)
        except OSError as e:
            return f'file unreadable ({e})'
        return image_bytes_problem(head, tail, path)

    def transform(self, results: dict) -> Optional[dict]:
        path = results['img_path']
        problem = self._completeness_problem(path)
        if problem is None:
            try:
                return super().transform(results)
            except Exception as e:  # noqa: BLE001 - any read / decode failure of this file
                problem = f'cannot be read or decoded ({type(e).__name__}: {e})'
        raise CorruptFrameError(path, problem, skip=self.on_bad_frame == 'skip')

    def __repr__(self) -> str:
        return f'{super().__repr__()[:-1]}, on_bad_frame={self.on_bad_frame!r})'
