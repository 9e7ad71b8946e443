"""Load mmengine checkpoints with torch's weights-only unpickler.

torch >= 2.6 loads with ``weights_only=True``; checkpoints written by mmengine 0.10.7 carry a few
non-tensor objects in their ``message_hub`` (training-log history buffers holding numpy arrays),
which that unpickler refuses. Instead of switching the safety check off for every file
(``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1``), the exact globals such checkpoints contain are
allow-listed here; anything else in a checkpoint is still refused by torch.
"""
import pickle
from typing import Any, List

import numpy as np
import torch
from mmengine.logging import HistoryBuffer

__all__ = ['MMENGINE_CHECKPOINT_GLOBALS', 'register_checkpoint_globals',
           'history_buffer_getattr']


# filled into HistoryBuffer._statistics_methods only once a buffer is created
_BUILTIN_STATISTICS = frozenset({'min', 'max', 'mean', 'current'})


def history_buffer_getattr(obj: Any, name: str) -> Any:
    """Stand-in for ``builtins.getattr`` inside checkpoints: only resolves the statistics
    methods of :class:`HistoryBuffer` (``HistoryBuffer.min`` etc. are pickled as
    ``getattr(HistoryBuffer, 'min')``). Any other use is refused."""
    if (obj is HistoryBuffer or isinstance(obj, HistoryBuffer)) and isinstance(name, str) \
            and name in _BUILTIN_STATISTICS.union(HistoryBuffer._statistics_methods):
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'checkpoint refused: it calls getattr({getattr(obj, "__name__", type(obj).__name__)}, '
        f'{name!r}); only '
        f'HistoryBuffer statistics methods are allowed')


def _numpy_globals() -> List[object]:
    from numpy._core.multiarray import _reconstruct, scalar
    dtype_classes = [type(np.dtype(t)) for t in
                     (np.float64, np.float32, np.float16, np.int64, np.int32, np.int16,
                      np.int8, np.uint8, np.bool_)]
    return [np.ndarray, np.dtype, _reconstruct, scalar, *dtype_classes]


#: Globals found in checkpoints that mmengine's Runner writes (message hub + numpy scalars).
MMENGINE_CHECKPOINT_GLOBALS: List[object] = [
    HistoryBuffer, *_numpy_globals(), (history_buffer_getattr, 'builtins.getattr')
]


def register_checkpoint_globals() -> None:
    """Allow-list :data:`MMENGINE_CHECKPOINT_GLOBALS` for ``torch.load(weights_only=True)``."""
    torch.serialization.add_safe_globals(MMENGINE_CHECKPOINT_GLOBALS)
