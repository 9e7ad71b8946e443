"""``safe_load_checkpoint``: load a checkpoint weights-only, refusing anything unexpected clearly.

torch's weights-only unpickler refuses a global that is not allow-listed with a long generic
message. A checkpoint from an untrusted source that carries code (``os.system``, any class with
a ``__reduce__``) is refused here with :class:`UnsafeCheckpointError`, which names the file and
the offending global and says what to do. The allow-list is torch's defaults plus
:data:`MMENGINE_CHECKPOINT_GLOBALS` (what mmengine's own checkpoints need), applied for this call
only: on torch >= 2.4 through :func:`checkpoint_globals`, on older torch (no extensible
allow-list) through a restricted unpickler with the same list.
"""
import os
import pickle
import re
from typing import Any, Optional, Union

import torch

from .checkpoint_safety import (checkpoint_globals, has_safe_globals_api,
                                restricted_pickle_module)

__all__ = ['UnsafeCheckpointError', 'safe_load_checkpoint']

_GLOBAL = re.compile(r'GLOBAL ([\w.]+)')
_GETATTR = re.compile(r'calls (getattr\([^)]*\))')


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint holds objects outside the allow-list; ``path`` and ``offending`` say which."""

    def __init__(self, path: str, offending: str, detail: str = '') -> None:
        self.path, self.offending = path, offending
        super().__init__(
            f'{path}: refused to load this checkpoint: it contains {offending}, which is not '
            f'on the allow-list of weights-only loading (torch defaults + mvc_plugin.engine.'
            f'MMENGINE_CHECKPOINT_GLOBALS). Loading it could run code. If you trust the file, '
            f're-save its tensors (state_dict) from a trusted environment.'
            + (f'\n  torch: {detail}' if detail else ''))


def _offending(message: str) -> str:
    for pattern in (_GETATTR, _GLOBAL):
        found = pattern.search(message)
        if found:
            return found.group(1)
    return 'an object outside the allow-list'


def safe_load_checkpoint(path: Union[str, os.PathLike], map_location: Optional[Any] = 'cpu'
                         ) -> Any:
    """``torch.load(path, weights_only=True)``; ``UnsafeCheckpointError`` for a refused global.

    Raises ``FileNotFoundError`` for a missing file; a truncated or corrupt file raises torch's
    own error.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f'checkpoint not found: {path}')
    try:
        if has_safe_globals_api():
            with checkpoint_globals():
                return torch.load(path, map_location=map_location, weights_only=True)
        return torch.load(path, map_location=map_location, weights_only=False,
                          pickle_module=restricted_pickle_module())
    except pickle.UnpicklingError as e:
        message = str(e)
        lines = [ln.strip() for ln in message.splitlines() if ln.strip()]
        detail = next((ln for ln in lines if 'GLOBAL' in ln or 'refused' in ln),
                      lines[0] if lines else '')
        raise UnsafeCheckpointError(path, _offending(message), detail[:300]) from e
