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
    assert list(scores) == ['AP', 'AP50', 'AP75', 'APs', 'APm', 'APl', 'AR1', 'AR10']
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
    assert set(scores) == {'VPQ', 'VPQ_thing', 'VPQ_stuff', 'VPQ@1', 'VPQ@2', 'VPQ@4',
                           'VPQ@6', 'VPQ@8', 'STQ', 'AQ', 'SQ'}
    assert all(v == pytest.approx(100.0) for v in scores.values())
