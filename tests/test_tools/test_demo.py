"""tools/demo.py on the real 60-frame PUMaVOS clip and on frame folders, with a model trained
briefly here (decoupled segmenter -> tracker, 2 iterations each); bad inputs fail clearly."""
import importlib.util
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


# -- VSS / VPS models: semantic and panoptic outputs ---------------------------------------------
SEG_SPEC = dict(num_videos=1, num_frames=4, height=64, width=96, seed=3)
SEG_FRAMES = 10  # frames of the real clip run through the model (--max-frames)


@pytest.fixture(scope='module', params=['vss', 'vps'])
def seg_ckpt(request, tmp_path_factory):
    """A ``dvis_synthetic_{vss,vps}_segmenter.py`` model trained for 2 iterations on a
    one-video synthetic VSPW / VIPSeg set (val / test pointed at the train split)."""
    from mvc_plugin.datasets.synthetic import SyntheticVideoSpec, write_vipseg, write_vspw
    task = request.param
    root = tmp_path_factory.mktemp(f'{task}_data')
    (write_vspw if task == 'vss' else write_vipseg)(SyntheticVideoSpec(**SEG_SPEC), str(root),
                                                    split='train', progress=False)
    loaders = ('train_dataloader', 'val_dataloader', 'test_dataloader')
    opts = [f'{k}.dataset.data_root={root}' for k in loaders]
    if task == 'vss':
        opts += [f'{k}.dataset.split=train.txt' for k in loaders[1:]]
    else:
        ann = root / 'panoptic_gt_VIPSeg_train.json'
        opts += [f'{k}.dataset.ann_file={ann.name}' for k in loaders[1:]]
        opts += [f'{k}.{key}={value}' for k in ('val_evaluator', 'test_evaluator')
                 for key, value in (('ann_file', ann), ('seg_prefix', root / 'panomasksRGB'))]
    opts += ['train_cfg.max_iters=2', 'train_cfg.val_interval=3',
             'train_dataloader.batch_size=1', 'default_hooks.checkpoint.interval=2']
    work = tmp_path_factory.mktemp(f'{task}_segmenter')
    config = REPO / 'configs' / f'dvis_synthetic_{task}_segmenter.py'
    _ok(run_tool([sys.executable, str(REPO / 'tools' / 'train.py'), str(config), '--work-dir',
                  str(work), '--cfg-options', *opts], env=ENV))
    return task, config, work / 'iter_2.pth'


def _check_semantic(out, frames, num_classes, name='classes.json'):
    """classes.json agrees with the class-id PNGs: per frame the same classes and counts."""
    summary = json.loads((out / name).read_text())
    assert summary['task'] == 'vss' and summary['frames'] == frames
    assert len(summary['class_names']) == num_classes
    names = summary['frame_names']
    assert sorted(p.stem for p in (out / 'masks').glob('*.png')) == sorted(names)
    per_frame = {}
    for entry in summary['classes']:
        assert entry['class_name'] == summary['class_names'][entry['label']]
        for t, count in zip(entry['frames'], entry['pixels'], strict=True):
            per_frame.setdefault(t, {})[entry['label']] = count
    for t, name in enumerate(names):
        mask = np.array(Image.open(out / 'masks' / f'{name}.png'))
        assert mask.dtype == np.uint8 and mask.shape == tuple(summary['size'])
        labels, counts = np.unique(mask, return_counts=True)
        assert labels.max() < num_classes  # every pixel has a class (no "none" in VSS)
        assert dict(zip(labels.tolist(), counts.tolist())) == per_frame[t]
    assert abs(sum(e['share'] for e in summary['classes']) - 1) < 1e-4
    return summary


def _check_panoptic(out, frames, num_classes, num_things, name='segments.json'):
    """segments.json agrees with the VIPSeg RGB id PNGs; ids decode to label / instance."""
    from mvc_plugin.apis.segmentation_demo import decode_panoptic_ids
    from mvc_plugin.evaluation.functional.vipseg_eval import rgb2id
    summary = json.loads((out / name).read_text())
    assert summary['task'] == 'vps' and summary['frames'] == frames
    assert summary['num_thing_classes'] == num_things
    assert len(summary['class_names']) == num_classes
    names = summary['frame_names']
    assert sorted(p.stem for p in (out / 'masks').glob('*.png')) == sorted(names)
    segments = {s['id']: s for s in summary['segments']}
    per_frame = {}
    for seg in segments.values():
        assert seg['isthing'] == (seg['label'] < num_things) == (seg['instance'] > 0)
        assert seg['class_name'] == summary['class_names'][seg['label']]
        assert ('score' in seg) == seg['isthing']
        for t, count in zip(seg['frames'], seg['pixels'], strict=True):
            per_frame.setdefault(t, {})[seg['id']] = count
    for t, name in enumerate(names):
        rgb = np.array(Image.open(out / 'masks' / f'{name}.png'))
        assert rgb.dtype == np.uint8 and rgb.shape == (*summary['size'], 3)
        ids = rgb2id(rgb)
        values, counts = np.unique(ids[ids > 0], return_counts=True)
        assert dict(zip(values.tolist(), counts.tolist())) == per_frame.get(t, {})
        label, instance = decode_panoptic_ids(ids)
        assert ((label == -1) == (ids == 0)).all() and label.max() < num_classes
        for value in values.tolist():
            sel = ids == value
            assert set(np.unique(label[sel]).tolist()) == {segments[value]['label']}
            assert set(np.unique(instance[sel]).tolist()) == {segments[value]['instance']}
    return summary


def test_segmentation_demo_on_real_mp4(real_data_root, seg_ckpt, tmp_path):
    """VSS: class-id PNGs + classes.json; VPS: VIPSeg RGB id PNGs + segments.json (every
    object kept, --score-thr 0, so a briefly trained model still yields segments)."""
    task, config, ckpt = seg_ckpt
    out = _ok(_demo(real_data_root / 'pumavos_chair' / 'chair.mp4', ckpt, tmp_path,
                    '--max-frames', str(SEG_FRAMES), '--score-thr', '0', config=config))
    assert f'demo: {SEG_FRAMES} frames' in out
    video = mmcv.VideoReader(str(tmp_path / 'overlay.mp4'))
    assert (video.frame_cnt, video.width, video.height) == (SEG_FRAMES, 720, 480)
    assert len(list((tmp_path / 'masks').glob('*.png'))) == SEG_FRAMES
    if task == 'vss':
        summary = _check_semantic(tmp_path, SEG_FRAMES, 8)
        assert f'{len(summary["classes"])} classes' in out and summary['classes']
    else:
        summary = _check_panoptic(tmp_path, SEG_FRAMES, 8, 5)
        assert f'{len(summary["segments"])} segments' in out
        assert 'tracks.json' not in out
    # class names come from the training set (checkpoint meta), things first for VPS
    assert summary['class_names'][0] == ('sky' if task == 'vss' else 'circle')
    assert summary['complete'] is True and not (tmp_path / 'tracks.json').exists()


def test_segmentation_demo_partial_outputs(real_data_root, seg_ckpt, tmp_path, capsys):
    """A frame of another size stops the run (exit 2); the frames done are kept and the summary
    is named partial (the segmenter takes 4 frames at a time: the first 4 are written)."""
    task, config, ckpt = seg_ckpt
    frames = tmp_path / 'frames'
    frames.mkdir()
    reader = mmcv.VideoReader(str(real_data_root / 'pumavos_chair' / 'chair.mp4'))
    for i in range(5):
        mmcv.imwrite(mmcv.imresize(reader.get_frame(i), (180, 120)), str(frames / f'{i:02d}.jpg'))
    mmcv.imwrite(mmcv.imresize(reader.get_frame(5), (40, 30)), str(frames / 'zz_small.jpg'))
    # in this process (tools/demo.py's main), which saves a second start of the tool
    spec = importlib.util.spec_from_file_location('demo_tool', REPO / 'tools' / 'demo.py')
    demo_tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo_tool)
    code = demo_tool.main([str(frames), str(config), str(ckpt), '--out',
                           str(tmp_path / 'partial'), '--no-progress'])
    err = capsys.readouterr().err
    assert code == 2 and 'differs from the first frame' in err and 'written so far' in err
    assert len(list((tmp_path / 'partial' / 'masks').glob('*.png'))) == 4
    if task == 'vss':
        summary = _check_semantic(tmp_path / 'partial', 4, 8, 'classes.partial.json')
    else:
        summary = _check_panoptic(tmp_path / 'partial', 4, 8, 5, 'segments.partial.json')
    assert summary['complete'] is False and summary['frame_names'] == ['00', '01', '02', '03']
    assert not (tmp_path / 'partial' / ('classes.json' if task == 'vss' else 'segments.json')
                ).exists()
