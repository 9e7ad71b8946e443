"""Atomic file writes, and an mmengine storage backend that writes checkpoints atomically.

Why: mmengine's ``LocalBackend.put`` opens the final checkpoint path with ``'wb'`` (truncating
it) and writes; a kill, a full disk or a crash in between leaves a half-written ``iter_N.pth``
that fails to load -- and ``last_checkpoint`` is written the same way. Here the bytes go to a
temporary file in the same folder, are flushed to disk, then ``os.replace`` puts them in place
in one step: readers see the old file or the complete new one, never a part.
"""
import os
import os.path as osp
import re
import secrets
from typing import List, Union

from mmengine.fileio import LocalBackend, register_backend

__all__ = ['ATOMIC_BACKEND', 'AtomicLocalBackend', 'atomic_write', 'remove_stale_partials']

#: Name of :class:`AtomicLocalBackend` in mmengine's storage backends (``backend_args``).
ATOMIC_BACKEND = 'atomic_local'

_PARTIAL = re.compile(r'^\..+\.\d+-[0-9a-f]{8}\.partial$')


def _fsync_dir(folder: str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # e.g. Windows: folders cannot be opened; the rename is still atomic
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: Union[str, os.PathLike], data: Union[bytes, str],
                 encoding: str = 'utf-8') -> None:
    """Write ``data`` to ``path`` so that ``path`` is never seen partly written."""
    path = os.fspath(path)
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = osp.join(folder, f'.{osp.basename(path)}.{os.getpid()}-{secrets.token_hex(4)}.partial')
    payload = data.encode(encoding) if isinstance(data, str) else data
    try:
        with open(tmp, 'xb') as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(folder)


def remove_stale_partials(folder: str) -> List[str]:
    """Delete temporary files that :func:`atomic_write` left behind when its process was
    killed mid-write; returns their paths."""
    removed = []
    if not osp.isdir(folder):
        return removed
    for name in os.listdir(folder):
        if _PARTIAL.match(name):
            path = osp.join(folder, name)
            try:
                os.unlink(path)
                removed.append(path)
            except OSError:
                pass
    return removed


class AtomicLocalBackend(LocalBackend):
    """mmengine's local storage backend with atomic ``put`` / ``put_text``.

    Selected with ``backend_args=dict(backend='atomic_local')`` wherever mmengine takes
    ``backend_args`` (e.g. ``CheckpointHook``, ``Runner.save_checkpoint``).
    """

    def put(self, obj: bytes, filepath: Union[str, os.PathLike]) -> None:
        atomic_write(filepath, obj)

    def put_text(self, obj: str, filepath: Union[str, os.PathLike],
                 encoding: str = 'utf-8') -> None:
        atomic_write(filepath, obj, encoding)


# A new name in mmengine's backend table (force: re-importing this module is harmless); the
# existing backends are left as they are.
register_backend(ATOMIC_BACKEND, AtomicLocalBackend, force=True)
