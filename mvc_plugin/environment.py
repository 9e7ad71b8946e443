"""The OpenMMLab stack this plug-in supports, checked once at ``import mvc_plugin``.

A package outside its range (or an mmcv without compiled ops, or a numpy the installed torch
cannot use) raises :class:`IncompatibleEnvironmentError` with one message naming the package, the
version found and the supported range, instead of a traceback from deep inside a model. The
ranges mirror ``install_requires`` in ``setup.cfg`` (a test keeps them equal). Only reads the
environment; nothing is changed.
"""
import importlib
import importlib.util
import importlib.metadata as metadata
import re
import sys
from typing import Dict, Optional, Tuple

__all__ = ['check_environment', 'IncompatibleEnvironmentError', 'SUPPORTED_VERSIONS',
           'parse_version']

#: distribution name -> (lowest supported version, first unsupported version or None)
SUPPORTED_VERSIONS: Dict[str, Tuple[str, Optional[str]]] = {
    'torch': ('2.0.0', '3.0.0'),
    'numpy': ('1.23.0', '3.0.0'),
    'mmcv': ('2.0.0', '2.2.0'),
    'mmengine': ('0.8.0', '1.0.0'),
    'mmdet': ('3.1.0', '3.4.0'),
    'mmsegmentation': ('1.1.0', '2.0.0'),
}
PYTHON_MIN = (3, 9)
_HINT = 'see docs/get_started.md for the tested combinations'


class IncompatibleEnvironmentError(ImportError):
    """The installed stack is outside what mvc_plugin supports; the message says what."""


def parse_version(version: str) -> Tuple[int, ...]:
    """``'2.1.2+cu121'`` -> ``(2, 1, 2)``; pre-release tails are ignored."""
    release = re.match(r'\d+(?:\.\d+)*', version.strip())
    return tuple(int(p) for p in release.group(0).split('.')) if release else (0, )


def _range_text(low: str, high: Optional[str]) -> str:
    return f'>={low}' + (f',<{high}' if high else '')


def _installed(dist: str) -> Optional[str]:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _check_versions() -> None:
    for dist, (low, high) in SUPPORTED_VERSIONS.items():
        found = _installed(dist)
        if found is None:
            extra = ''
            if dist == 'mmcv' and _installed('mmcv-lite'):
                extra = (f' (mmcv-lite {_installed("mmcv-lite")} is installed: it has no '
                         'compiled ops, which mmdet models need; install mmcv, e.g. '
                         '`mim install mmcv==2.1.0`)')
            raise IncompatibleEnvironmentError(
                f'mvc_plugin needs {dist} {_range_text(low, high)}, which is not installed'
                f'{extra}; {_HINT}')
        v = parse_version(found)
        if v < parse_version(low) or (high is not None and v >= parse_version(high)):
            raise IncompatibleEnvironmentError(
                f'mvc_plugin supports {dist} {_range_text(low, high)}, found {dist} {found}; '
                f'{_HINT}')


def _check_torch_numpy() -> None:
    import numpy as np
    import torch
    try:
        torch.from_numpy(np.zeros(1))
    except Exception as e:  # torch built for numpy 1.x under numpy 2 gives "Numpy is not available"
        raise IncompatibleEnvironmentError(
            f'torch {torch.__version__} cannot use numpy {np.__version__} ({e}); install the '
            f'numpy this torch was built for (torch < 2.3 needs numpy < 2: '
            f'`pip install "numpy<2"`); {_HINT}') from e


def _check_mmcv_ops() -> None:
    mmcv_version = _installed('mmcv')
    if importlib.util.find_spec('mmcv._ext') is None:
        raise IncompatibleEnvironmentError(
            f'mvc_plugin needs mmcv with compiled ops, found mmcv {mmcv_version} without them '
            f'(mmcv-lite or a build with MMCV_WITH_OPS=0); mmdet models need mmcv._ext: install '
            f'the prebuilt wheel for your torch/CUDA (`mim install mmcv==2.1.0`); {_HINT}')
    try:
        importlib.import_module('mmcv._ext')
    except (ImportError, OSError) as e:
        import torch
        raise IncompatibleEnvironmentError(
            f'mmcv {mmcv_version} has compiled ops, but they do not load with torch '
            f'{torch.__version__} (mmcv must be built for this exact torch): {e}; {_HINT}') from e


def check_environment() -> None:
    """Raise :class:`IncompatibleEnvironmentError` unless the stack is supported."""
    if sys.version_info[:2] < PYTHON_MIN:
        raise IncompatibleEnvironmentError(
            f'mvc_plugin supports Python >={".".join(map(str, PYTHON_MIN))}, found '
            f'{sys.version.split()[0]}')
    _check_versions()
    _check_torch_numpy()
    _check_mmcv_ops()
