"""tools/demo.py on the real 60-frame PUMaVOS clip and on frame folders, with a model trained
briefly here (decoupled segmenter -> tracker, 2 iterations each); bad inputs fail clearly."""
import json
import shutil
import sys

import mmcv
import numpy as np
import pytest
from PIL import Image

from ..conftest import REPO, run_tool, tiny_vis_options

ENV = {'OMP_NUM_THREADS': '1'}
TRACKER_CFG = REPO / 'configs' / 'dvis_synthetic_tracker.py'


def _ok(proc):
    assert proc.returncode == 0, f'{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}'
    return proc.stdout + proc.stderr


@pytest.fixture(scope='module')
def tracker_ckpt(tiny_ytvis, tmp_path_factory):
    seg, trk = tmp_path_factory.mktemp('seg'), tmp_path_factory.mktemp('trk')
    opts = tiny_vis_options(tiny_ytvis, iters=2) + ['train_cfg.val_begin=100']
    _ok(run_tool([sys.executable, str(REPO / 'tools' / 'train.py'),
                  str(REPO / 'configs' / 'dvis_synthetic_segmenter.py'), '--work-dir', str(seg),
                  '--cfg-options', *opts], env=ENV))
    _ok(run_tool([sys.executable, str(REPO / 'tools' / 'train.py'), str(TRACKER_CFG),
                  '--work-dir', str(trk), '--cfg-options', *opts,
                  f'model.model.init_cfg.checkpoint={seg / "iter_2.pth"}'], env=ENV))
    return trk / 'iter_2.pth'


def _demo(video, ckpt, out, *extra, config=TRACKER_CFG):
    return run_tool([sys.executable, str(REPO / 'tools' / 'demo.py'), str(video), str(config),
                     str(ckpt), '--out', str(out), '--no-progress', *extra], env=ENV)


def test_demo_on_real_mp4(real_data_root, tracker_ckpt, tmp_path):
    out = _ok(_demo(real_data_root / 'pumavos_chair' / 'chair.mp4', tracker_ckpt, tmp_path,
                    '--score-thr', '0'))
    assert 'demo: 60 frames' in out
    video = mmcv.VideoReader(str(tmp_path / 'overlay.mp4'))
    assert (video.frame_cnt, video.width, video.height) == (60, 720, 480)
    masks = sorted((tmp_path / 'masks').glob('*.png'))
    assert len(masks) == 60
    assert np.array(Image.open(masks[0])).shape == (480, 720)
    tracks = json.loads((tmp_path / 'tracks.json').read_text())
    assert tracks['frames'] == 60 and tracks['complete'] is True
    for t in tracks['tracks']:
        assert len(t['frames']) == len(t['scores']) and 0 <= min(t['frames']) <= 59


def test_demo_on_frame_folder_and_bad_inputs(tiny_ytvis, tracker_ckpt, tmp_path):
    gt = json.loads((tiny_ytvis / 'annotations' / 'val.json').read_text())
    frames = tmp_path / 'frames'
    frames.mkdir()
    for name in gt['videos'][0]['file_names']:
        shutil.copy(tiny_ytvis / 'val' / 'JPEGImages' / name, frames / name.split('/')[-1])
    out = _ok(_demo(frames, tracker_ckpt, tmp_path / 'o1', '--max-frames', '3'))
    assert 'demo: 3 frames' in out and len(list((tmp_path / 'o1' / 'masks').iterdir())) == 3

    # a frame of another size stops the run; what was written is kept and named partial
    first = sorted(frames.iterdir())[0]
    mmcv.imwrite(mmcv.imresize(mmcv.imread(str(first)), (40, 30)), str(frames / 'zz_small.jpg'))
    proc = _demo(frames, tracker_ckpt, tmp_path / 'o2')
    assert proc.returncode == 2 and 'differs from the first frame' in proc.stderr
    assert (tmp_path / 'o2' / 'tracks.partial.json').is_file()

    proc = _demo(frames, tracker_ckpt, tmp_path / 'o3', '--max-frames', '0')
    assert proc.returncode == 2 and '--max-frames must be >= 1' in proc.stderr
    proc = _demo(tmp_path / 'nothing_here', tracker_ckpt, tmp_path / 'o4')
    assert proc.returncode == 2 and 'no such file or folder' in proc.stderr
    empty = tmp_path / 'empty.mp4'
    empty.write_bytes(b'')
    proc = _demo(empty, tracker_ckpt, tmp_path / 'o5')
    assert proc.returncode == 2 and str(empty) in proc.stderr
    # a checkpoint of another model: the mismatch is reported, not half-loaded
    proc = _demo(frames, tracker_ckpt, tmp_path / 'o6',
                 config=REPO / 'configs' / 'dvis_synthetic_refiner.py')
    assert proc.returncode == 2 and 'does not match' in proc.stderr and 'missing keys' in \
        proc.stderr
