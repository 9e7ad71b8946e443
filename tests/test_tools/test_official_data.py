"""tools/official_data.py writes the official layouts with the cases where scorers part, and
tools/official_runners.py / the benchmark refuse a missing checkout clearly. (The official code
itself is not part of the repository; docs/benchmarks.md shows how to run the comparison.)"""
import importlib.util
import json
import subprocess
import sys
from collections import defaultdict

import pytest

from mvc_plugin.evaluation.functional import evaluate_vipseg_files, evaluate_vspw_dirs
from mvc_plugin.evaluation.functional.ytvis_eval import evaluate_ytvis

from ..conftest import REPO



def _tool_module(name):
    """Load ``tools/<name>.py`` without putting tools/ on sys.path (it holds train.py...)."""
    spec = importlib.util.spec_from_file_location(f'_tools_{name}', REPO / 'tools' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


official_data = _tool_module('official_data')
official_runners = _tool_module('official_runners')


def test_vipseg_data_holds_class_changes_and_crowds(tmp_path):
    data = official_data.write_vipseg(tmp_path, seed=3, num_videos=6, num_frames=8, h=24, w=32)
    pred = json.loads(data['pred_json'].read_text())
    cats_of = defaultdict(set)
    for video in pred['annotations']:
        for frame in video['annotations']:
            for seg in frame['segments_info']:
                cats_of[video['video_id'], seg['id']].add(seg['category_id'])
    assert any(len(c) > 1 for c in cats_of.values()), 'no predicted id changes class'
    gt = json.loads(data['gt_json'].read_text())
    crowds = [s for v in gt['annotations'] for f in v['annotations']
              for s in f['segments_info'] if s['iscrowd']]
    assert crowds
    res = evaluate_vipseg_files(str(data['gt_json']), str(data['gt_root']),
                                str(data['pred_json']), str(data['pred_root']), progress=False)
    variant = evaluate_vipseg_files(str(data['gt_json']), str(data['gt_root']),
                                    str(data['pred_json']), str(data['pred_root']),
                                    progress=False, vpq_tube_key='category_id')
    assert 0 < res['VPQ'] < 1 and res['VPQ_thing'] != variant['VPQ_thing']


def test_vspw_and_ytvis_data_are_read_by_the_evaluators(tmp_path):
    data = official_data.write_vspw(tmp_path / 'vspw', seed=1, num_videos=2, num_frames=18,
                                    h=12, w=16)
    res = evaluate_vspw_dirs(str(data['gt_root']), str(data['pred_root']), str(data['split']),
                             progress=False)
    assert 0 < res['mIoU'] < 1 and 0 < res['VC8'] <= 1
    data = official_data.write_ytvis(tmp_path / 'ytvis', seed=2, num_videos=6, num_frames=4,
                                     h=60, w=80)
    gt = json.loads(data['gt_json'].read_text())
    results = json.loads(data['pred_json'].read_text())
    kinds = {('polygon' if isinstance(s, list) else 'uncompressed'
              if isinstance(s['counts'], list) else 'compressed')
             for a in gt['annotations'] for s in a['segmentations'] if s is not None}
    assert kinds == {'polygon', 'uncompressed', 'compressed'}
    assert all(sum(r['video_id'] == v['id'] for r in results) == 10 for v in gt['videos'])
    assert 0 < evaluate_ytvis(gt, results, verbose=False)['AP'] < 1


def test_missing_official_checkout_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match='no eval_vpq_vspw.py found'):
        official_runners.find_file(str(tmp_path), 'eval_vpq_vspw.py')
    proc = subprocess.run([sys.executable, str(REPO / 'tools' / 'benchmark.py'), 'metrics',
                           '--official-vspw', str(tmp_path), '--official-frames', '3',
                           '--official-size', '8', '8'], capture_output=True, text=True)
    assert proc.returncode != 0 and 'no VC_perclip.py found' in proc.stderr
