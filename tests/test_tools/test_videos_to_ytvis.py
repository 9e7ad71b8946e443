"""videos -> YouTube-VIS converter: round trip of synthetic frame folders (palette and RGB id
masks) and of an mp4, loading by VideoInstanceDataset, the CLI, and the error messages."""
import importlib.util
import json
from pathlib import Path

import cv2
import mmcv
import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils

from mvc_plugin.datasets import VideoInstanceDataset
from mvc_plugin.datasets.converters import convert_videos_to_ytvis, load_instance_mask
from mvc_plugin.datasets.synthetic import SyntheticVideoSpec, generate_video, thing_class_names

from ..conftest import REPO

SPEC = SyntheticVideoSpec(num_videos=3, num_frames=4, height=40, width=56, seed=5)
NAMES = thing_class_names(SPEC)


def _save_ids(path: Path, ids: np.ndarray, mode: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if mode == 'P':
        img = Image.fromarray(ids.astype(np.uint8), mode='P')
        img.putpalette([c for k in range(256) for c in ((k * 37) % 256, (k * 91) % 256, k)])
    else:  # RGB-encoded ids
        rgb = np.stack([ids % 256, ids // 256 % 256, ids // 65536], -1).astype(np.uint8)
        img = Image.fromarray(rgb, mode='RGB')
    img.save(path)


def _write_video(root: Path, index: int, mode: str = 'P', mp4: bool = False, meta: bool = True):
    """One synthetic video as frames (or an mp4) + id masks + meta.json; returns the video."""
    video = generate_video(SPEC, index)
    vdir = root / video.name
    if mp4:
        root.mkdir(parents=True, exist_ok=True)
        writer = cv2.VideoWriter(str(root / f'{video.name}.mp4'), cv2.VideoWriter_fourcc(*'mp4v'),
                                 10, (SPEC.width, SPEC.height))
        assert writer.isOpened(), 'OpenCV cannot write mp4v here'
        for frame in video.frames:
            writer.write(frame[..., ::-1].copy())
        writer.release()
    else:
        for t, frame in enumerate(video.frames):
            (vdir / 'frames').mkdir(parents=True, exist_ok=True)
            Image.fromarray(frame).save(vdir / 'frames' / f'{t:05d}.png')
    for t in range(video.num_frames):
        _save_ids(vdir / 'masks' / f'{t:05d}.png', video.instance_map[t], mode)
    if meta:
        (vdir / 'meta.json').write_text(json.dumps(
            {str(i + 1): NAMES[k] for i, k in enumerate(video.instance_classes)}))
    return video


def _check_tracks(data: dict, videos: dict, default: str = None) -> None:
    cats = {c['id']: c['name'] for c in data['categories']}
    assert [c['name'] for c in data['categories']] == sorted(cats.values())
    assert sorted(cats) == list(range(1, len(cats) + 1))
    by_video = {v['id']: v for v in data['videos']}
    seen = {name: 0 for name in videos}
    for ann in data['annotations']:
        entry = by_video[ann['video_id']]
        video = videos[entry['name']]
        seen[entry['name']] += 1
        track = seen[entry['name']]  # annotations follow the instance ids 1..N
        expected = default or NAMES[video.instance_classes[track - 1]]
        assert cats[ann['category_id']] == expected
        for t, seg in enumerate(ann['segmentations']):
            truth = video.instance_map[t] == track
            if not truth.any():
                assert seg is None and ann['areas'][t] is None and ann['bboxes'][t] is None
                continue
            assert isinstance(seg['counts'], str) and seg['size'] == [SPEC.height, SPEC.width]
            assert np.array_equal(mask_utils.decode(seg).astype(bool), truth)
            assert ann['areas'][t] == int(truth.sum())
            ys, xs = np.nonzero(truth)
            assert ann['bboxes'][t] == [xs.min(), ys.min(), xs.max() - xs.min() + 1,
                                        ys.max() - ys.min() + 1]
    assert all(seen[n] == v.num_instances for n, v in videos.items())


@pytest.mark.parametrize('mode', ['P', 'RGB'])
def test_frame_folders_round_trip(tmp_path, mode):
    src, out = tmp_path / 'src', tmp_path / 'out'
    videos = {v.name: v for v in (_write_video(src, i, mode) for i in range(SPEC.num_videos))}
    data = convert_videos_to_ytvis(src, out, split='train', progress=False)
    assert json.loads((out / 'annotations' / 'train.json').read_text()) == data
    assert [v['name'] for v in data['videos']] == sorted(videos)
    for entry in data['videos']:
        assert (entry['width'], entry['height'], entry['length']) == (SPEC.width, SPEC.height,
                                                                      SPEC.num_frames)
        assert entry['file_names'][0] == f'{entry["name"]}/00000.png'
        copied = out / 'train' / 'JPEGImages' / entry['file_names'][-1]
        assert copied.read_bytes() == (src / entry['name'] / 'frames' / '00003.png').read_bytes()
    _check_tracks(data, videos)

    dataset = VideoInstanceDataset(data_root=str(out), ann_file='annotations/train.json',
                                   data_prefix=dict(img_path='train/JPEGImages'), pipeline=[])
    assert len(dataset) == SPEC.num_videos
    assert dataset.metainfo['classes'] == tuple(c['name'] for c in data['categories'])


def test_mp4_round_trip_and_default_class(tmp_path):
    src, out = tmp_path / 'src', tmp_path / 'out'
    video = _write_video(src, 0, mp4=True, meta=False)
    assert mmcv.VideoReader(str(src / f'{video.name}.mp4')).frame_cnt == SPEC.num_frames
    data = convert_videos_to_ytvis(src, out, split='val', progress=False)
    entry, = data['videos']
    assert entry['length'] == SPEC.num_frames == len(entry['file_names'])
    frames = sorted((out / 'val' / 'JPEGImages' / video.name).glob('*.jpg'))
    assert [f.name for f in frames] == [f'{t:05d}.jpg' for t in range(SPEC.num_frames)]
    assert mmcv.imread(str(frames[0])).shape == (SPEC.height, SPEC.width, 3)
    assert [c['name'] for c in data['categories']] == ['object']
    _check_tracks(data, {video.name: video}, default='object')


def test_fixed_class_list_and_cli(tmp_path, capsys):
    src = tmp_path / 'src'
    _write_video(src, 0)
    spec = importlib.util.spec_from_file_location(
        'videos_to_ytvis', REPO / 'tools' / 'convert' / 'videos_to_ytvis.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    classes = ['zebra', *NAMES]
    assert tool.main([str(src), str(tmp_path / 'out'), '--split', 'val', '--no-progress',
                      '--classes', *classes]) == 0
    assert 'wrote' in capsys.readouterr().out
    data = json.loads((tmp_path / 'out' / 'annotations' / 'val.json').read_text())
    assert [c['name'] for c in data['categories']] == sorted(classes)
    assert tool.main([str(src), str(tmp_path / 'out2'), '--no-progress',
                      '--classes', 'zebra']) == 2
    assert 'not in the given class list' in capsys.readouterr().err


def test_load_instance_mask_modes(tmp_path):
    ids = np.array([[0, 1], [2, 300]])
    _save_ids(tmp_path / 'rgb.png', ids, 'RGB')
    assert np.array_equal(load_instance_mask(tmp_path / 'rgb.png'), ids)
    Image.fromarray(np.array([[0, 5]], np.uint8), mode='L').save(tmp_path / 'l.png')
    assert load_instance_mask(tmp_path / 'l.png').tolist() == [[0, 5]]
    Image.fromarray(np.zeros((2, 2, 4), np.uint8), mode='RGBA').save(tmp_path / 'a.png')
    with pytest.raises(ValueError, match='a.png: RGBA mask with transparent pixels'):
        load_instance_mask(tmp_path / 'a.png')


def test_clear_errors(tmp_path):
    src = tmp_path / 'src'
    with pytest.raises(FileNotFoundError, match='source folder not found'):
        convert_videos_to_ytvis(src, tmp_path / 'o', progress=False)
    src.mkdir()
    with pytest.raises(ValueError, match='no videos under'):
        convert_videos_to_ytvis(src, tmp_path / 'o', progress=False)

    video = _write_video(src, 0)
    masks = src / video.name / 'masks'
    # a frame count mismatch names the frame without a mask
    (masks / '00002.png').unlink()
    with pytest.raises(ValueError, match=r"frame count mismatch.*\['00002.png'\]"):
        convert_videos_to_ytvis(src, tmp_path / 'o', progress=False)
    # a mask of the wrong size names the mask file
    _save_ids(masks / '00002.png', np.zeros((SPEC.height + 1, SPEC.width), int), 'P')
    with pytest.raises(ValueError, match=r'00002.png: mask size 56x41 differs from its frame'):
        convert_videos_to_ytvis(src, tmp_path / 'o', progress=False)
    # a bad meta.json
    _save_ids(masks / '00002.png', video.instance_map[2], 'P')
    (src / video.name / 'meta.json').write_text('{"one": "dog"}')
    with pytest.raises(ValueError, match='meta.json: expected'):
        convert_videos_to_ytvis(src, tmp_path / 'o', progress=False)
    # a video without masks
    (src / 'vid_x' / 'frames').mkdir(parents=True)
    (src / video.name / 'meta.json').unlink()
    with pytest.raises(FileNotFoundError, match=r"video 'vid_x' has no masks: .*vid_x/masks"):
        convert_videos_to_ytvis(src, tmp_path / 'o', progress=False)


def test_mp4_frame_count_mismatch(tmp_path):
    src = tmp_path / 'src'
    video = _write_video(src, 1, mp4=True)
    (src / video.name / 'masks' / '00003.png').unlink()
    with pytest.raises(ValueError, match=rf'frame count mismatch, .*{video.name}.mp4 has '
                                         rf'{SPEC.num_frames} frames but .* has 3 masks'):
        convert_videos_to_ytvis(src, tmp_path / 'out', progress=False)
