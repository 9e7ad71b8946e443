"""End-to-end tests of ``tools/eval_offline.py`` on synthetic data in the official formats."""
import importlib.util
import json
import shutil
import sys

import numpy as np
import pytest
from PIL import Image

from ..conftest import REPO, run_tool

TOOL = str(REPO / 'tools' / 'eval_offline.py')
VIPSEG_MODULE = 'mvc_plugin.evaluation.functional.vipseg_eval'


def run_eval(args, cwd):
    return run_tool([sys.executable, TOOL, *args], cwd=cwd, timeout=300)


@pytest.fixture(scope='module')
def vspw_data(tmp_path_factory):
    """Synthetic VSPW GT (17 frames: one VC16 window) and perfect prediction PNGs."""
    from mvc_plugin.datasets.synthetic import SyntheticVideoSpec, write_vspw
    root = tmp_path_factory.mktemp('vspw')
    spec = SyntheticVideoSpec(num_videos=2, num_frames=17, height=24, width=32, seed=5)
    write_vspw(spec, root / 'gt', 'val', progress=False)
    for mask in sorted((root / 'gt' / 'data').glob('*/mask/*.png')):
        gt = np.asarray(Image.open(mask)).astype(np.int64)
        pred = np.where((gt == 0) | (gt == 255), 0, gt - 1).astype(np.uint8)
        out = root / 'pred' / mask.parent.parent.name / mask.name
        out.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(pred).save(out)
    return root


def test_vspw_perfect_prediction_is_100(vspw_data, tmp_path):
    out = tmp_path / 'sub' / 'res.json'
    proc = run_eval(['vspw', '--gt-root', str(vspw_data / 'gt'), '--pred-root',
                     str(vspw_data / 'pred'), '--split', str(vspw_data / 'gt' / 'val.txt'),
                     '--num-classes', '8', '--nproc', '2', '--out', str(out)], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text()) == {'mIoU': 100.0, 'VC8': 100.0, 'VC16': 100.0}
    assert 'mIoU' in proc.stdout and '100.00' in proc.stdout


def test_vspw_missing_prediction_exits_2(vspw_data, tmp_path):
    pred = tmp_path / 'pred'
    shutil.copytree(vspw_data / 'pred', pred)
    (pred / 'vid_00001' / '00003.png').unlink()
    out = tmp_path / 'res.json'
    proc = run_eval(['vspw', '--gt-root', str(vspw_data / 'gt'), '--pred-root', str(pred),
                     '--num-classes', '8', '--out', str(out)], cwd=tmp_path)
    assert proc.returncode == 2
    assert "'vid_00001'" in proc.stderr and '00003.png' in proc.stderr
    assert 'Traceback' not in proc.stderr and not out.exists()


def test_vspw_bad_prediction_value_exits_2(vspw_data, tmp_path):
    pred = tmp_path / 'pred'
    shutil.copytree(vspw_data / 'pred', pred)
    Image.fromarray(np.full((24, 32), 9, np.uint8)).save(pred / 'vid_00000' / '00002.png')
    proc = run_eval(['vspw', '--gt-root', str(vspw_data / 'gt'), '--pred-root', str(pred),
                     '--num-classes', '8', '--out', str(tmp_path / 'r.json')], cwd=tmp_path)
    assert proc.returncode == 2
    assert "video 'vid_00000', frame 2 (00002.png): prediction value 9" in proc.stderr
    assert 'Traceback' not in proc.stderr


@pytest.fixture(scope='module')
def ytvis_gt(tmp_path_factory):
    from mvc_plugin.datasets.synthetic import SyntheticVideoSpec, write_ytvis
    root = tmp_path_factory.mktemp('ytvis')
    spec = SyntheticVideoSpec(num_videos=2, num_frames=3, height=32, width=48, seed=2)
    return write_ytvis(spec, root, 'val', progress=False)


def test_ytvis_round_trip_is_100(ytvis_gt, tmp_path):
    gt = json.loads(open(ytvis_gt).read())
    results = [dict(video_id=a['video_id'], category_id=a['category_id'], score=1.0,
                    segmentations=a['segmentations']) for a in gt['annotations']]
    assert results, 'synthetic GT has no tracks'
    (tmp_path / 'results.json').write_text(json.dumps(results))
    out = tmp_path / 'res.json'
    proc = run_eval(['ytvis', '--gt-json', ytvis_gt, '--pred-json', 'results.json',
                     '--out', 'res.json'], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    scores = json.loads(out.read_text())
    assert list(scores) == ['AP', 'AP50', 'AP75', 'APs', 'APm', 'APl', 'AR1', 'AR10', 'AR100',
                            'ARs', 'ARm', 'ARl']
    assert scores['AP'] == scores['AP50'] == scores['AP75'] == 100.0
    assert scores['AR10'] == scores['APs'] == 100.0
    assert scores['APm'] == scores['APl'] == -1.0  # no medium / large tracks: undefined
    assert scores['AR1'] < 100.0  # a video has 3 tracks of one category; maxDets=1 finds 1


def test_ytvis_bad_json_exits_2(ytvis_gt, tmp_path):
    (tmp_path / 'results.json').write_text('[{"video_id": 1,')
    proc = run_eval(['ytvis', '--gt-json', ytvis_gt, '--pred-json', 'results.json',
                     '--out', 'res.json'], cwd=tmp_path)
    assert proc.returncode == 2
    assert 'results.json' in proc.stderr and 'Traceback' not in proc.stderr


@pytest.mark.skipif(importlib.util.find_spec(VIPSEG_MODULE) is None,
                    reason=f'{VIPSEG_MODULE} (VIPSeg evaluator) is not in this checkout yet')
def test_vipseg_perfect_prediction_is_100(tmp_path):
    from mvc_plugin.datasets.synthetic import SyntheticVideoSpec, write_vipseg
    spec = SyntheticVideoSpec(num_videos=2, num_frames=9, height=24, width=32, seed=4)
    gt_json = write_vipseg(spec, tmp_path / 'gt', 'val', progress=False)
    pan = str(tmp_path / 'gt' / 'panomasksRGB')
    proc = run_eval(['vipseg', '--gt-json', gt_json, '--gt-root', pan, '--pred-json', gt_json,
                     '--pred-root', pan, '--out', 'res.json'], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    scores = json.loads((tmp_path / 'res.json').read_text())
    assert set(scores) == {'VPQ', 'VPQ_thing', 'VPQ_stuff', 'STQ', 'AQ', 'SQ'} | {
        f'VPQ{part}@{k}' for part in ('', '_thing', '_stuff') for k in (1, 2, 4, 6, 8)}
    assert all(v == pytest.approx(100.0) for v in scores.values())


def test_vipseg_options_reproduce_the_earlier_rules(tmp_path):
    """Defaults give the official numbers; the options give those of the variants."""
    from mvc_plugin.evaluation.functional.vipseg_eval import VIPSegEvaluator

    from ..test_evaluation.official_rule_cases import rule_case
    from ..test_evaluation.test_official_parity import (OFFICIAL_VIPSEG_RULES, VIPSEG_CATS,
                                                        write_vipseg_official)
    root = write_vipseg_official(tmp_path, rule_case())
    args = ['vipseg', '--gt-json', str(root / 'gt' / 'panoptic_gt.json'), '--gt-root',
            str(root / 'gt' / 'panomasksRGB'), '--pred-json', str(root / 'pred' / 'pred.json'),
            '--pred-root', str(root / 'pred' / 'pan_pred')]
    assert run_eval(args + ['--out', 'a.json'], cwd=tmp_path).returncode == 0
    official = json.loads((tmp_path / 'a.json').read_text())
    assert official['VPQ'] == pytest.approx(OFFICIAL_VIPSEG_RULES['VPQ'], rel=1e-12)
    variant = ['--tube-key', 'category_id', '--crowd', 'all', '--gt-area', 'pixels',
               '--stq', 'corrected']
    proc = run_eval(args + variant + ['--out', 'b.json'], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    ev = VIPSegEvaluator(VIPSEG_CATS, stq_official_quirk=False, vpq_tube_key='category_id',
                         vpq_crowd='all', vpq_gt_area='pixels')
    for name, frames in rule_case().items():
        ev.add_video(name, *frames)
    expected = ev.summary()
    got = json.loads((tmp_path / 'b.json').read_text())
    for key in ('VPQ', 'VPQ_thing', 'STQ', 'AQ'):
        assert got[key] == pytest.approx(100 * expected[key], rel=1e-12), key
    assert got['VPQ'] != pytest.approx(official['VPQ'])


def test_ytvis_polygon_ground_truth(tmp_path):
    from ..test_evaluation.official_rule_cases import ytvis_polygon_case
    from ..test_evaluation.test_official_parity import OFFICIAL_YTVIS_POLYGONS
    gt, results = ytvis_polygon_case()
    (tmp_path / 'gt.json').write_text(json.dumps(gt))
    (tmp_path / 'res.json').write_text(json.dumps(results))
    proc = run_eval(['ytvis', '--gt-json', 'gt.json', '--pred-json', 'res.json', '--out',
                     'out.json'], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    scores = json.loads((tmp_path / 'out.json').read_text())
    assert scores == pytest.approx(OFFICIAL_YTVIS_POLYGONS, rel=1e-12)
    gt['annotations'][0]['segmentations'][0] = [[1.0, 2.0, 3.0]]  # 1.5 points
    (tmp_path / 'gt.json').write_text(json.dumps(gt))
    proc = run_eval(['ytvis', '--gt-json', 'gt.json', '--pred-json', 'res.json', '--out',
                     'out.json'], cwd=tmp_path)
    assert proc.returncode == 2
    assert 'video 1' in proc.stderr and 'frame 0' in proc.stderr and 'polygon 0' in proc.stderr
