"""End to end on CPU: tools/train.py, --resume, tools/test.py and the same through `mim`."""
import json
import re
import sys

import pytest

from ..conftest import REPO, run_tool, tiny_vis_options

CONFIG = REPO / 'configs' / 'vis_synthetic_quickstart.py'
AP_KEYS = ('AP', 'AP50', 'AP75', 'APs', 'APm', 'APl', 'AR1', 'AR10')


def _ok(proc):
    assert proc.returncode == 0, f'exit {proc.returncode}\n{proc.stdout[-3000:]}\n' \
                                 f'{proc.stderr[-6000:]}'
    return proc.stdout + proc.stderr


@pytest.fixture(scope='module')
def trained(tiny_ytvis, tmp_path_factory):
    work = tmp_path_factory.mktemp('train')
    out = _ok(run_tool([sys.executable, str(REPO / 'tools' / 'train.py'), str(CONFIG),
                        '--work-dir', str(work), '--cfg-options',
                        *tiny_vis_options(tiny_ytvis, iters=2)]))
    return work, out


def test_train_writes_checkpoint_with_progress(trained):
    work, out = trained
    assert (work / 'iter_2.pth').is_file()
    assert (work / 'last_checkpoint').read_text().strip().endswith('iter_2.pth')
    assert re.search(r'train: 100%.*2/2', out), 'no progress bar in the output'
    assert re.search(r'Iter\(train\) \[2/2\].*loss: [0-9.]+', out)


def test_resume_continues_from_last_checkpoint(trained, tiny_ytvis):
    work, _ = trained
    opts = tiny_vis_options(tiny_ytvis, iters=3)
    out = _ok(run_tool([sys.executable, str(REPO / 'tools' / 'train.py'), str(CONFIG),
                        '--work-dir', str(work), '--resume', '--cfg-options', *opts,
                        'default_hooks.checkpoint.interval=1']))
    assert 'resumed epoch: 0, iter: 2' in out.lower() or 'resumed' in out.lower()
    assert re.search(r'Iter\(train\) \[3/3\]', out)
    assert not re.search(r'Iter\(train\) \[1/3\]', out), 'resume restarted from iteration 1'
    assert (work / 'iter_3.pth').is_file()


def test_test_tool_prints_local_ap(trained, tiny_ytvis):
    work, _ = trained
    out = _ok(run_tool([sys.executable, str(REPO / 'tools' / 'test.py'), str(CONFIG),
                        str(work / 'iter_2.pth'), '--work-dir', str(work), '--cfg-options',
                        *tiny_vis_options(tiny_ytvis)]))
    for key in AP_KEYS:
        assert re.search(rf'ytvis/{key}: -?[0-9.]+', out), f'{key} missing from the output'
    assert 'Average Precision' in out  # the official summary table
    results = json.loads((work / 'results' / 'test.json').read_text())
    assert isinstance(results, list)
    assert all({'video_id', 'category_id', 'score', 'segmentations'} <= set(r) for r in results)
    # the saved results are the official format: the offline scorer gives the same AP
    proc = run_tool([sys.executable, str(REPO / 'tools' / 'eval_offline.py'), 'ytvis',
                     '--gt-json', str(tiny_ytvis / 'annotations' / 'val.json'), '--pred-json',
                     str(work / 'results' / 'test.json'), '--out', str(work / 'offline.json')])
    assert proc.returncode == 0, proc.stderr[-3000:]
    offline = json.loads((work / 'offline.json').read_text())
    printed = float(re.search(r'ytvis/AP: (-?[0-9.]+)', out).group(1))
    assert offline['AP'] == pytest.approx(printed, abs=1e-3)


def test_mim_train_and_test_from_another_directory(tiny_ytvis, tmp_path):
    """`mim` finds the config by basename in the installed package and runs its tools."""
    mim = [sys.executable, '-m', 'mim']
    work = tmp_path / 'work'
    out = _ok(run_tool([*mim, 'train', 'mvc_plugin', 'vis_synthetic_quickstart.py',
                        '--work-dir', str(work), '--cfg-options',
                        *tiny_vis_options(tiny_ytvis, iters=1),
                        'default_hooks.checkpoint.interval=1'], cwd=tmp_path))
    assert (work / 'iter_1.pth').is_file(), out[-2000:]
    out = _ok(run_tool([*mim, 'test', 'mvc_plugin', 'vis_synthetic_quickstart.py', '-C',
                        str(work / 'iter_1.pth'), '--work-dir', str(work), '--cfg-options',
                        *tiny_vis_options(tiny_ytvis)], cwd=tmp_path))
    assert re.search(r'ytvis/AP: -?[0-9.]+', out)
    # from the repo root the relative config path is used as is
    out = _ok(run_tool([*mim, 'test', 'mvc_plugin', 'configs/vis_synthetic_quickstart.py', '-C',
                        str(work / 'iter_1.pth'), '--work-dir', str(work / 'root'),
                        '--cfg-options', *tiny_vis_options(tiny_ytvis)], cwd=REPO))
    assert re.search(r'ytvis/AP: -?[0-9.]+', out)


def test_baseline_config_evaluates_mvc_checkpoint(trained, tiny_ytvis):
    """The quick-start config trains with MVC; its checkpoint loads into the plain baseline."""
    work, _ = trained
    out = _ok(run_tool([sys.executable, str(REPO / 'tools' / 'test.py'),
                        str(REPO / 'configs' / 'vis_synthetic_quickstart_baseline.py'),
                        str(work / 'iter_2.pth'), '--work-dir', str(work / 'baseline'),
                        '--cfg-options', *tiny_vis_options(tiny_ytvis)]))
    assert 'missing keys' not in out and 'unexpected key' not in out
    assert re.search(r'ytvis/AP: -?[0-9.]+', out)
