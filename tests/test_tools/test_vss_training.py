"""MVC on mmseg's unmodified Mask2Former: train a few iterations on synthetic VSPW and on CamVid."""
import re
import sys

import pytest

from ..conftest import REPO, run_tool

SHORT = ['train_cfg.max_iters=2', 'train_cfg.val_interval=2', 'default_hooks.logger.interval=1',
         'default_hooks.checkpoint.interval=2', 'param_scheduler.0.end=2']


def _train(config, data_root, work):
    opts = [f'{k}.dataset.data_root={data_root}'
            for k in ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    proc = run_tool([sys.executable, str(REPO / 'tools' / 'train.py'),
                     str(REPO / 'configs' / config), '--work-dir', str(work), '--cfg-options',
                     *opts, *SHORT])
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-5000:]
    return out


@pytest.fixture(scope='module')
def tiny_vspw(tmp_path_factory):
    from mvc_plugin.datasets.synthetic import SyntheticVideoSpec, write_vspw
    root = tmp_path_factory.mktemp('tiny_vspw')
    spec = dict(num_videos=2, num_frames=3, height=96, width=128, seed=2)
    write_vspw(SyntheticVideoSpec(**spec), str(root), split='train', progress=False)
    val_spec = dict(spec, num_frames=10)  # long enough for 2 windows of 8 frames
    write_vspw(SyntheticVideoSpec(**val_spec, first_index=50), str(root), split='val',
               progress=False)
    return root


def test_mvc_mask2former_on_synthetic_vspw(tiny_vspw, tmp_path):
    out = _train('vss_synthetic_quickstart.py', tiny_vspw, tmp_path)
    assert re.search(r'Iter\(train\) \[2/2\].* decode\.loss_cls: [0-9.]+ .*mvc\.decode\.loss_cls', out)
    # VSPWMetric: mIoU over all frames, VC8 over 2 windows per video, no 16-frame window
    assert re.search(r'Iter\(val\) \[20/20\]\s+vspw/mIoU: [0-9.]+\s+vspw/VC8: [0-9.]+\s+'
                     r'vspw/VC16: -1\.0', out), out[-2000:]
    assert (tmp_path / 'iter_2.pth').is_file()


def test_mvc_mask2former_on_real_camvid(real_data_root, tmp_path):
    out = _train('vss_camvid_quickstart.py', real_data_root / 'camvid_seq05vd', tmp_path)
    assert re.search(r'Iter\(train\) \[2/2\].*mvc\.decode\.loss_mask', out)
    assert re.search(r'Iter\(val\) \[15/15\]\s+aAcc: [0-9.]+\s+mIoU: [0-9.]+', out)
