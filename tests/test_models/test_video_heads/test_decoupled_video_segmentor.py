"""DecoupledVideoSegmentor: stage checks, freezing, losses per stage, online / offline predict."""
import copy

import pytest
import torch

from mmdet.registry import MODELS
from mvc_plugin.models.video_heads import DecoupledVideoSegmentor
from .conftest import H, NUM_CLASSES, build_dvis, dvis_cfg, video_inputs, video_samples


def test_later_stage_without_checkpoint_is_refused(tmp_path):
    cfg = dvis_cfg('tracker', allow_random_init=False)
    with pytest.raises(ValueError, match="'segmenter' stage's checkpoint"):
        MODELS.build(copy.deepcopy(cfg))
    cfg['init_cfg'] = dict(type='Pretrained', checkpoint=str(tmp_path / 'missing.pth'))
    model = MODELS.build(cfg)  # building is fine: test.py loads its own checkpoint ...
    with pytest.raises(ValueError, match='does not exist'):
        model.init_weights()   # ... but training cannot start from nothing


def test_invalid_stage_or_mode():
    with pytest.raises(ValueError, match='stage'):
        MODELS.build(dvis_cfg('decoder'))
    with pytest.raises(ValueError, match='needs a refiner'):
        MODELS.build(dvis_cfg('tracker', 'offline', refiner=None))


def test_earlier_stages_are_frozen():
    model = build_dvis('refiner', 'offline')
    model.train()
    assert not model.segmenter.training and not model.tracker.training
    assert model.refiner.training
    trainable = {n.split('.')[0] for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {'refiner'}


@pytest.mark.parametrize('stage', ['tracker', 'refiner'])
def test_video_head_stages_train_only_their_module(stage):
    model = build_dvis(stage, 'offline', query_mask_ratio=0.3)
    model.train()
    losses = model.loss(video_inputs(3, batch=2), [video_samples(3, with_gt=True, seed=s)
                                                   for s in (0, 1)])
    assert set(losses) == {'loss_cls', 'loss_mask', 'loss_dice'}
    sum(losses.values()).backward()
    grads = {n.split('.')[0] for n, p in model.named_parameters() if p.grad is not None}
    assert grads == {stage}


def test_segmenter_stage_under_masked_video_consistency():
    torch.manual_seed(0)
    model = MODELS.build(dict(type='MaskedVideoConsistency', model=dvis_cfg('segmenter'),
                              mask_generator=dict(block_size=16, mask_ratio=0.5)))
    assert isinstance(model, DecoupledVideoSegmentor)
    model.train()
    losses = model.loss(video_inputs(2), [video_samples(2, with_gt=True)])
    assert 'loss_mask' in losses and 'mvc.loss_mask' in losses
    assert all(torch.isfinite(v) for k, v in losses.items() if 'loss' in k)


def _check_vis_output(result, num_frames, k):
    frames = result.video_data_samples
    assert len(frames) == num_frames
    for frame in frames:
        pred = frame.pred_track_instances
        assert pred.masks.dtype == torch.bool and pred.masks.shape == (k, *frame.ori_shape)
        assert pred.bboxes.shape == (k, 4) and pred.scores.shape == (k,)
        assert pred.labels.max() < NUM_CLASSES
        assert pred.instances_id.tolist() == list(range(k))
    # the same objects, with the same video-level scores, on every frame
    assert all(torch.equal(f.pred_track_instances.scores,
                           frames[0].pred_track_instances.scores) for f in frames)


def test_online_and_offline_predict():
    online = build_dvis('refiner', 'online', test_cfg=dict(max_per_video=4)).eval()
    offline = build_dvis('refiner', 'offline', test_cfg=dict(max_per_video=4)).eval()
    inputs = video_inputs(4)
    ori = [(2 * H, 3 * H)] * 4  # masks come back at the original size
    with torch.no_grad():
        res_on = online.predict(inputs, [video_samples(4, ori)])[0]
        res_off = offline.predict(inputs, [video_samples(4, ori)])[0]
        windowed = offline.predict(inputs, [video_samples(4, ori)])  # window=None: whole video
        offline.test_cfg['window'] = 2
        res_win = offline.predict(inputs, [video_samples(4, ori)])[0]
    for res in (res_on, res_off, res_win):
        _check_vis_output(res, 4, 4)
    # same segmenter and tracker; the refiner changes the scores and masks
    assert not torch.equal(res_on.video_data_samples[0].pred_track_instances.scores,
                           res_off.video_data_samples[0].pred_track_instances.scores)
    assert torch.equal(windowed[0].video_data_samples[0].pred_track_instances.scores,
                       res_off.video_data_samples[0].pred_track_instances.scores)


@pytest.mark.parametrize('stage,mode', [('segmenter', 'online'), ('tracker', 'online'),
                                        ('refiner', 'offline')])
def test_one_frame_video(stage, mode):
    model = build_dvis(stage, mode).eval()
    with torch.no_grad():
        res = model.test_step(dict(inputs=[torch.randint(0, 255, (1, 3, H, 96),
                                                         dtype=torch.uint8)],
                                   data_samples=[video_samples(1)]))[0]
    _check_vis_output(res, 1, 10)


def test_frames_of_different_sizes_are_refused():
    model = build_dvis('tracker').eval()
    with pytest.raises(ValueError, match='same size'):
        model.predict(video_inputs(2), [video_samples(2, [(64, 96), (72, 96)])])
    with pytest.raises(ValueError, match='same size'):
        list(model.stream([torch.randn(3, 64, 96), torch.randn(3, 96, 64)]))


@pytest.mark.parametrize('stage,source', [('tracker', 'segmenter.panoptic_head'),
                                          ('refiner', 'tracker.heads')])
def test_new_stage_starts_from_the_previous_heads(stage, source):
    model = build_dvis(stage, 'offline')  # build_dvis calls init_weights
    src = model.get_submodule(source)
    dst = getattr(model, stage).heads
    for name in ('cls_embed', 'mask_embed'):
        a, b = getattr(src, name).state_dict(), getattr(dst, name).state_dict()
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
