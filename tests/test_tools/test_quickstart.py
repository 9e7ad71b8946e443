"""The README's quick start end to end (few iterations), and training/evaluation on real DAVIS."""
import importlib.util
import json
import re
import sys

from ..conftest import REPO, run_tool, tiny_vis_options


def test_quickstart_runs_both_variants_through_three_stages(tmp_path, capsys):
    """`make quickstart` at 1 iteration a stage: DVIS++ and DVIS++ + MVC + OMA, segmenter ->
    online -> offline, each scored online and offline; data reused on a second call."""
    proc = run_tool([sys.executable, str(REPO / 'tools' / 'quickstart.py'),
                     '--data-root', str(tmp_path / 'data'), '--work-dir', str(tmp_path / 'work'),
                     '--iters', '1'])
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-5000:]
    assert 'Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ]' in out
    table = out[out.index('[quickstart] local YouTube-VIS AP'):]
    assert re.search(r'DVIS\+\+ +-?[0-9.]+ +-?[0-9.]+', table), table
    assert re.search(r'DVIS\+\+ \+ MVC \+ OMA +-?[0-9.]+ +-?[0-9.]+', table), table
    metrics = json.loads((tmp_path / 'work' / 'quickstart_metrics.json').read_text())
    assert set(metrics) == {'DVIS++', 'DVIS++ + MVC + OMA'}
    for row in metrics.values():
        for key in ('online_AP', 'offline_AP', 'online_AP50', 'offline_AP50'):
            assert row[key] == -1 or 0 <= row[key] <= 100, row
        assert row['checkpoint'].endswith('iter_1.pth')
    for prefix in ('dvis-pp', 'mvc-oma_dvis-pp'):  # each stage chained from the previous one
        for stage in ('segmenter', 'online', 'offline'):
            assert (tmp_path / 'work' / f'{prefix}_r18_synthetic-ytvis_{stage}' /
                    'iter_1.pth').is_file()
    spec = importlib.util.spec_from_file_location('quickstart', REPO / 'tools' / 'quickstart.py')
    quickstart = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(quickstart)
    capsys.readouterr()
    quickstart.make_data(str(tmp_path / 'data'))
    assert 'reusing synthetic data' in capsys.readouterr().out


def test_train_and_evaluate_on_real_davis(real_data_root, tmp_path):
    """Convert real DAVIS sequences to YouTube-VIS, train a few iterations, evaluate locally."""
    davis = real_data_root / 'davis2016_val_subset'
    ann = tmp_path / 'annotations' / 'train.json'
    proc = run_tool([sys.executable, str(REPO / 'tools' / 'convert' / 'davis_to_ytvis.py'),
                     str(davis), str(ann), '--sequences', 'blackswan', 'car-shadow', 'libby',
                     '--max-frames', '4', '--no-progress'])
    assert proc.returncode == 0, proc.stderr[-3000:]
    gt = json.loads(ann.read_text())
    (tmp_path / 'annotations' / 'val.json').write_text(ann.read_text())
    img_root = davis / 'JPEGImages' / '480p'
    opts = tiny_vis_options(tmp_path, iters=2) + [
        f'train_dataloader.dataset.data_prefix.img_path={img_root}',
        f'val_dataloader.dataset.data_prefix.img_path={img_root}',
        f'test_dataloader.dataset.data_prefix.img_path={img_root}',
        f'model.model.track_head.num_classes={len(gt["categories"])}',
        'model.model.track_head.loss_cls.class_weight='
        f'[{",".join(["1.0"] * len(gt["categories"]) + ["0.1"])}]',
    ]
    work = tmp_path / 'work'
    proc = run_tool([sys.executable, str(REPO / 'tools' / 'train.py'),
                     str(REPO / 'configs' / 'vis_synthetic_quickstart.py'), '--work-dir',
                     str(work), '--cfg-options', *opts])
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-5000:]
    assert (work / 'iter_2.pth').is_file()
    # the end-of-training validation scored the 3 real videos with the local AP
    assert re.search(r'Iter\(val\) \[3/3\]\s+ytvis/AP: -?[0-9.]+', out), out[-3000:]
    results = json.loads((work / 'results' / 'val.json').read_text())
    assert {r['video_id'] for r in results} <= {v['id'] for v in gt['videos']}
