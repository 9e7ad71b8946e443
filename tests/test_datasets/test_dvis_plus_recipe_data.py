"""The official DVIS++ data recipe pieces: clip sampler, COCO pseudo videos (class tables,
per-frame rotation), per-batch dataset ratios, and ``stage://`` checkpoints. Tiny data, seconds."""
import json
import random
from collections import Counter

import numpy as np
import pytest
import torch
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.structures.mask import BitmapMasks
from mmengine.dataset import ConcatDataset
from mmengine.registry import init_default_scope

import mvc_plugin  # noqa: F401
from mvc_plugin.datasets import (COCO_VIDEO_CLASS_MAPS, CocoPseudoVideoDataset,
                                 DatasetRatioBatchSampler, DatasetError, DVISPlusClipSample,
                                 PseudoClipRotate)
from mvc_plugin.datasets.coco_pseudo_video_dataset import target_classes
from mvc_plugin.engine import StageCheckpointError, resolve_stage_checkpoint


def _draws(sampler, length, n=300, seed=0):
    random.seed(seed)
    np.random.seed(seed)
    return [sampler.sample_indices(length) for _ in range(n)]


# ---------------------------------------------------------------- DVISPlusClipSample


def test_consecutive_clips_are_runs_and_never_start_at_the_last_start():
    sampler = DVISPlusClipSample(num_frames=5, frame_range=2)  # 2 * 2 + 1: consecutive
    clips = _draws(sampler, 10)
    assert all(c == list(range(c[0], c[0] + 5)) for c in clips)
    # random.randrange(L - T): starts 0..4, never 5 (official)
    assert {c[0] for c in clips} == set(range(5))
    assert _draws(sampler, 5, n=5) == [[0, 1, 2, 3, 4]] * 5  # L == T: start 0


def test_reverse_plays_half_of_the_consecutive_clips_backwards():
    clips = _draws(DVISPlusClipSample(num_frames=15, frame_range=7, reverse=True), 40, n=400)
    backwards = sum(c[0] > c[-1] for c in clips)
    assert all(c == sorted(c) or c == sorted(c, reverse=True) for c in clips)
    assert 150 < backwards < 250


def test_short_video_gives_all_frames_then_unsorted_random_repeats():
    clips = _draws(DVISPlusClipSample(num_frames=15, frame_range=7), 4, n=200)
    assert all(len(c) == 15 and c[:4] == [0, 1, 2, 3] and set(c[4:]) <= set(range(4))
               for c in clips)
    assert any(c[4:] != sorted(c[4:]) for c in clips)  # the official no-op sort, matched


def test_windowed_clips_are_sorted_around_a_reference_frame():
    sampler = DVISPlusClipSample(num_frames=10, frame_range=15)  # CTVIS: window, VIS
    for clip in _draws(sampler, 100):
        assert clip == sorted(clip) and max(clip) - min(clip) <= 30
        assert len(set(clip)) == 10  # window large enough: no replacement (VIS)
    # window smaller than the clip: replacement
    assert all(len(c) == 10 for c in _draws(sampler, 3))
    # VPS / VSS always draw with replacement
    always = DVISPlusClipSample(num_frames=11, frame_range=10, replace='always')
    assert any(len(set(c)) < 11 for c in _draws(always, 200))
    assert _draws(sampler, 1, n=3) == [[0] * 10] * 3  # 1-frame video (official would fail)


def test_shuffle_and_arguments():
    clips = _draws(DVISPlusClipSample(num_frames=5, frame_range=2, shuffle=True), 20)
    assert any(c != sorted(c) for c in clips) and all(sorted(c) == list(range(c and min(c),
                                                                           min(c) + 5))
                                                      for c in clips)
    with pytest.raises(ValueError, match='num_frames'):
        DVISPlusClipSample(num_frames=0, frame_range=1)
    with pytest.raises(ValueError, match='replace'):
        DVISPlusClipSample(num_frames=2, frame_range=1, replace='never')


def test_clip_sample_transform_gives_the_video_layout():
    video = dict(video_id=7, video_length=6,
                 images=[dict(img_path=f'{t}.jpg', frame_id=t) for t in range(6)])
    out = DVISPlusClipSample(num_frames=3, frame_range=1)(video)
    assert out['video_length'] == [3] * 3 and out['ori_video_length'] == [6] * 3
    assert out['frame_id'] == list(range(out['frame_id'][0], out['frame_id'][0] + 3))
    assert out['key_frame_flags'] == [False, True, False]
    assert 'video_length' not in video['images'][0]  # the dataset's info is left alone


# ---------------------------------------------------------------- COCO pseudo videos


def _write_coco(root, num_images=3):
    from PIL import Image
    (root / 'img').mkdir(parents=True, exist_ok=True)
    images, anns = [], []
    for i in range(1, num_images + 1):
        Image.fromarray(np.full((40, 60, 3), 30 * i, np.uint8)).save(root / 'img' / f'{i}.jpg')
        images.append(dict(id=i, file_name=f'{i}.jpg', height=40, width=60))
        for cat, crowd in ((1, 0), (3, 0), (10, 0), (18, 1)):  # person, car, traffic light, dog
            x = 5 + 10 * len(anns) % 30
            anns.append(dict(id=len(anns) + 1, image_id=i, category_id=cat, iscrowd=crowd,
                             bbox=[x, 8, 20, 20], area=400.0,
                             segmentation=[[x, 8, x + 20, 8, x + 20, 28, x, 28]]))
    images.append(dict(id=99, file_name='1.jpg', height=40, width=60))  # no annotation
    cats = [dict(id=i, name=n) for i, n in ((1, 'person'), (3, 'car'), (10, 'traffic light'),
                                            (18, 'dog'))]
    path = root / 'coco.json'
    path.write_text(json.dumps(dict(images=images, annotations=anns, categories=cats)))
    return path


def test_class_tables_are_the_official_facts():
    assert COCO_VIDEO_CLASS_MAPS['ytvis2019'][1] == 1  # person -> person
    assert COCO_VIDEO_CLASS_MAPS['ytvis2019'][3] == 6  # car -> sedan
    assert COCO_VIDEO_CLASS_MAPS['ytvis2021'][1] == 26
    assert COCO_VIDEO_CLASS_MAPS['ovis'][3] == 25  # car -> vehical
    assert len(COCO_VIDEO_CLASS_MAPS['ytvis2019']) == 21
    assert len(COCO_VIDEO_CLASS_MAPS['ytvis2021']) == 23
    assert len(COCO_VIDEO_CLASS_MAPS['ovis']) == 17
    for target, table in COCO_VIDEO_CLASS_MAPS.items():
        assert max(table.values()) <= len(target_classes(target))
    assert target_classes('ytvis2019')[5] == 'sedan' and len(target_classes('ovis')) == 25


def test_pseudo_video_dataset_maps_drops_and_repeats(tmp_path):
    init_default_scope('mmdet')
    ann = _write_coco(tmp_path)
    ds = CocoPseudoVideoDataset(ann_file=str(ann), data_prefix=dict(img=str(tmp_path / 'img')),
                                target='ytvis2019', num_frames=4, pipeline=[])
    assert len(ds) == 4  # the image without mapped objects is kept (segmenter stage, official)
    assert ds.metainfo['classes'] == target_classes('ytvis2019')
    labels = [inst['bbox_label'] for inst in ds.get_data_info(0)['instances']]
    assert labels == [0, 5]  # person -> person (0), car -> sedan (5); traffic light and the
    # crowd dog are dropped
    assert [inst['instance_id'] for inst in ds.get_data_info(0)['instances']] == [0, 1]
    video = ds.prepare_data(0)
    assert video['frame_id'] == [0, 1, 2, 3] and len(set(video['img_path'])) == 1
    assert video['video_length'] == [4] * 4 and sum(video['key_frame_flags']) == 1
    empty = CocoPseudoVideoDataset(ann_file=str(ann), data_prefix=dict(img=str(tmp_path)),
                                   target='ovis', num_frames=2, pipeline=[],
                                   filter_cfg=dict(filter_empty_gt=True))
    assert len(empty) == 3  # online / offline stages drop images without objects
    assert [i['bbox_label'] for i in empty.get_data_info(0)['instances']] == [0, 24]


def test_pseudo_video_dataset_errors(tmp_path):
    init_default_scope('mmdet')
    ann = _write_coco(tmp_path)
    with pytest.raises(ValueError, match='known targets'):
        CocoPseudoVideoDataset(ann_file=str(ann), target='vspw', pipeline=[])
    other = tmp_path / 'other.json'
    other.write_text(json.dumps(dict(images=[], annotations=[],
                                     categories=[dict(id=500, name='x')])))
    with pytest.raises(DatasetError, match='COCO instances file'):
        CocoPseudoVideoDataset(ann_file=str(other), target='ovis', pipeline=[])


def test_pseudo_clip_pipeline_end_to_end(tmp_path):
    """The shipped pseudo-clip pipeline (shared resize / crop / flip, then rotation) on a tiny
    COCO file: a clip of equal-size frames whose objects keep their ids."""
    init_default_scope('mmdet')
    ann = _write_coco(tmp_path)
    transforms = dict(type='TransformBroadcaster', share_random_params=True, transforms=[
        dict(type='LoadImageFromFile'), dict(type='LoadTrackAnnotations', with_mask=True),
        dict(type='RandomApply', prob=1.0, transforms=[
            dict(type='RandomChoiceResize', scales=[(80, 48)], keep_ratio=True),
            dict(type='RandomCrop', crop_type='absolute_range', crop_size=(30, 40),
                 allow_negative_crop=True, recompute_bbox=True)]),
        dict(type='RandomChoiceResize', scales=[(64, 32), (64, 40)], keep_ratio=True),
        dict(type='RandomFlip', prob=0.5)])
    ds = CocoPseudoVideoDataset(
        ann_file=str(ann), data_prefix=dict(img=str(tmp_path / 'img')), target='ytvis2019',
        num_frames=5, pipeline=[transforms, dict(type='PseudoClipRotate'),
                                dict(type='PackTrackInputs')])
    for seed in range(4):
        random.seed(seed)
        np.random.seed(seed)
        out = ds[seed % 3]
        shapes = {tuple(f.shape) for f in out['inputs']}
        assert len(shapes) == 1 and out['inputs'].shape[0] == 5
        ids = [set(s.gt_instances.instances_ids.tolist())
               for s in out['data_samples'].video_data_samples]
        assert all(i <= {0, 1} for i in ids)


def test_pseudo_clip_rotate_sorted_angles_shared_centre():
    np.random.seed(0)
    rot = PseudoClipRotate()
    for _ in range(50):
        angles, center = rot.clip_params(6)
        assert np.all(np.diff(angles) >= 0) or np.all(np.diff(angles) <= 0)
        assert np.all(np.abs(angles) <= 15) and all(0.4 <= c <= 0.6 for c in center)
    masks = np.zeros((2, 32, 32), np.uint8)
    masks[0, 12:20, 12:20] = 1  # centre object: survives any rotation
    masks[1, 0:2, 0:2] = 1  # corner object: rotated out of the frame at some angle
    results = dict(img=[np.full((32, 32, 3), 100, np.uint8)] * 3,
                   gt_masks=[BitmapMasks(masks.copy(), 32, 32) for _ in range(3)],
                   gt_bboxes=[HorizontalBoxes(torch.tensor([[12., 12, 20, 20],
                                                            [0, 0, 2, 2]]))] * 3,
                   gt_bboxes_labels=[np.array([0, 1])] * 3,
                   gt_instances_ids=[np.array([0, 1])] * 3,
                   gt_ignore_flags=[np.zeros(2, bool)] * 3)
    np.random.seed(1)
    out = PseudoClipRotate(max_angle=45)(results)
    for t in range(3):
        n = len(out['gt_masks'][t])
        assert 0 in out['gt_instances_ids'][t]
        assert len(out['gt_bboxes'][t]) == len(out['gt_bboxes_labels'][t]) == n
        assert out['img'][t].shape == (32, 32, 3)
    with pytest.raises(TypeError, match='clip'):
        PseudoClipRotate()(dict(img=np.zeros((4, 4, 3), np.uint8)))


# ---------------------------------------------------------------- DatasetRatioBatchSampler


class _Sized(torch.utils.data.Dataset):

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return i


class _FakeSampler:

    def __init__(self, dataset, seed=0):
        self.dataset, self.seed = dataset, seed


def _concat(*sizes):
    concat = ConcatDataset.__new__(ConcatDataset)
    concat.datasets = [_Sized(n) for n in sizes]
    concat.cumulative_sizes = list(np.cumsum(sizes))
    concat._fully_initialized = True
    return concat


def test_ratio_batches_come_from_one_set_in_the_given_ratio():
    dataset = _concat(1000, 10)  # very different sizes, drawn 1 : 1 anyway
    sampler = DatasetRatioBatchSampler(_FakeSampler(dataset), batch_size=2, ratios=[1.0, 1.0])
    it = iter(sampler)
    batches = [next(it) for _ in range(2000)]
    origin = Counter()
    for batch in batches:
        sets = {int(i >= 1000) for i in batch}
        assert len(sets) == 1 and len(batch) == 2
        origin[sets.pop()] += 1
    assert 900 < origin[1] < 1100
    small = [i for b in batches for i in b if i >= 1000]
    assert set(small) == set(range(1000, 1010))  # every item of the small set, reshuffled
    weighted = iter(DatasetRatioBatchSampler(_FakeSampler(dataset), 1, ratios=[3, 1]))
    share = sum(next(weighted)[0] < 1000 for _ in range(2000)) / 2000
    assert 0.7 < share < 0.8


def test_ratio_sampler_argument_errors():
    with pytest.raises(TypeError, match='ConcatDataset'):
        DatasetRatioBatchSampler(_FakeSampler(_Sized(3)), 1, ratios=[1.0])
    with pytest.raises(ValueError, match='ratios'):
        DatasetRatioBatchSampler(_FakeSampler(_concat(3, 3)), 1, ratios=[1.0])


# ---------------------------------------------------------------- stage:// checkpoints


def test_stage_checkpoint_resolves_last_checkpoint_or_says_what_to_train(tmp_path):
    work = tmp_path / 'dvis-pp_r50_ytvis19_segmenter'
    with pytest.raises(StageCheckpointError, match='dvis-pp_r50_ytvis19_segmenter.py'):
        resolve_stage_checkpoint(f'stage://{work}')
    work.mkdir()
    ckpt = work / 'iter_32000.pth'
    (work / 'last_checkpoint').write_text(str(ckpt))
    with pytest.raises(StageCheckpointError, match='does not exist'):
        resolve_stage_checkpoint(f'stage://{work}')
    torch.save(dict(state_dict=dict(w=torch.ones(2))), ckpt)
    assert resolve_stage_checkpoint(f'stage://{work}') == str(ckpt)
    from mmengine.runner.checkpoint import CheckpointLoader
    loaded = CheckpointLoader.load_checkpoint(f'stage://{work}', map_location='cpu')
    assert torch.equal(loaded['state_dict']['w'], torch.ones(2))
