"""Packaging: setup.cfg asks for ranges (not the tested pins), the Python floor is real, and
``pip install .`` keeps the host stack it finds (torch, numpy, mmcv, mmengine, mmdet, mmseg)."""
import configparser
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from mvc_plugin.environment import SUPPORTED_VERSIONS

REPO = Path(__file__).resolve().parents[1]
HOST_STACK = ('torch', 'numpy', 'mmcv', 'mmengine', 'mmdet', 'mmsegmentation')


def _setup_cfg() -> configparser.ConfigParser:
    cfg = configparser.ConfigParser()
    cfg.read(REPO / 'setup.cfg')
    return cfg


def _requirements() -> dict:
    lines = _setup_cfg()['options']['install_requires'].strip().splitlines()
    return {re.match(r'[\w.-]+', ln.strip()).group(0): ln.strip()[len(
        re.match(r'[\w.-]+', ln.strip()).group(0)):] for ln in lines if ln.strip()}


def test_install_requires_are_the_ranges_checked_at_import():
    reqs = _requirements()
    for dist, (low, high) in SUPPORTED_VERSIONS.items():
        assert reqs[dist] == f'>={low},<{high}', (dist, reqs[dist])
    assert not [d for d, spec in reqs.items() if '==' in spec], 'exact pins in install_requires'


def test_python_floor_is_what_the_code_needs():
    """vermin finds the lowest Python the package, its tools and configs run on."""
    floor = _setup_cfg()['options']['python_requires'].strip()
    assert floor == '>=3.9'
    vermin = shutil.which('vermin', path=str(Path(sys.executable).parent))
    assert vermin, 'vermin is a test requirement (tools/setup_env.sh installs it)'
    args = [vermin, '--no-tips', '--violations', '--eval-annotations', '--no-parse-comments',
            '--exclude', 'str.decode',  # bytes.decode, which vermin cannot tell apart
            *(str(REPO / d) for d in ('mvc_plugin', 'tools', 'configs'))]
    ok = subprocess.run([*args, '-t=3.9-'], capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0, ok.stdout[-3000:] + ok.stderr[-2000:]
    assert 'Minimum required versions: 3.9' in ok.stdout
    # and the floor is tight: the code does need 3.9 (so the check above can fail)
    below = subprocess.run([*args, '-t=3.8-'], capture_output=True, text=True, timeout=300)
    assert below.returncode != 0


def test_pip_install_keeps_the_host_stack(tmp_path):
    """Dependency resolution of ``pip install .`` in this venv installs the plug-in only."""
    src = tmp_path / 'src'
    ignore = shutil.ignore_patterns('__pycache__', '*.pyc', '.mim', '*.egg-info', 'build')
    for folder in ('mvc_plugin', 'configs', 'tools'):
        shutil.copytree(REPO / folder, src / folder, ignore=ignore)
    for name in ('setup.py', 'setup.cfg', 'README.md', 'model-index.yml'):
        shutil.copy(REPO / name, src / name)
    report = tmp_path / 'report.json'
    out = subprocess.run([sys.executable, '-m', 'pip', 'install', '--dry-run', '--quiet',
                          '--disable-pip-version-check', '--no-build-isolation', '--report',
                          str(report), str(src)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    installs = {i['metadata']['name'].lower(): i['metadata']['version']
                for i in json.loads(report.read_text())['install']}
    assert set(installs) == {'mvc-plugin'} or set(installs) == {'mvc_plugin'}, installs
    assert not set(installs) & set(HOST_STACK)
