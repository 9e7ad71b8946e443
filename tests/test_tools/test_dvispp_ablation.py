"""The DVIS++ ablation: its variants are the shipped MVC + OMA configs, its summary is right on
hand-made records, and the script runs end to end (smoke preset) into a docs block."""
import json
import sys

import pytest
from mmengine.config import Config

from ..conftest import REPO, run_tool

sys.path.insert(0, str(REPO / 'tools' / 'experiments'))
import dvispp_ablation as ablation  # noqa: E402
import dvispp_ablation_report as report  # noqa: E402

CONFIGS = REPO / 'configs' / 'dvis_pp'


def _model(cfg):
    model = cfg.model.to_dict() if hasattr(cfg.model, 'to_dict') else dict(cfg.model)
    inner = model.get('model', model)
    inner.pop('init_cfg', None)  # the previous stage's checkpoint differs by name only
    return model


@pytest.mark.parametrize('stage', ablation.STAGES)
def test_mvc_oma_variant_is_the_shipped_config(stage):
    derived = Config.fromfile(str(CONFIGS / f'dvis-pp_r18_synthetic-ytvis_{stage}.py'))
    ablation.apply_variant(derived, 'mvc_oma', stage)
    shipped = Config.fromfile(str(CONFIGS / f'mvc-oma_dvis-pp_r18_synthetic-ytvis_{stage}.py'))
    assert _model(derived) == _model(shipped)
    baseline = Config.fromfile(str(CONFIGS / f'dvis-pp_r18_synthetic-ytvis_{stage}.py'))
    assert _model(derived) != _model(baseline)


def test_single_variants_change_one_thing():
    base = Config.fromfile(str(CONFIGS / 'dvis-pp_r18_synthetic-ytvis_offline.py'))
    oma = Config.fromfile(str(CONFIGS / 'dvis-pp_r18_synthetic-ytvis_offline.py'))
    ablation.apply_variant(oma, 'oma', 'offline')
    assert oma.model.tracker.oma_cfg == oma.model.refiner.oma_cfg == dict(mode='hard',
                                                                          threshold=0.5)
    assert oma.model.get('query_mask_ratio', 0) == base.model.get('query_mask_ratio', 0)
    seg = Config.fromfile(str(CONFIGS / 'dvis-pp_r18_synthetic-ytvis_segmenter.py'))
    ablation.apply_variant(seg, 'oma', 'segmenter')  # OMA has nothing to do in stage 1
    assert seg.model.type == 'DVISPlusVideoSegmentor'
    with pytest.raises(ValueError, match='variant'):
        ablation.apply_variant(seg, 'mvc+oma', 'segmenter')


def _record(variant, seed, stage, ap, train_s, attention=0.2):
    rec = dict(bench='b', task='vis', variant=variant, seed=seed, stage=stage, preset='cpu',
               train_s=train_s, checkpoint=None)
    if stage != 'segmenter':
        rec['passes'] = [
            dict(ratio=0.0, metrics=dict(AP=ap, AP_rare=None), attention=dict(
                tracker_mass_on_background=attention, refiner_mass_on_background=attention / 2),
                consistency=dict(id_switches_per_100_frames=1.0, flicker_per_100_frames=2.0)),
            dict(ratio=0.25, metrics=dict(AP=ap / 2)), dict(ratio=0.5, metrics=dict(AP=0.0))]
    return rec


def test_summary_by_hand():
    runs = [_record('baseline', s, 'segmenter', None, 10.0 + s) for s in (0, 1)]
    runs += [_record('mvc', s, 'segmenter', None, 20.0) for s in (0, 1)]
    for variant in ('baseline', 'oma', 'mvc'):
        for s, ap in ((0, 10.0), (1, 20.0)):
            runs.append(_record(variant, s, 'online', ap, 5.0))
            runs.append(_record(variant, s, 'offline', ap + 1, 7.0))
    summary = report.summarize(runs)['b']
    online, offline = summary['online'], summary['offline']
    assert online['baseline']['AP'] == [15.0, pytest.approx(7.0711, abs=1e-4), 2]
    assert online['baseline']['AP@0.25'][0] == 7.5
    assert 'AP_rare' not in online['baseline']  # undefined on every seed
    # +OMA reuses the baseline segmenter: its time counts, the online stage's adds offline
    assert online['oma']['train_s'][0] == pytest.approx(10.5 + 5.0)
    assert offline['mvc']['train_s'][0] == pytest.approx(20.0 + 5.0 + 7.0)
    assert online['oma']['attention'][0] == pytest.approx(0.2)  # tracker (online)
    assert offline['oma']['attention'][0] == pytest.approx(0.1)  # refiner (offline)
    assert summary['segmenter']['oma']['train_s'][0] == pytest.approx(10.5)
    assert 'mvc_oma' not in online
    text = report.markdown(report.summarize(runs))
    assert '| baseline | 15.0 ± 7.1 |' in text and '| n/a |' in text


def test_replace_block_keeps_the_rest(tmp_path):
    doc = tmp_path / 'results.md'
    doc.write_text('# R\nbefore\n<!-- decoupled:begin -->\nold\n<!-- decoupled:end -->\nafter\n')
    report.replace_block('new table', str(doc))
    assert doc.read_text() == ('# R\nbefore\n<!-- decoupled:begin -->\nnew table\n'
                               '<!-- decoupled:end -->\nafter\n')
    report.replace_block('gpu table', str(doc), preset='gpu')  # its own block, appended
    assert doc.read_text().endswith('<!-- decoupled-gpu:begin -->\ngpu table\n'
                                    '<!-- decoupled-gpu:end -->\n')
    doc.write_text('<!-- decoupled:begin -->\nno end\n')
    with pytest.raises(ValueError, match='without'):
        report.replace_block('x', str(doc))


def test_ablation_smoke_end_to_end(tmp_path):
    docs = tmp_path / 'docs'
    docs.mkdir()
    (docs / 'results.md').write_text('# Results\n<!-- decoupled:begin -->\n'
                                     '<!-- decoupled:end -->\nkept\n')
    args = [sys.executable, str(REPO / 'tools' / 'experiments' / 'dvispp_ablation.py'),
            '--preset', 'smoke', '--seeds', '0', '--benches', 'synthetic-vis',
            'synthetic-vps', '--variants', 'mvc_oma', '--jobs', '1',
            '--out', str(tmp_path / 'out'), '--update-docs', '--docs-dir', str(docs)]
    proc = run_tool(args, env={'OMP_NUM_THREADS': '1'})
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-5000:]
    runs = json.loads((tmp_path / 'out' / 'runs' / 'synthetic-vis_s0.json').read_text())
    # the MVC segmenter (shared by +MVC and +MVC+OMA), then the variant's online and offline
    assert sorted((r['variant'], r['stage']) for r in runs) == [
        ('mvc', 'segmenter'), ('mvc_oma', 'offline'), ('mvc_oma', 'online')]
    offline = next(r for r in runs if r['stage'] == 'offline' and r['variant'] == 'mvc_oma')
    assert [p['ratio'] for p in offline['passes']] == list(ablation.MASK_RATIOS)
    clean = offline['passes'][0]
    assert {'AP', 'APso', 'APmo', 'APho', 'AP_rare', 'AP_frequent'} <= set(clean['metrics'])
    assert clean['consistency']['frames'] > 0
    assert clean['attention']['refiner_mass_on_background'] is not None
    assert 0.3 < offline['passes'][2]['masked_share'] < 0.7
    vps = json.loads((tmp_path / 'out' / 'runs' / 'synthetic-vps_s0.json').read_text())
    assert 'VPQ' in next(r for r in vps if r['stage'] == 'online')['passes'][0]['metrics']
    text = (docs / 'results.md').read_text()
    # a smoke run never touches the real table: it gets a block of its own
    assert text.startswith('# Results\n<!-- decoupled:begin -->\n<!-- decoupled:end -->\nkept\n')
    smoke = text.split('<!-- decoupled-smoke:begin -->')[1]
    assert '### synthetic-vis (VIS' in smoke and '### synthetic-vps (VPS' in smoke
    assert (docs / 'results' / 'dvispp_smoke' / 'dvispp_robustness.png').is_file()
    # resumable: a second call trains nothing
    again = run_tool(args, env={'OMP_NUM_THREADS': '1'})
    assert again.returncode == 0 and 'done: train' not in again.stdout


def test_gpu_script_refuses_without_a_gpu():
    import torch
    if torch.cuda.is_available():
        pytest.skip('a CUDA device is visible: the script would start the GPU run')
    proc = run_tool(['bash', str(REPO / 'tools' / 'experiments' / 'dvispp_ablation_gpu.sh')],
                    env={'PY': sys.executable})
    assert proc.returncode == 2 and 'no CUDA device visible' in proc.stderr
