"""MVC on mmdet's unmodified panoptic Mask2Former: train on synthetic VIPSeg, score VPQ/STQ."""
import re
import sys

from ..conftest import REPO, run_tool


def test_mvc_panoptic_mask2former_on_synthetic_vipseg(tmp_path):
    from mvc_plugin.datasets.synthetic import SyntheticVideoSpec, write_vipseg
    root = tmp_path / 'vipseg'
    spec = dict(num_videos=2, num_frames=3, height=64, width=96, seed=8)
    write_vipseg(SyntheticVideoSpec(**spec), str(root), split='train', progress=False)
    write_vipseg(SyntheticVideoSpec(**spec, first_index=40), str(root), split='val',
                 progress=False)
    val_json = root / 'panoptic_gt_VIPSeg_val.json'
    opts = [f'{k}.dataset.data_root={root}'
            for k in ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    for k in ('val_evaluator', 'test_evaluator'):
        opts += [f'{k}.ann_file={val_json}', f'{k}.seg_prefix={root / "panomasksRGB"}']
    proc = run_tool([sys.executable, str(REPO / 'tools' / 'train.py'),
                     str(REPO / 'configs' / 'vps_synthetic_quickstart.py'), '--work-dir',
                     str(tmp_path / 'work'), '--cfg-options', *opts, 'train_cfg.max_iters=2',
                     'train_cfg.val_interval=2', 'default_hooks.logger.interval=1'])
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-5000:]
    assert re.search(r'Iter\(train\) \[2/2\].*mvc\.loss_cls', out)
    assert re.search(r'Iter\(val\) \[6/6\]\s+vipseg/VPQ: [0-9.]+.*vipseg/STQ: [0-9.]+', out)
    assert (tmp_path / 'work' / 'results' / 'val' / 'pred.json').is_file()
