"""VideoInstanceDataset reads the official YouTube-VIS JSON and rejects bad input clearly."""
import json
import shutil

import pytest

import mvc_plugin  # noqa: F401
from mvc_plugin.datasets import DatasetError, VideoInstanceDataset


def _build(root, split='train', **kwargs):
    return VideoInstanceDataset(data_root=str(root), ann_file=f'annotations/{split}.json',
                                data_prefix=dict(img_path=f'{split}/JPEGImages'),
                                pipeline=[], **kwargs)


def test_loads_official_json(tiny_ytvis):
    ds = _build(tiny_ytvis)
    gt = json.loads((tiny_ytvis / 'annotations' / 'train.json').read_text())
    assert ds.metainfo['classes'] == tuple(
        c['name'] for c in sorted(gt['categories'], key=lambda c: c['id']))
    assert len(ds) == len(gt['videos'])
    info = ds.get_data_info(0)
    video = gt['videos'][0]
    assert info['video_id'] == video['id']
    # training filters frames without instances; every kept frame is a real file of the video
    assert 1 <= info['video_length'] <= video['length']
    assert all(img['file_name'] in video['file_names'] for img in info['images'])
    # instances in a frame match the annotations that have a mask in that frame
    img = info['images'][0]
    t = video['file_names'].index(img['file_name'])
    expected = {a['id'] for a in gt['annotations']
                if a['video_id'] == video['id'] and a['segmentations'][t] is not None}
    assert {inst['instance_id'] for inst in img['instances']} == expected
    for inst in img['instances']:
        x1, y1, x2, y2 = inst['bbox']
        assert 0 <= x1 < x2 <= video['width'] and 0 <= y1 < y2 <= video['height']


def test_test_mode_keeps_every_frame(tiny_ytvis):
    ds = _build(tiny_ytvis, split='val', test_mode=True)
    gt = json.loads((tiny_ytvis / 'annotations' / 'val.json').read_text())
    lengths = [ds.get_data_info(i)['video_length'] for i in range(len(ds))]
    assert lengths == [v['length'] for v in gt['videos']]


def test_dataset_version_uses_official_classes(tiny_ytvis, tmp_path):
    # the synthetic categories are not YouTube-VIS classes: asking for 2019 classes must fail
    with pytest.raises(DatasetError, match='not in "categories"'):
        _build(tiny_ytvis, dataset_version='2019')


def _copy(tiny_ytvis, tmp_path):
    dst = tmp_path / 'copy'
    shutil.copytree(tiny_ytvis, dst)
    return dst


def test_missing_data_root(tmp_path):
    with pytest.raises(DatasetError, match='no such folder') as e:
        _build(tmp_path / 'nowhere')
    assert str(tmp_path / 'nowhere') in str(e.value)


def test_json_without_videos_or_annotations(tiny_ytvis, tmp_path):
    root = _copy(tiny_ytvis, tmp_path)
    ann = root / 'annotations' / 'train.json'
    data = json.loads(ann.read_text())
    for key in ('videos', 'annotations'):
        bad = {k: v for k, v in data.items() if k != key}
        ann.write_text(json.dumps(bad))
        with pytest.raises(DatasetError, match=f'missing list "{key}"') as e:
            _build(root)
        assert str(ann) in str(e.value)


def test_not_json(tiny_ytvis, tmp_path):
    root = _copy(tiny_ytvis, tmp_path)
    (root / 'annotations' / 'train.json').write_text('{"videos": [')
    with pytest.raises(DatasetError, match='not valid JSON'):
        _build(root)


def test_missing_and_unreadable_frames_are_all_listed(tiny_ytvis, tmp_path):
    root = _copy(tiny_ytvis, tmp_path)
    data = json.loads((root / 'annotations' / 'train.json').read_text())
    missing = root / 'train' / 'JPEGImages' / data['videos'][0]['file_names'][1]
    garbage = root / 'train' / 'JPEGImages' / data['videos'][1]['file_names'][2]
    missing.unlink()
    garbage.write_bytes(b'this is not an image')
    with pytest.raises(DatasetError) as e:
        _build(root)
    msg = str(e.value)
    assert f'{missing}: frame file missing' in msg
    assert f'{garbage}: not a JPEG/PNG/BMP image' in msg
    assert '2 problem(s)' in msg


def test_truncated_frame_found_by_decode_check(tiny_ytvis, tmp_path):
    root = _copy(tiny_ytvis, tmp_path)
    data = json.loads((root / 'annotations' / 'train.json').read_text())
    frame = root / 'train' / 'JPEGImages' / data['videos'][0]['file_names'][0]
    frame.write_bytes(frame.read_bytes()[:40])  # valid JPEG header, no image data
    _build(root)  # the cheap header check cannot see this
    with pytest.raises(DatasetError, match='cannot be decoded'):
        _build(root, frame_check='decode')


def test_segmentation_length_and_category_checked(tiny_ytvis, tmp_path):
    root = _copy(tiny_ytvis, tmp_path)
    ann = root / 'annotations' / 'train.json'
    data = json.loads(ann.read_text())
    data['annotations'][0]['segmentations'].pop()
    data['annotations'][1]['category_id'] = 999
    ann.write_text(json.dumps(data))
    with pytest.raises(DatasetError) as e:
        _build(root)
    msg = str(e.value)
    assert 'segmentations for video' in msg and 'category_id 999 not in categories' in msg


def test_bad_frame_check_name(tiny_ytvis):
    with pytest.raises(ValueError, match='frame_check'):
        _build(tiny_ytvis, frame_check='paranoid')


def test_dataset_version_leaves_mmdet_class_untouched(tiny_ytvis):
    from mmdet.datasets import YouTubeVISDataset
    before = dict(YouTubeVISDataset.METAINFO)
    with pytest.raises(DatasetError):
        _build(tiny_ytvis, dataset_version='2021')
    assert dict(YouTubeVISDataset.METAINFO) == before


def test_polygon_and_uncompressed_rle_ground_truth(tiny_ytvis, tmp_path):
    """Polygons are rasterised at the video's size, as the official ytvos API does."""
    import numpy as np
    from pycocotools import mask as mask_utils

    from .polygon_gt import to_polygons
    root = _copy(tiny_ytvis, tmp_path)
    expected = to_polygons(root / 'annotations' / 'train.json')
    ds = _build(root)
    seen = 0
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        for img in info['images']:
            for inst in img['instances']:
                want = expected[inst['instance_id'], img['frame_id']]
                assert np.array_equal(mask_utils.decode(inst['mask']), mask_utils.decode(want))
                seen += 1
    assert seen > 0
    gt = json.loads((root / 'annotations' / 'train.json').read_text())
    gt['annotations'][0]['segmentations'][0] = [[1, 2, 3, 4, 5]]
    (root / 'annotations' / 'train.json').write_text(json.dumps(gt))
    with pytest.raises(DatasetError, match='frame 0: polygon 0 has 5 coordinates'):
        _build(root)
