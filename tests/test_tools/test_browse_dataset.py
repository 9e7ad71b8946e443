"""tools/browse_dataset.py and mvc_plugin.visualization: PNG rows of annotated frames for video
instance (YouTube-VIS), semantic (VSPW) and panoptic (VIPSeg) synthetic sets; clear errors."""
import importlib.util
import json
import re
import sys

import mmcv
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData

from mvc_plugin.datasets.synthetic import SyntheticVideoSpec, write_vipseg, write_vspw
from mvc_plugin.visualization import (VideoTrackVisualizer, browse_dataset, pick_frames,
                                      track_colour)

from ..conftest import REPO, TINY_YTVIS, run_tool

CONFIGS = REPO / 'configs'
SPEC = SyntheticVideoSpec(num_videos=3, num_frames=5, height=48, width=64, seed=3)


def _row_shape(num_frames: int, height: int, width: int) -> tuple:
    return height + 18, num_frames * width + 4 * (num_frames - 1), 3  # header, 4 px gaps


def test_cli_renders_ytvis_rows(tiny_ytvis, tmp_path):
    out = tmp_path / 'browse'
    proc = run_tool([sys.executable, str(REPO / 'tools' / 'browse_dataset.py'),
                     str(CONFIGS / 'vis_synthetic_quickstart.py'), '--split', 'val',
                     '--num-videos', '5', '--frames', '3', '--out', str(out), '--no-progress',
                     '--cfg-options', f'val_dataloader.dataset.data_root={tiny_ytvis}'],
                    timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    pngs = sorted(out.glob('*.png'))
    assert [p.name for p in pngs] == ['val_000_vid_00100.png', 'val_001_vid_00101.png']
    assert re.search(r'wrote 2 images', proc.stdout)
    image = mmcv.imread(str(pngs[0]))
    assert image.shape == _row_shape(3, TINY_YTVIS['height'], TINY_YTVIS['width'])


def test_ytvis_train_split_and_frame_count(tiny_ytvis, tmp_path):
    paths = browse_dataset(str(CONFIGS / 'vis_synthetic_quickstart.py'), str(tmp_path), 'train',
                           num_videos=3, num_frames=10, progress=False,
                           cfg_options={'train_dataloader.dataset.data_root': str(tiny_ytvis)})
    assert len(paths) == 3
    # 10 frames asked, the videos have 4: the whole video
    shape = _row_shape(TINY_YTVIS['num_frames'], TINY_YTVIS['height'], TINY_YTVIS['width'])
    assert all(mmcv.imread(p).shape == shape for p in paths)


@pytest.fixture(scope='module')
def synthetic_vspw(tmp_path_factory):
    root = tmp_path_factory.mktemp('vspw')
    write_vspw(SPEC, str(root), 'train', progress=False)
    return root


def test_vspw_rows_with_seg_visualizer(synthetic_vspw, tmp_path):
    paths = browse_dataset(str(CONFIGS / 'vss_synthetic_quickstart.py'), str(tmp_path), 'train',
                           num_videos=2, num_frames=3, progress=False,
                           cfg_options={'train_dataloader.dataset.data_root': str(synthetic_vspw)})
    assert [p.rsplit('/', 1)[1] for p in paths] == ['train_000_vid_00000.png',
                                                    'train_001_vid_00001.png']
    image = mmcv.imread(paths[0])
    assert image.shape == _row_shape(3, SPEC.height, SPEC.width)
    # the first frame is drawn over (not the raw frame): compare with the source jpg
    raw = mmcv.imread(str(synthetic_vspw / 'data' / 'vid_00000' / 'origin' / '00000.jpg'))
    assert np.abs(image[18:18 + SPEC.height, :SPEC.width].astype(int) - raw).mean() > 5


def test_vipseg_rows(tmp_path):
    root = tmp_path / 'vipseg'
    write_vipseg(SPEC, str(root), 'train', progress=False)
    paths = browse_dataset(str(CONFIGS / 'vps_synthetic_quickstart.py'), str(tmp_path / 'out'),
                           'train', num_videos=5, num_frames=2, progress=False,
                           cfg_options={'train_dataloader.dataset.data_root': str(root)})
    assert len(paths) == SPEC.num_videos
    assert mmcv.imread(paths[0]).shape == _row_shape(2, SPEC.height, SPEC.width)


def test_bad_split_and_counts_raise(tmp_path, capsys):
    cfg = str(CONFIGS / 'vis_synthetic_quickstart.py')
    with pytest.raises(ValueError, match='split must be one of train, val, test'):
        browse_dataset(cfg, str(tmp_path), 'valid')
    with pytest.raises(ValueError, match='num_frames must be a positive integer'):
        browse_dataset(cfg, str(tmp_path), 'train', num_frames=0)
    spec = importlib.util.spec_from_file_location('browse_tool',
                                                  REPO / 'tools' / 'browse_dataset.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    with pytest.raises(SystemExit) as exc:
        tool.parse_args([cfg, '--split', 'valid'])
    assert exc.value.code == 2 and "invalid choice: 'valid'" in capsys.readouterr().err


def test_empty_dataset_raises(tmp_path):
    (tmp_path / 'annotations').mkdir()
    (tmp_path / 'train' / 'JPEGImages').mkdir(parents=True)
    (tmp_path / 'annotations' / 'train.json').write_text(json.dumps(
        dict(videos=[], annotations=[], categories=[dict(id=1, name='circle')])))
    with pytest.raises(ValueError, match=r'the train dataset \(VideoInstanceDataset.*is empty'):
        browse_dataset(str(CONFIGS / 'vis_synthetic_quickstart.py'), str(tmp_path / 'out'),
                       cfg_options={'train_dataloader.dataset.data_root': str(tmp_path)})


def test_pick_frames():
    assert pick_frames(3, 5) == [0, 1, 2]
    assert pick_frames(10, 4) == [0, 3, 6, 9]
    assert pick_frames(10, 1) == [0]


def test_track_colour_is_stable_per_id():
    """The same track id is drawn in the same colour, whatever else is in the frame."""
    vis = VideoTrackVisualizer.get_instance('test_track_colour')
    vis.dataset_meta = dict(classes=('a', 'b'))
    image = np.zeros((40, 60, 3), np.uint8)

    def draw(ids):
        masks = np.zeros((len(ids), 40, 60), bool)
        for k in range(len(ids)):
            masks[k, 5:15, 5 + 20 * k:15 + 20 * k] = True
        inst = InstanceData(masks=masks, labels=torch.zeros(len(ids), dtype=torch.long),
                            instances_id=torch.tensor(ids))
        return vis._draw_instances(image, inst)

    alone, with_other = draw([7]), draw([7, 3])
    assert np.array_equal(alone[12, 12], with_other[12, 12])  # inside the id-7 mask
    assert not np.array_equal(with_other[12, 12], with_other[12, 32])  # id 3 differs
    assert len({track_colour(i) for i in range(1, 30)}) == 29
