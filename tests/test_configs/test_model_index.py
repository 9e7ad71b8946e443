"""``model-index.yml`` + ``configs/dvis_pp/metafile.yml`` (OpenMMLab format, read by
``mim search mvc_plugin``): every listed config exists, every DVIS++ config is listed, and the
baselines carry the official DVIS++ R50 numbers (DVIS_Plus MODEL_ZOO.md)."""
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from .config_files import CONFIG_DIR

REPO = CONFIG_DIR.parent
# official MODEL_ZOO.md, R50: (online, offline) main metric
OFFICIAL = {'ytvis19': ('AP', 55.5, 56.7), 'ytvis21': ('AP', 50.0, 52.0),
            'ovis': ('AP', 37.2, 41.2), 'vipseg': ('VPQ', 41.9, 44.2),
            'vspw': ('mIoU', 46.9, 48.6)}


def _models():
    index = yaml.safe_load((REPO / 'model-index.yml').read_text())
    models = []
    for path in index['Import']:
        meta = yaml.safe_load((REPO / path).read_text())
        collections = {c['Name'] for c in meta['Collections']}
        for model in meta['Models']:
            assert model['In Collection'] in collections, model['Name']
            models.append(model)
    return models


def test_every_listed_config_exists_and_every_dvis_pp_config_is_listed():
    models = _models()
    listed = {m['Config'] for m in models}
    assert len(listed) == len(models) == len({m['Name'] for m in models})
    for config in listed:
        assert (REPO / config).is_file(), config
    shipped = {str(p.relative_to(REPO)) for p in (CONFIG_DIR / 'dvis_pp').glob('*.py')}
    assert shipped == listed
    for model in models:
        assert model['Name'] == Path(model['Config']).stem


def test_baselines_carry_the_official_numbers():
    for model in _models():
        name = model['Name']
        ds, stage = name.split('_')[-2:]
        if name.startswith('mvc-oma') or stage == 'segmenter' or '_r18_synthetic' in name:
            assert 'Results' not in model, name  # nothing published / measured yet
            continue
        metric, online, offline = OFFICIAL[ds]
        (result, ) = model['Results']
        assert result['Metrics'][metric] == (online if stage == 'online' else offline), name
        assert model['Converted From']['Weights'].startswith('https://')


@pytest.mark.skipif(shutil.which('mim', path=str(Path(sys.executable).parent)) is None,
                    reason='openmim not installed')
def test_mim_reads_the_model_index(tmp_path):
    """What ``mim search mvc_plugin`` loads from an installed package (``.mim/model-index.yml``
    importing ``.mim/configs/...``), parsed the way mim does (modelindex)."""
    from modelindex.load_model_index import load
    mim = tmp_path / '.mim'
    shutil.copytree(CONFIG_DIR / 'dvis_pp', mim / 'configs' / 'dvis_pp')
    shutil.copyfile(REPO / 'model-index.yml', mim / 'model-index.yml')
    index = load(str(mim / 'model-index.yml'))
    names = {m.name for m in index.models}
    # 30 R50 + 6 quick start (YouTube-VIS) + 6 synthetic VSPW / VIPSeg (the DVIS++ ablation)
    assert 'dvis-pp_r50_ytvis19_offline' in names and len(names) == 42
    setup = (REPO / 'setup.py').read_text() + (REPO / 'setup.cfg').read_text()
    assert "'model-index.yml'" in setup and '.mim/configs/**/*.yml' in setup
