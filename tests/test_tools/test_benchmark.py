"""tools/benchmark.py prints one JSON line per benchmark with the documented keys (not timed)."""
import json
import sys

from ..conftest import REPO, run_tool


def _run(*args):
    proc = run_tool([sys.executable, str(REPO / 'tools' / 'benchmark.py'), *args])
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_benchmark_mvc_keys_and_equal_params():
    res = _run('mvc', '--steps', '1', '--warmup', '0')
    assert {'params_baseline', 'params_mvc', 'train_step_ratio_replace', 'train_step_ratio_dual',
            'infer_ratio'} <= set(res)
    assert res['params_baseline'] == res['params_mvc'] > 0
    assert all(res[k] > 0 for k in ('train_step_ratio_replace', 'train_step_ratio_dual'))


def test_benchmark_oma_and_metrics():
    res = _run('oma', '--steps', '1', '--warmup', '0')
    assert res['infer_ratio'] > 0
    res = _run('metrics', '--frames', '4', '--size', '32', '48')
    assert {'vspw_s_per_100_frames', 'vipseg_s_per_100_frames', 'ytvis_s_per_100_frames'} \
        <= set(res)


def test_online_inference_memory_is_flat_in_video_length():
    """Issue goal: peak RSS of DVIS++ online inference on 300 frames <= 1.25 x on 30 frames."""
    runs = {n: _run('_stream_worker', '--model', 'dvis_pp_online', '--frames', str(n))
            for n in (30, 300)}
    assert runs[300]['peak_rss_mb'] <= 1.25 * runs[30]['peak_rss_mb'], runs


def test_offline_spill_keeps_memory_below_the_in_memory_inference():
    """Offline, the per-frame mask features and masks wait in a temporary file: 60 frames at
    240 x 320 grow the peak far less than keeping them in memory (the official behaviour)."""
    growth = {}
    for model in ('dvis_pp_offline', 'dvis_pp_offline_in_memory'):
        runs = [_run('_stream_worker', '--model', model, '--frames', str(n), '--size', '240',
                     '320')['peak_rss_mb'] for n in (10, 60)]
        growth[model] = runs[1] - runs[0]
    assert growth['dvis_pp_offline'] < 0.5 * growth['dvis_pp_offline_in_memory'], growth
