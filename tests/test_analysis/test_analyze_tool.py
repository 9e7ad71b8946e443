"""End to end: tools/analyze.py on a 2-iteration MVC+OMA checkpoint (VIS) and on the synthetic
VSPW Mask2Former (VSS), through subprocesses as a user runs them."""
import json
import sys

import pytest
import torch

from ..conftest import REPO, run_tool, tiny_vis_options

ANALYZE = REPO / 'tools' / 'analyze.py'
VIS_CONFIG = REPO / 'configs' / 'vis_synthetic_quickstart_oma.py'
VSS_CONFIG = REPO / 'configs' / 'vss_synthetic_quickstart.py'
RATIOS = [0.0, 0.25, 0.5, 0.75]
NO_VAL = ['val_cfg=None', 'val_dataloader=None', 'val_evaluator=None']  # no end-of-training val


def _ok(proc):
    assert proc.returncode == 0, f'exit {proc.returncode}\n{proc.stdout[-3000:]}\n' \
                                 f'{proc.stderr[-5000:]}'
    return proc.stdout


def _pngs(out_dir, report):
    files = sorted(out_dir.glob('*.png'))
    for f in files:
        assert f.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert sorted(report['plots'].values()) == [f.name for f in files]
    return files


@pytest.fixture(scope='module')
def oma_checkpoint(tiny_ytvis, tmp_path_factory):
    work = tmp_path_factory.mktemp('oma_train')
    _ok(run_tool([sys.executable, str(REPO / 'tools' / 'train.py'), str(VIS_CONFIG),
                  '--work-dir', str(work), '--cfg-options',
                  *tiny_vis_options(tiny_ytvis, iters=2), *NO_VAL]))
    return work / 'iter_2.pth'


def test_analyze_vis_oma_checkpoint(oma_checkpoint, tiny_ytvis, tmp_path):
    out = tmp_path / 'analysis'
    stdout = _ok(run_tool([sys.executable, str(ANALYZE), str(VIS_CONFIG), str(oma_checkpoint),
                           '--out', str(out), '--max-videos', '1', '--no-progress',
                           '--cfg-options', f'test_dataloader.dataset.data_root={tiny_ytvis}']))
    report = json.loads((out / 'analysis.json').read_text())
    assert report['task'] == 'vis'
    assert all(report[k]['applicable'] for k in ('robustness', 'consistency', 'attention'))
    assert len(_pngs(out, report)) >= 3

    rob = report['robustness']
    assert (rob['metric'], rob['block_size']) == ('AP', 16)  # the config's MVC block size
    rows = rob['per_ratio']
    assert [r['ratio'] for r in rows] == RATIOS
    shares = [r['masked_pixel_share'] for r in rows]
    assert shares[0] == 0.0 and shares == sorted(shares)  # one seed: nested masks
    assert all(abs(s - r) < 0.3 for s, r in zip(shares, RATIOS))
    for r in rows:
        assert r['videos'] == 1 and 'AP' in r['metrics'] and 'AP50' in r['metrics']
        assert r['pixel_accuracy']['unmasked']['accuracy'] is not None
    assert rows[0]['pixel_accuracy']['masked']['accuracy'] is None
    assert all(r['pixel_accuracy']['masked']['accuracy'] is not None for r in rows[1:])

    for r in report['consistency']['per_ratio']:
        assert (r['videos'], r['frames']) == (1, 4)
        assert r['id_switches_per_100_frames'] >= 0 and r['flicker_per_100_frames'] >= 0

    attn = report['attention']
    assert attn['head_type'] == 'OMAMask2FormerTrackHead'
    assert attn['oma'] == {'mode': 'hard', 'threshold': 0.5} and attn['tau'] == 0.5
    assert [row['layer'] for row in attn['layers']] == [0, 1, 2]
    for row in attn['layers']:
        assert row['calls'] == 1
        if row['calls_mixed']:
            assert row['mass_on_background'] == 0.0  # hard OMA
    assert 'robustness (AP %' in stdout and 'attention (OMAMask2FormerTrackHead' in stdout


@pytest.fixture(scope='module')
def vss_setup(tmp_path_factory):
    """Synthetic VSPW val split (one 10-frame video: VC8 has a window) and an untrained
    checkpoint of the config's model (the diagnostics need no particular training)."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmseg.registry import MODELS

    from mvc_plugin.datasets.synthetic import SyntheticVideoSpec, write_vspw
    root = tmp_path_factory.mktemp('vspw')
    write_vspw(SyntheticVideoSpec(num_videos=1, num_frames=10, height=96, width=128, seed=2,
                                  first_index=50), str(root), split='val', progress=False)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = MODELS.build(Config.fromfile(str(VSS_CONFIG)).model)
    ckpt = root / 'untrained.pth'
    torch.save({'meta': {}, 'state_dict': model.state_dict()}, ckpt)
    return root, ckpt


def test_analyze_vss_checkpoint(vss_setup, tmp_path):
    root, ckpt = vss_setup
    out = tmp_path / 'analysis'
    _ok(run_tool([sys.executable, str(ANALYZE), str(VSS_CONFIG), str(ckpt), '--out', str(out),
                  '--ratios', '0.5', '--no-progress',
                  '--cfg-options', f'test_dataloader.dataset.data_root={root}']))
    report = json.loads((out / 'analysis.json').read_text())
    assert report['task'] == 'vss'
    assert any('ratio 0 added' in n for n in report['settings']['notes'])
    rob = report['robustness']
    assert rob['applicable'] and rob['metric'] == 'mIoU'
    assert [r['ratio'] for r in rob['per_ratio']] == [0.0, 0.5]
    for r in rob['per_ratio']:
        assert r['videos'] == 1 and r['metrics']['mIoU'] is not None
        assert 'foreground_iou' not in r['pixel_accuracy']['masked']
    cons = report['consistency']
    assert cons['applicable'] and cons['task'] == 'vss'
    for r in cons['per_ratio']:
        assert 0.0 <= r['VC8'] <= 100.0 and r['VC16'] is None  # 10 frames: no 16-frame window
    # mmseg's Mask2Former has object queries too: the attention diagnostic applies
    assert report['attention']['applicable'] and report['attention']['head'] == 'decode_head'
    names = {f.name for f in _pngs(out, report)}
    assert {'robustness.png', 'consistency.png'} <= names
