"""VSPW / VIPSeg as whole videos: clips for training, whole videos for test, tracked targets."""
import json

import numpy as np
import pytest
import torch
from PIL import Image

import mvc_plugin  # noqa: F401
from mmengine.registry import init_default_scope

from mvc_plugin.datasets import (VideoClipSample, VIPSegVideoDataset, VSPWDataset,
                                 VSPWVideoDataset)
from mvc_plugin.datasets.synthetic import SyntheticVideoSpec, class_names, write_vipseg, write_vspw

SPEC = SyntheticVideoSpec(num_videos=2, num_frames=6, height=48, width=64, seed=7)


def _pipeline(loader: dict, clip: dict = None) -> list:
    steps = [clip] if clip else []
    return steps + [
        dict(type='TransformBroadcaster', share_random_params=True, transforms=[
            dict(type='LoadImageFromFile'), loader,
            dict(type='Resize', scale=(32, 24), keep_ratio=True),
            dict(type='RandomFlip', prob=0.5)]),
        dict(type='PackTrackInputs', meta_keys=('seg_map_path',))]


@pytest.fixture(scope='module')
def vspw_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('vspw_video')
    write_vspw(SPEC, str(root), split='train', progress=False)
    return root


@pytest.fixture(scope='module')
def vipseg_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('vipseg_video')
    write_vipseg(SPEC, str(root), split='train', progress=False)
    return root


@pytest.mark.parametrize('stride', [1, 2, (1, 3)])
def test_clip_sample_regular_stride(stride):
    sampler = VideoClipSample(num_frames=3, stride=stride)
    for _ in range(50):
        idx = sampler.sample_indices(10)
        steps = set(np.diff(idx).tolist())
        assert len(idx) == 3 and len(steps) == 1 and idx[-1] <= 9
        low, high = (stride, stride) if isinstance(stride, int) else stride
        assert low <= steps.pop() <= high


def test_clip_sample_short_videos():
    assert VideoClipSample(num_frames=4, stride=3).sample_indices(5) in (
        [0, 1, 2, 3], [1, 2, 3, 4])  # stride shrinks to what fits
    assert VideoClipSample(num_frames=4).sample_indices(2) == [0, 1, 1, 1]
    with pytest.raises(ValueError, match='at least 4 frames'):
        VideoClipSample(num_frames=4, short_video='error').sample_indices(2)
    # centred on a key frame, shifted to stay inside the video
    assert VideoClipSample(num_frames=3, stride=2).sample_indices(9, key_frame=8) == [4, 6, 8]
    assert VideoClipSample(num_frames=3, stride=2).sample_indices(20, key_frame=9) == [7, 9, 11]
    out = VideoClipSample(num_frames=3, stride=2)(dict(
        video_id=1, video_length=20, key_frame_id=9,
        images=[dict(img_id=i, frame_id=i) for i in range(20)]))
    assert out['frame_id'] == [7, 9, 11] and out['key_frame_flags'] == [False, True, False]
    assert VideoClipSample()(dict(video_id=1, video_length=0, images=[])) is None
    for bad in (dict(num_frames=0), dict(stride=0), dict(stride=(3, 1)),
                dict(short_video='loop')):
        with pytest.raises(ValueError, match='VideoClipSample'):
            VideoClipSample(**bad)


def test_vspw_video_clips_carry_class_tracks(vspw_root):
    init_default_scope('mmdet')
    frames = VSPWDataset(data_root=str(vspw_root), split='train.txt', pipeline=[])
    ds = VSPWVideoDataset(data_root=str(vspw_root), split='train.txt', pipeline=_pipeline(
        dict(type='LoadVideoSemanticAnnotations', num_classes=len(class_names(SPEC))),
        dict(type='VideoClipSample', num_frames=3, stride=2)))
    assert ds.metainfo['classes'] == frames.metainfo['classes']
    assert len(ds) == SPEC.num_videos
    sample = ds[0]['data_samples']
    assert ds[0]['inputs'].shape == (3, 3, 24, 32)
    for frame in sample.video_data_samples:
        gt = frame.gt_instances
        raw = np.array(Image.open(frame.seg_map_path))
        present = sorted(int(c) - 1 for c in np.unique(raw) if c not in (0, 255))
        assert gt.labels.tolist() == present == gt.instances_ids.tolist()
        assert gt.masks.masks.shape == (len(present), 24, 32)
    frame_ids = [f.frame_id for f in sample.video_data_samples]
    assert len(set(np.diff(frame_ids).tolist())) == 1


def test_vspw_video_test_mode_loads_whole_video(vspw_root):
    init_default_scope('mmdet')
    ds = VSPWVideoDataset(data_root=str(vspw_root), split='train.txt', test_mode=True,
                          pipeline=_pipeline(dict(type='LoadVideoSemanticAnnotations')))
    sample = ds[1]['data_samples']
    assert [f.frame_id for f in sample.video_data_samples] == list(range(SPEC.num_frames))


def test_vipseg_video_tracks_keep_segment_ids(vipseg_root):
    init_default_scope('mmdet')
    ann = next(vipseg_root.glob('panoptic_gt_VIPSeg_*.json'))
    ds = VIPSegVideoDataset(data_root=str(vipseg_root), ann_file=ann.name, test_mode=True,
                            pipeline=_pipeline(dict(type='LoadVideoPanopticTracks')))
    gt = json.loads(ann.read_text())
    info = ds.get_data_info(0)
    sample = ds[0]['data_samples']
    expected = gt['annotations'][0]['annotations']
    for frame, ann_frame in zip(sample.video_data_samples, expected):
        ids = sorted(s['id'] for s in ann_frame['segments_info'])
        assert frame.gt_instances.instances_ids.tolist() == ids
        labels = {s['id']: s['category'] for s in info['images'][frame.frame_id]['segments_info']}
        assert frame.gt_instances.labels.tolist() == [labels[i] for i in ids]
    # a thing keeps its id from frame to frame: the tracker's target identity
    first = set(sample.video_data_samples[0].gt_instances.instances_ids.tolist())
    second = set(sample.video_data_samples[1].gt_instances.instances_ids.tolist())
    assert first & second


def test_vipseg_tracks_reject_png_segments_mismatch(vipseg_root, tmp_path):
    init_default_scope('mmdet')
    from mvc_plugin.datasets import LoadVideoPanopticTracks
    ann = json.loads(next(vipseg_root.glob('panoptic_gt_VIPSeg_*.json')).read_text())
    video = ann['annotations'][0]
    png = vipseg_root / 'panomasksRGB' / video['video_id'] / video['annotations'][0]['file_name']
    segments = [dict(id=s['id'], category=0) for s in video['annotations'][0]['segments_info']]
    loader = LoadVideoPanopticTracks()
    with pytest.raises(ValueError, match='not in the frame.s segments_info'):
        loader(dict(seg_map_path=str(png), segments_info=segments[1:]))
    with pytest.raises(ValueError, match='do not appear in the PNG'):
        loader(dict(seg_map_path=str(png), segments_info=segments + [dict(id=999999,
                                                                          category=0)]))


def test_semantic_loader_rejects_out_of_range_label(tmp_path):
    from mvc_plugin.datasets import LoadVideoSemanticAnnotations
    path = tmp_path / 'm.png'
    Image.fromarray(np.array([[0, 3], [9, 255]], np.uint8)).save(path)
    out = LoadVideoSemanticAnnotations()(dict(seg_map_path=str(path)))
    assert out['gt_bboxes_labels'].tolist() == [2, 8]
    assert torch.equal(torch.as_tensor(out['gt_masks'].masks),
                       torch.tensor([[[0, 1], [0, 0]], [[0, 0], [1, 0]]], dtype=torch.uint8))
    with pytest.raises(ValueError, match=r'm\.png: label 8 is outside the 5 classes'):
        LoadVideoSemanticAnnotations(num_classes=5)(dict(seg_map_path=str(path)))


def test_vipseg_crowd_segments_are_ignored_targets(vipseg_root):
    init_default_scope('mmdet')
    from mvc_plugin.datasets import LoadVideoPanopticTracks
    ann = json.loads(next(vipseg_root.glob('panoptic_gt_VIPSeg_*.json')).read_text())
    video = ann['annotations'][0]
    frame = video['annotations'][0]
    png = vipseg_root / 'panomasksRGB' / video['video_id'] / frame['file_name']
    ids = sorted(s['id'] for s in frame['segments_info'])
    segments = [dict(id=i, category=0, iscrowd=int(i == ids[0])) for i in ids]
    out = LoadVideoPanopticTracks()(dict(seg_map_path=str(png), segments_info=segments))
    assert out['gt_ignore_flags'].tolist() == [i == ids[0] for i in ids]
    from mmdet.datasets.transforms import PackTrackInputs
    packed = PackTrackInputs()({k: [v] for k, v in dict(out, img_id=0).items()})
    frame_sample = packed['data_samples'].video_data_samples[0]
    assert frame_sample.gt_instances.instances_ids.tolist() == ids[1:]
    assert frame_sample.ignored_instances.instances_ids.tolist() == ids[:1]
