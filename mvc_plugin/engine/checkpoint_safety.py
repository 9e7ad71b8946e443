"""The allow-list for loading mmengine checkpoints weights-only, applied only where asked.

torch >= 2.6 loads with ``weights_only=True``; checkpoints written by mmengine 0.10.7 carry a few
non-tensor objects in their ``message_hub`` (training-log history buffers holding numpy arrays),
which that unpickler refuses. Instead of switching the safety check off for every file
(``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1``), the exact globals such checkpoints contain are
allow-listed — but only inside :func:`checkpoint_globals` (a context manager used by the
plug-in's tools, :class:`SafeCheckpointLoadHook` and :func:`safe_load_checkpoint`). Importing
``mvc_plugin`` changes nothing in torch's own list.

torch < 2.4 has no allow-list to extend (``torch.serialization.add_safe_globals``); there the
context manager does nothing (such torch loads with ``weights_only=False`` by default) and
:func:`safe_load_checkpoint` uses :func:`restricted_pickle_module` instead.
"""
import _compat_pickle
import codecs
import collections
import functools
import pickle
import types
from contextlib import contextmanager
from typing import Any, Dict, Iterator, List

import numpy as np
import torch
from mmengine.logging import HistoryBuffer

__all__ = ['checkpoint_globals', 'has_safe_globals_api', 'history_buffer_getattr',
           'MMENGINE_CHECKPOINT_GLOBALS', 'restricted_pickle_module']


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
    from numpy._core.multiarray import _reconstruct, scalar  # numpy 1.26 has the alias too
    dtype_classes = [type(np.dtype(t)) for t in
                     (np.float64, np.float32, np.float16, np.int64, np.int32, np.int16,
                      np.int8, np.uint8, np.bool_)]
    return [np.ndarray, np.dtype, _reconstruct, scalar, *dtype_classes]


#: Globals found in checkpoints that mmengine's Runner writes (message hub + numpy scalars).
MMENGINE_CHECKPOINT_GLOBALS: List[object] = [
    HistoryBuffer, *_numpy_globals(), (history_buffer_getattr, 'builtins.getattr')
]


def has_safe_globals_api() -> bool:
    """Whether this torch can extend its weights-only allow-list (torch >= 2.4)."""
    ser = torch.serialization
    return all(hasattr(ser, f) for f in
               ('add_safe_globals', 'get_safe_globals', 'clear_safe_globals'))


@contextmanager
def checkpoint_globals() -> Iterator[None]:
    """Allow-list :data:`MMENGINE_CHECKPOINT_GLOBALS` for ``torch.load(weights_only=True)``
    inside the ``with`` block only; torch's list is restored on exit (also on error)."""
    if not has_safe_globals_api():
        yield  # older torch: nothing to extend, its default torch.load is not weights-only
        return
    ser = torch.serialization
    before = list(ser.get_safe_globals())
    ser.add_safe_globals(MMENGINE_CHECKPOINT_GLOBALS)
    try:
        yield
    finally:
        ser.clear_safe_globals()
        ser.add_safe_globals(before)


def _qualified(obj: Any) -> List[str]:
    name = f'{obj.__module__}.{getattr(obj, "__qualname__", obj.__name__)}'
    aliases = {name}
    for old, new in (('numpy.core.', 'numpy._core.'), ('numpy._core.', 'numpy.core.')):
        if name.startswith(old):
            aliases.add(new + name[len(old):])
    return sorted(aliases)


@functools.lru_cache(maxsize=1)
def _allowed_globals() -> Dict[str, Any]:
    from torch import _weights_only_unpickler as wou
    allowed = dict(wou._get_allowed_globals())  # torch's own defaults (tensors, dtypes, ...)
    # what newer torch allows by default too: numpy scalars pickle their bytes as
    # _codecs.encode(str, 'latin1'); MultiStepLR's state holds its milestones as a Counter
    allowed.setdefault('_codecs.encode', codecs.encode)
    allowed.setdefault('collections.Counter', collections.Counter)
    for entry in MMENGINE_CHECKPOINT_GLOBALS:
        obj, names = (entry[0], [entry[1]]) if isinstance(entry, tuple) else (entry,
                                                                              _qualified(entry))
        allowed.update({name: obj for name in names})
    return allowed


class _RestrictedUnpickler(pickle.Unpickler):
    """``pickle.Unpickler`` that resolves only allow-listed globals (torch's + ours)."""

    def find_class(self, module: str, name: str) -> Any:
        # protocol-2 files (torch < 2.x saves) name builtins the Python 2 way, as pickle's own
        # find_class maps them with fix_imports
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        key = f'{module}.{name}'
        allowed = _allowed_globals()
        if key in allowed:
            return allowed[key]
        raise pickle.UnpicklingError(
            f'Weights only load failed: Unsupported global: GLOBAL {key} was not an allowed '
            f'global by default.')


def restricted_pickle_module() -> types.ModuleType:
    """A ``pickle_module`` for ``torch.load(..., weights_only=False)`` on torch without an
    extensible allow-list: its unpickler resolves torch's weights-only globals and
    :data:`MMENGINE_CHECKPOINT_GLOBALS` only (the restricted-unpickler pattern of the Python
    docs), refusing anything else with ``pickle.UnpicklingError``."""
    module = types.ModuleType('mvc_plugin_restricted_pickle')
    module.Unpickler = _RestrictedUnpickler
    module.load = lambda f, **kw: _RestrictedUnpickler(f, **kw).load()
    module.loads = pickle.loads  # unused by torch.load; present for completeness
    module.UnpicklingError = pickle.UnpicklingError
    module.__version__ = pickle.format_version
    return module
