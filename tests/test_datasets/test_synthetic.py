"""Synthetic video generator: determinism, scene properties and the three on-disk formats."""
import importlib.util
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pycocotools.mask as mask_utils
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from mvc_plugin.datasets.synthetic import (OTHERS, SUPPORTED_FORMATS, SyntheticVideoSpec,
                                           class_names, generate_video, iter_videos,
                                           semantic_map, stuff_class_names, thing_class_names,
                                           thing_class_probabilities, write_dataset,
                                           write_vipseg, write_vspw, write_ytvis)
from mvc_plugin.datasets.synthetic_writers import THING_ID_BASE

REPO = Path(__file__).resolve().parents[2]
TINY = dict(num_videos=2, num_frames=4, height=32, width=40, seed=3)


def _tree_bytes(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob('*')) if p.is_file()}


def _assert_videos_equal(a, b):
    assert a.name == b.name
    for field in ('frames', 'instance_map', 'instance_classes', 'stuff_map', 'amodal_masks',
                  'depth'):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)


def _check_ground_truth(video, spec):
    T, H, W = spec.num_frames, spec.height, spec.width
    N = video.num_instances
    assert video.frames.shape == (T, H, W, 3) and video.frames.dtype == np.uint8
    assert video.instance_map.shape == video.stuff_map.shape == (T, H, W)
    assert video.amodal_masks.shape == (T, N, H, W) and video.amodal_masks.dtype == bool
    assert set(np.unique(video.instance_map)) - {0} == set(range(1, N + 1))
    assert ((video.instance_classes >= 0) & (video.instance_classes < spec.num_thing_classes)).all()
    assert len(set(video.depth.tolist())) == N
    assert set(np.unique(video.stuff_map)) <= {OTHERS, *range(spec.num_stuff_classes)}
    # visible masks are exactly the amodal masks painted back to front (depth order)
    expected = np.zeros_like(video.instance_map)
    for i in np.argsort(video.depth):
        expected[video.amodal_masks[:, i]] = i + 1
    np.testing.assert_array_equal(video.instance_map, expected)
    assert (video.visible_areas() <= video.amodal_areas()).all()
    labels = semantic_map(video, spec)
    assert labels.max() <= spec.num_stuff_classes + spec.num_thing_classes
    assert ((labels > spec.num_stuff_classes) == (video.instance_map > 0)).all()


def test_generate_video_is_deterministic_and_per_video():
    spec = SyntheticVideoSpec(**TINY)
    a = generate_video(spec, 1)
    _assert_videos_equal(a, generate_video(spec, 1))
    # independent of how many videos are generated, and first_index shifts the numbering
    _assert_videos_equal(a, generate_video(SyntheticVideoSpec(**{**TINY, 'num_videos': 7}), 1))
    shifted = generate_video(SyntheticVideoSpec(**{**TINY, 'first_index': 1}), 0)
    assert shifted.name == a.name == 'vid_00001'
    np.testing.assert_array_equal(shifted.frames, a.frames)
    other = generate_video(SyntheticVideoSpec(**{**TINY, 'seed': 4}), 1)
    assert not np.array_equal(other.frames, a.frames)
    assert not np.array_equal(generate_video(spec, 0).frames, a.frames)


def test_ground_truth_is_consistent():
    spec = SyntheticVideoSpec(**{**TINY, 'num_videos': 4, 'objects_per_video': (3, 5)})
    for video in iter_videos(spec):
        _check_ground_truth(video, spec)


@settings(max_examples=15, deadline=None)
@given(hw=st.tuples(st.integers(16, 40), st.integers(16, 40)), frames=st.integers(1, 4),
       things=st.integers(1, 12), stuff=st.integers(1, 7), lo=st.integers(0, 3),
       extra=st.integers(0, 3), seed=st.integers(0, 2**32), index=st.integers(0, 2))
def test_ground_truth_properties(hw, frames, things, stuff, lo, extra, seed, index):
    spec = SyntheticVideoSpec(num_videos=3, num_frames=frames, height=hw[0], width=hw[1],
                              num_thing_classes=things, num_stuff_classes=stuff,
                              objects_per_video=(lo, lo + extra), seed=seed, others_prob=0.5)
    video = generate_video(spec, index)
    _check_ground_truth(video, spec)
    assert video.num_instances <= lo + extra


def test_default_set_has_occlusion_and_entering_leaving():
    spec = SyntheticVideoSpec()
    occluded = entering_leaving = 0
    for video in iter_videos(spec):
        vis, amodal = video.visible_areas(), video.amodal_areas()
        for t, i in zip(*np.nonzero(vis < amodal)):
            hidden = video.amodal_masks[t, i] & (video.instance_map[t] != i + 1)
            covering = video.instance_map[t][hidden]
            assert ((covering > 0) & (covering != i + 1)).all()  # hidden by other instances
            occluded += bool(vis[t, i] > 0)
        present = vis > 0
        # absent (entirely outside the image) in some frames, present in others
        entering_leaving += int(((amodal == 0).any(0) & present.any(0)).sum())
        assert present.any(0).all()
    assert occluded >= 1
    assert entering_leaving >= 1


def test_class_distribution_is_skewed():
    spec = SyntheticVideoSpec(num_videos=60, num_frames=2, height=24, width=32, seed=0)
    counts = Counter(int(k) for v in iter_videos(spec) for k in v.instance_classes)
    per_class = [counts[k] for k in range(spec.num_thing_classes)]
    assert per_class[0] == max(per_class)
    assert max(per_class) >= 2 * min(per_class) and max(per_class) >= 10
    probs = thing_class_probabilities(spec)
    assert np.isclose(probs.sum(), 1.0) and (np.diff(probs) < 0).all()
    uniform = thing_class_probabilities(SyntheticVideoSpec(class_skew=0))
    np.testing.assert_allclose(uniform, 1 / 5)


def test_class_names():
    spec = SyntheticVideoSpec(num_thing_classes=11, num_stuff_classes=8)
    things, stuff = thing_class_names(spec), stuff_class_names(spec)
    assert things[:5] == ['circle', 'square', 'triangle', 'ellipse', 'diamond']
    assert stuff[:3] == ['sky', 'wall', 'ground']
    assert len(set(things)) == 11 and len(set(stuff)) == 8
    assert class_names(spec) == stuff + things


def test_ytvis_files_are_deterministic(tmp_path):
    spec = SyntheticVideoSpec(**TINY)
    write_ytvis(spec, tmp_path / 'a', progress=False)
    write_ytvis(spec, tmp_path / 'b', progress=False)
    a, b = _tree_bytes(tmp_path / 'a'), _tree_bytes(tmp_path / 'b')
    assert len(a) == 1 + TINY['num_videos'] * TINY['num_frames']
    assert a == b
    write_ytvis(SyntheticVideoSpec(**{**TINY, 'seed': 4}), tmp_path / 'c', progress=False)
    c = _tree_bytes(tmp_path / 'c')
    assert c['annotations/train.json'] != a['annotations/train.json']


def test_ytvis_schema_and_masks(tmp_path):
    spec = SyntheticVideoSpec(**TINY)
    H, W, T = spec.height, spec.width, spec.num_frames
    path = write_ytvis(spec, tmp_path, split='valid', progress=False)
    assert path == str(tmp_path / 'annotations' / 'valid.json')
    gt = json.loads(Path(path).read_text())
    assert set(gt) == {'info', 'licenses', 'videos', 'annotations', 'categories'}
    assert gt['categories'] == [dict(id=k + 1, name=n, supercategory='object')
                                for k, n in enumerate(thing_class_names(spec))]
    videos = [generate_video(spec, i) for i in range(spec.num_videos)]
    assert [v['id'] for v in gt['videos']] == [1, 2]
    for entry, video in zip(gt['videos'], videos):
        assert (entry['width'], entry['height'], entry['length']) == (W, H, T)
        assert entry['file_names'] == [f'{video.name}/{t:05d}.jpg' for t in range(T)]
        for t, name in enumerate(entry['file_names']):
            with Image.open(tmp_path / 'valid' / 'JPEGImages' / name) as img:
                assert (img.size, img.mode, img.format) == ((W, H), 'RGB', 'JPEG')
                diff = np.abs(np.asarray(img, np.int16) - video.frames[t].astype(np.int16))
                assert diff.mean() < 8  # the JPEG really holds the rendered frame
    anns = gt['annotations']
    assert [a['id'] for a in anns] == list(range(1, len(anns) + 1))
    assert len(anns) == sum(v.num_instances for v in videos)
    by_video = Counter(a['video_id'] for a in anns)
    for ann in anns:
        video = videos[ann['video_id'] - 1]
        inst = ann['id'] - sum(by_video[v] for v in range(1, ann['video_id']))
        assert ann['category_id'] == video.instance_classes[inst - 1] + 1
        assert (ann['iscrowd'], ann['height'], ann['width'], ann['length']) == (0, H, W, 1)
        assert len(ann['segmentations']) == len(ann['areas']) == len(ann['bboxes']) == T
        assert any(s is not None for s in ann['segmentations'])
        for t, (rle, area, box) in enumerate(zip(ann['segmentations'], ann['areas'],
                                                 ann['bboxes'])):
            expected = video.instance_map[t] == inst
            if rle is None:
                assert area is None and box is None and not expected.any()
                continue
            assert isinstance(rle['counts'], str) and rle['size'] == [H, W]
            mask = mask_utils.decode({'size': rle['size'], 'counts': rle['counts'].encode()})
            assert mask.shape == (H, W)
            np.testing.assert_array_equal(mask.astype(bool), expected)
            assert area == int(mask.sum()) > 0
            rows, cols = np.nonzero(mask)
            assert box == [cols.min(), rows.min(), cols.max() - cols.min() + 1,
                           rows.max() - rows.min() + 1]


def test_vspw_layout_and_labels(tmp_path):
    spec = SyntheticVideoSpec(**{**TINY, 'others_prob': 1.0})
    C = spec.num_stuff_classes + spec.num_thing_classes
    root = Path(write_vspw(spec, tmp_path, split='val', progress=False))
    assert root == tmp_path
    names = [f'vid_{i:05d}' for i in range(spec.num_videos)]
    assert (root / 'val.txt').read_text().split() == names
    label_dic = json.loads((root / 'label_num_dic_final.json').read_text())
    assert label_dic == {'others': 0, **{n: i + 1 for i, n in enumerate(class_names(spec))}}
    seen = set()
    for i, name in enumerate(names):
        labels = semantic_map(generate_video(spec, i), spec)
        for t in range(spec.num_frames):
            with Image.open(root / 'data' / name / 'origin' / f'{t:05d}.jpg') as img:
                assert img.size == (spec.width, spec.height)
            with Image.open(root / 'data' / name / 'mask' / f'{t:05d}.png') as img:
                assert img.mode == 'L' and img.size == (spec.width, spec.height)
                mask = np.asarray(img)
            assert set(np.unique(mask)) <= set(range(C + 1)) | {255}
            np.testing.assert_array_equal(mask, labels[t])
            seen |= set(np.unique(mask).tolist())
    assert 0 in seen  # the "others" label is exercised
    assert any(v > spec.num_stuff_classes for v in seen) and 1 <= min(seen - {0})


def test_vipseg_panoptic_consistency(tmp_path):
    spec = SyntheticVideoSpec(**{**TINY, 'others_prob': 1.0, 'num_frames': 5})
    S = spec.num_stuff_classes
    path = write_vipseg(spec, tmp_path, progress=False)
    assert path == str(tmp_path / 'panoptic_gt_VIPSeg_train.json')
    gt = json.loads(Path(path).read_text())
    cats = {c['id']: c for c in gt['categories']}
    assert [c['name'] for c in gt['categories']] == class_names(spec)
    assert sorted(cats) == list(range(1, len(class_names(spec)) + 1))
    assert all(c['isthing'] == int(c['id'] > S) and len(c['color']) == 3 for c in cats.values())
    assert (tmp_path / 'train.txt').read_text().split() == [v['video_id'] for v in gt['videos']]
    saw_void = False
    for i, (vid, ann) in enumerate(zip(gt['videos'], gt['annotations'])):
        video = generate_video(spec, i)
        assert vid['video_id'] == ann['video_id'] == video.name
        thing_ids = {}
        for t, (img, frame) in enumerate(zip(vid['images'], ann['annotations'])):
            stem = f'{t:05d}'
            # as the official conversion: the image entry names the mask PNG
            assert img == dict(id=stem, file_name=f'{stem}.png', width=spec.width,
                               height=spec.height)
            assert (frame['image_id'], frame['file_name']) == (stem, f'{stem}.png')
            assert (tmp_path / 'images' / video.name / f'{stem}.jpg').is_file()
            with Image.open(tmp_path / 'panomasksRGB' / video.name / f'{stem}.png') as png:
                assert png.mode == 'RGB'
                rgb = np.asarray(png).astype(np.int64)
            ids = rgb[..., 0] + 256 * rgb[..., 1] + 256**2 * rgb[..., 2]
            saw_void |= bool((ids == 0).any())
            segs = frame['segments_info']
            seg_ids = [s['id'] for s in segs]
            assert len(seg_ids) == len(set(seg_ids))
            assert set(seg_ids) == set(np.unique(ids).tolist()) - {0}
            for seg in segs:
                m = ids == seg['id']
                rows, cols = np.nonzero(m)
                assert seg['area'] == int(m.sum()) and seg['iscrowd'] == 0
                assert seg['bbox'] == [cols.min(), rows.min(), cols.max() - cols.min() + 1,
                                       rows.max() - rows.min() + 1]
                is_thing = cats[seg['category_id']]['isthing'] == 1
                assert is_thing == (seg['id'] >= THING_ID_BASE)
                if is_thing:  # the same instance keeps its id in every frame
                    inst = seg['id'] % THING_ID_BASE
                    np.testing.assert_array_equal(m, video.instance_map[t] == inst)
                    assert seg['category_id'] == S + 1 + video.instance_classes[inst - 1]
                    assert thing_ids.setdefault(inst, seg['id']) == seg['id']
                else:
                    np.testing.assert_array_equal(
                        m, (video.instance_map[t] == 0) & (video.stuff_map[t] + 1 == seg['id']))
        assert len(thing_ids) == video.num_instances
    assert saw_void


@pytest.mark.parametrize('kwargs, name', [
    (dict(num_frames=0), 'num_frames'), (dict(num_frames=2.5), 'num_frames'),
    (dict(num_videos=0), 'num_videos'), (dict(height=8), 'height'), (dict(width=3), 'width'),
    (dict(objects_per_video=(4, 2)), 'objects_per_video'),
    (dict(objects_per_video=(1,)), 'objects_per_video'),
    (dict(object_size=(0.5, 0.2)), 'object_size'), (dict(object_size=(0.0, 0.2)), 'object_size'),
    (dict(speed_range=(1.0, 0.5)), 'speed_range'), (dict(num_thing_classes=0), 'num_thing_classes'),
    (dict(num_stuff_classes=200, num_thing_classes=100), 'num_thing_classes'),
    (dict(class_skew=-1), 'class_skew'), (dict(class_skew=float('nan')), 'class_skew'),
    (dict(others_prob=1.5), 'others_prob'), (dict(seed=-1), 'seed'),
    (dict(first_index=-2), 'first_index'),
])
def test_bad_spec_raises(kwargs, name):
    with pytest.raises(ValueError, match=name):
        SyntheticVideoSpec(**kwargs)


def test_bad_calls_raise(tmp_path):
    spec = SyntheticVideoSpec(**TINY)
    with pytest.raises(ValueError, match='index'):
        generate_video(spec, spec.num_videos)
    with pytest.raises(ValueError, match='format'):
        write_dataset('coco', spec, tmp_path)
    with pytest.raises(ValueError, match='split'):
        write_ytvis(spec, tmp_path, split='a/b', progress=False)
    module_spec = importlib.util.spec_from_file_location('make_synthetic',
                                                         REPO / 'tools' / 'make_synthetic.py')
    cli = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(cli)
    with pytest.raises(ValueError, match='format'):
        cli.main(['coco', str(tmp_path / 'x')])
    with pytest.raises(ValueError, match='objects_per_video'):
        cli.main(['vspw', str(tmp_path / 'x'), '--objects', '3', '1'])
    assert not (tmp_path / 'x').exists()


def _run_cli(args, cwd):
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    return subprocess.run([sys.executable, str(REPO / 'tools' / 'make_synthetic.py'), *args],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize('fmt, written', [
    ('ytvis', ['annotations/val.json', 'val/JPEGImages/vid_00001/00002.jpg']),
    ('vspw', ['val.txt', 'label_num_dic_final.json', 'data/vid_00001/mask/00002.png']),
    ('vipseg', ['panoptic_gt_VIPSeg_val.json', 'val.txt', 'panomasksRGB/vid_00001/00002.png']),
])
def test_cli_writes_each_format(tmp_path, fmt, written):
    assert fmt in SUPPORTED_FORMATS
    out = tmp_path / 'out'
    proc = _run_cli([fmt, str(out), '--num-videos', '2', '--num-frames', '3', '--size', '24',
                     '32', '--seed', '5', '--split', 'val'], cwd=tmp_path)  # cwd outside repo
    assert proc.returncode == 0, proc.stderr
    for rel in written:
        assert (out / rel).is_file(), rel
    assert 'videos: 2' in proc.stdout and 'frames: 6' in proc.stdout
    assert 'circle' in proc.stdout and str(out.resolve()) in proc.stdout
    assert '2/2' in proc.stderr  # tqdm progress bar over videos
    # the same arguments through the library give identical files
    spec = SyntheticVideoSpec(num_videos=2, num_frames=3, height=24, width=32, seed=5)
    write_dataset(fmt, spec, tmp_path / 'lib', split='val', progress=False)
    assert _tree_bytes(out) == _tree_bytes(tmp_path / 'lib')


def test_cli_rejects_unknown_format(tmp_path):
    proc = _run_cli(['coco', str(tmp_path / 'out')], cwd=tmp_path)
    assert proc.returncode == 2
    assert 'format' in proc.stderr and 'ytvis' in proc.stderr


@pytest.mark.parametrize('visible, amodal, label', [
    (100, 100, 'no_occlusion'), (99, 100, 'slight_occlusion'), (50, 100, 'slight_occlusion'),
    (49, 100, 'severe_occlusion'), (1, 100, 'severe_occlusion'), (0, 100, None), (5, 0, None)])
def test_occlusion_label_thresholds(visible, amodal, label):
    from mvc_plugin.datasets.synthetic_writers import occlusion_label
    assert occlusion_label(visible, amodal) == label


def test_ytvis_occlusion_labels_follow_the_scene(tmp_path):
    from mvc_plugin.datasets.synthetic import generate_video
    from mvc_plugin.datasets.synthetic_writers import occlusion_label
    spec = SyntheticVideoSpec(num_videos=3, num_frames=6, objects_per_video=(4, 6),
                              object_size=(0.35, 0.6), seed=4)
    plain = json.loads(Path(write_ytvis(spec, tmp_path / 'a', progress=False)).read_text())
    data = json.loads(Path(write_ytvis(spec, tmp_path / 'b', progress=False,
                                       occlusion=True)).read_text())
    assert all('occlusion' not in a for a in plain['annotations'])  # opt-in
    seen = Counter()
    for ann in data['annotations']:
        video = generate_video(spec, ann['video_id'] - 1)
        i = [a['id'] for a in data['annotations']
             if a['video_id'] == ann['video_id']].index(ann['id'])
        visible, amodal = video.visible_areas()[:, i], video.amodal_areas()[:, i]
        assert len(ann['occlusion']) == spec.num_frames
        for t, label in enumerate(ann['occlusion']):
            assert (label is None) == (ann['segmentations'][t] is None)
            assert label == occlusion_label(int(visible[t]), int(amodal[t]))
            seen[label] += 1
        ann.pop('occlusion')
    assert data == plain  # nothing else changes
    assert seen['slight_occlusion'] and seen['severe_occlusion'] and seen['no_occlusion']
