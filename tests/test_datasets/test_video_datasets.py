"""OVIS, VSPW and VIPSeg datasets read their official layouts (synthetic data) and reject bad input."""
import json
import shutil

import numpy as np
import pytest

import mvc_plugin  # noqa: F401
from mvc_plugin.datasets import DatasetError, OVISDataset, VIPSegDataset, VSPWDataset
from mvc_plugin.datasets.converters import split_ytvis_by_video
from mvc_plugin.datasets.synthetic import SyntheticVideoSpec, class_names, write_vipseg, write_vspw

SPEC = SyntheticVideoSpec(num_videos=3, num_frames=4, height=48, width=64, seed=4)


@pytest.fixture(scope='module')
def vspw_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('vspw')
    write_vspw(SPEC, str(root), split='train', progress=False)
    return root


@pytest.fixture(scope='module')
def vipseg_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('vipseg')
    write_vipseg(SPEC, str(root), split='train', progress=False)
    return root


def test_ovis_keeps_occlusion_levels(tiny_ytvis, tmp_path):
    data = json.loads((tiny_ytvis / 'annotations' / 'train.json').read_text())
    for i, ann in enumerate(data['annotations']):
        ann['occlusion'] = [i % 3] * len(ann['segmentations']) if i % 2 else 'heavy'
    ann_file = tmp_path / 'ovis.json'
    ann_file.write_text(json.dumps(data))
    ds = OVISDataset(ann_file=str(ann_file), data_prefix=dict(img_path=str(
        tiny_ytvis / 'train' / 'JPEGImages')), pipeline=[], test_mode=True)
    levels = {inst['instance_id']: inst['occlusion']
              for i in range(len(ds)) for img in ds.get_data_info(i)['images']
              for inst in img['instances']}
    expected = {a['id']: (a['id'] - 1) % 3 if (a['id'] - 1) % 2 else 'heavy'
                for a in data['annotations'] if a['id'] in levels}
    assert levels and levels == {k: expected[k] for k in levels}


def test_vspw_reads_official_layout(vspw_root):
    ds = VSPWDataset(data_root=str(vspw_root), split='train.txt', pipeline=[])
    assert ds.metainfo['classes'] == tuple(class_names(SPEC))  # from label_num_dic_final.json
    assert len(ds) == SPEC.num_videos * SPEC.num_frames
    info = ds.get_data_info(0)
    assert info['img_path'].endswith('.jpg') and '/origin/' in info['img_path']
    assert info['seg_map_path'].endswith('.png') and '/mask/' in info['seg_map_path']
    assert info['reduce_zero_label'] is True and info['frame_id'] == 0
    assert info['video_length'] == SPEC.num_frames


def test_vspw_label_mapping_through_mmseg_pipeline(vspw_root):
    from mmseg.datasets.transforms import LoadAnnotations
    from PIL import Image
    ds = VSPWDataset(data_root=str(vspw_root), split='train.txt', pipeline=[])
    info = ds.get_data_info(0)
    raw = np.array(Image.open(info['seg_map_path']))
    seg = LoadAnnotations()(dict(info))['gt_seg_map']
    assert np.all(seg[raw == 0] == 255)  # "others" ignored
    assert np.all(seg[(raw > 0) & (raw < 255)] == raw[(raw > 0) & (raw < 255)] - 1)


def test_vspw_bad_input(vspw_root, tmp_path):
    with pytest.raises(DatasetError, match='split file not found'):
        VSPWDataset(data_root=str(vspw_root), split='val.txt', pipeline=[])
    root = tmp_path / 'copy'
    shutil.copytree(vspw_root, root)
    video = (root / 'train.txt').read_text().split()[0]
    frame = sorted((root / 'data' / video / 'mask').iterdir())[1]
    frame.unlink()
    (root / 'train.txt').write_text((root / 'train.txt').read_text() + 'ghost_video\n')
    with pytest.raises(DatasetError) as e:
        VSPWDataset(data_root=str(root), split='train.txt', pipeline=[])
    assert f'{frame}: frame file missing' in str(e.value)
    assert 'ghost_video' in str(e.value)


def test_vipseg_reads_official_layout(vipseg_root):
    ann = next(vipseg_root.glob('panoptic_gt_VIPSeg_*.json'))
    gt = json.loads(ann.read_text())
    ds = VIPSegDataset(data_root=str(vipseg_root), ann_file=ann.name, pipeline=[])
    things = [c['name'] for c in gt['categories'] if c['isthing']]
    assert ds.metainfo['thing_classes'] == tuple(things)
    assert ds.metainfo['classes'][:len(things)] == tuple(things)  # things first
    assert len(ds) == SPEC.num_videos * SPEC.num_frames
    info = ds.get_data_info(0)
    frame_gt = gt['annotations'][0]['annotations'][0]
    assert {s['id'] for s in info['segments_info']} == {s['id'] for s in frame_gt['segments_info']}
    n_things = sum(s['is_thing'] for s in info['segments_info'])
    assert len(info['instances']) == n_things
    assert info['seg_map_path'].endswith(frame_gt['file_name'])


def test_vipseg_bad_input(vipseg_root, tmp_path):
    ann = next(vipseg_root.glob('panoptic_gt_VIPSeg_*.json'))
    gt = json.loads(ann.read_text())
    gt['annotations'][0]['annotations'][0]['segments_info'][0]['category_id'] = 999
    gt['annotations'][1]['annotations'].pop()
    bad = tmp_path / 'bad.json'
    bad.write_text(json.dumps(gt))
    with pytest.raises(DatasetError) as e:
        VIPSegDataset(data_root=str(vipseg_root), ann_file=str(bad), pipeline=[])
    msg = str(e.value)
    assert 'unknown category_id 999' in msg and 'annotated frames' in msg
    no_videos = tmp_path / 'nov.json'
    no_videos.write_text(json.dumps({k: v for k, v in gt.items() if k != 'videos'}))
    with pytest.raises(DatasetError, match='missing list "videos"'):
        VIPSegDataset(data_root=str(vipseg_root), ann_file=str(no_videos), pipeline=[])


def test_ytvis_holdout_split(tiny_ytvis):
    data = json.loads((tiny_ytvis / 'annotations' / 'train.json').read_text())
    train, val = split_ytvis_by_video(data, num_val=1, seed=3)
    assert len(val['videos']) == 1 and len(train['videos']) == len(data['videos']) - 1
    val_ids = {v['id'] for v in val['videos']}
    assert all(a['video_id'] in val_ids for a in val['annotations'])
    assert not any(a['video_id'] in val_ids for a in train['annotations'])
    assert len(train['annotations']) + len(val['annotations']) == len(data['annotations'])
    assert train['categories'] == val['categories'] == data['categories']
    assert split_ytvis_by_video(data, num_val=1, seed=3) == (train, val)  # deterministic
    with pytest.raises(ValueError, match='at least one video'):
        split_ytvis_by_video(data, num_val=len(data['videos']))


def test_vipseg_frames_found_by_stem_as_the_official_conversion_names_them(vipseg_root, tmp_path):
    """The official JSON's images[].file_name is the mask's ``.png`` name; the frames are
    ``.jpg`` under ``images/`` (720p conversion) or ``imgs/`` (raw release)."""
    ann = next(vipseg_root.glob('panoptic_gt_VIPSeg_*.json'))
    data = json.loads(ann.read_text())
    assert all(img['file_name'].endswith('.png') for v in data['videos'] for img in v['images'])
    ds = VIPSegDataset(data_root=str(vipseg_root), ann_file=ann.name, pipeline=[])
    assert ds.data_prefix['img'].endswith('images')
    assert ds.get_data_info(0)['img_path'].endswith('.jpg')
    raw = tmp_path / 'raw'
    shutil.copytree(vipseg_root, raw)
    (raw / 'images').rename(raw / 'imgs')  # the raw release's folder name
    ds = VIPSegDataset(data_root=str(raw), ann_file=ann.name, pipeline=[])
    assert ds.data_prefix['img'].endswith('imgs') and len(ds) > 0


def test_vipseg_images_and_annotations_must_pair_up(vipseg_root, tmp_path):
    ann = next(vipseg_root.glob('panoptic_gt_VIPSeg_*.json'))
    data = json.loads(ann.read_text())
    frames = data['annotations'][0]['annotations']
    frames[0], frames[1] = frames[1], frames[0]  # same frames, another order
    bad = tmp_path / 'swapped.json'
    bad.write_text(json.dumps(data))
    with pytest.raises(DatasetError, match='must list the same frames in the same order'):
        VIPSegDataset(data_root=str(vipseg_root), ann_file=str(bad), pipeline=[])
