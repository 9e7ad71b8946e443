"""A stack outside the supported ranges is one clear ImportError at ``import mvc_plugin``,
naming the package, the version found and the supported range."""
import importlib.metadata
import importlib.util
import os
import subprocess
import sys

import pytest
import torch

from mvc_plugin import environment
from mvc_plugin.environment import (IncompatibleEnvironmentError, SUPPORTED_VERSIONS,
                                    check_environment, parse_version)


def test_this_environment_is_supported():
    check_environment()


def test_parse_version():
    assert parse_version('2.1.2+cu121') == (2, 1, 2)
    assert parse_version('2.13.0') > parse_version('2.2.0') > parse_version('2.1.2')
    assert parse_version('1.26.4') < parse_version('2.0.0rc1')


def _fake_versions(monkeypatch, **versions):
    real = importlib.metadata.version

    def version(dist):
        key = dist.replace('-', '_')
        if key in versions:
            if versions[key] is None:
                raise importlib.metadata.PackageNotFoundError(dist)
            return versions[key]
        return real(dist)
    monkeypatch.setattr(environment.metadata, 'version', version)


@pytest.mark.parametrize('dist, found', [('mmdet', '3.0.0'), ('mmdet', '3.4.0'),
                                         ('mmcv', '2.2.0'), ('torch', '1.13.1'),
                                         ('numpy', '1.22.4'), ('mmsegmentation', '1.0.0'),
                                         ('mmengine', '0.7.4')])
def test_out_of_range_names_package_version_and_range(monkeypatch, dist, found):
    _fake_versions(monkeypatch, **{dist: found})
    low, high = SUPPORTED_VERSIONS[dist]
    with pytest.raises(IncompatibleEnvironmentError) as e:
        check_environment()
    assert f'{dist} {found}' in str(e.value) and f'>={low},<{high}' in str(e.value)
    assert isinstance(e.value, ImportError)


def test_mmcv_lite_is_named(monkeypatch):
    _fake_versions(monkeypatch, mmcv=None, mmcv_lite='2.1.0')
    with pytest.raises(IncompatibleEnvironmentError, match='mmcv-lite 2.1.0 is installed'):
        check_environment()


def test_mmcv_without_compiled_ops(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(environment.importlib.util, 'find_spec',
                        lambda name, *a: None if name == 'mmcv._ext' else real(name, *a))
    with pytest.raises(IncompatibleEnvironmentError, match='without them .mmcv-lite'):
        check_environment()


def test_numpy_that_torch_cannot_use(monkeypatch):
    def broken(_):
        raise RuntimeError('Numpy is not available')
    monkeypatch.setattr(torch, 'from_numpy', broken)
    with pytest.raises(IncompatibleEnvironmentError, match=r'torch .* cannot use numpy'):
        check_environment()


def test_import_fails_with_one_clear_message():
    """In a fresh process, a too-new mmdet stops ``import mvc_plugin`` before any model code."""
    code = ('import importlib.metadata as m; real = m.version\n'
            'm.version = lambda d: "3.5.0" if d == "mmdet" else real(d)\n'
            'import mvc_plugin\n')
    env = {**os.environ, 'PYTHONPATH': os.pathsep.join(p for p in sys.path if p)}
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         timeout=120, env=env)
    assert out.returncode != 0
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith('mvc_plugin.environment.IncompatibleEnvironmentError')
    assert 'mmdet 3.5.0' in last and '>=3.1.0,<3.4.0' in last
