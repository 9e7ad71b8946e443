"""DVISPlusVideoSegmentor: DVIS++ modules in the staged model, official inference per task."""
import pytest
import torch

from mmdet.registry import MODELS
from mvc_plugin.models.dvis_plus import (DVISPlusReferringTracker, DVISPlusTemporalRefiner,
                                         DVISPlusVideoSegmentor)
from ..test_video_heads.conftest import H, W, video_inputs, video_samples
from .conftest import build_dvispp, dvispp_cfg


def test_modules_are_dvis_plus_at_twice_the_segmenter_width():
    model = build_dvispp('refiner', 'offline')
    assert isinstance(model, DVISPlusVideoSegmentor)
    assert isinstance(model.tracker, DVISPlusReferringTracker)
    assert isinstance(model.refiner, DVISPlusTemporalRefiner)
    width = model.segmenter.panoptic_head.transformer_decoder.embed_dims
    assert model.tracker.embed_dims == model.refiner.embed_dims == 2 * width


def test_bad_configs_are_refused():
    with pytest.raises(ValueError, match='init_heads_from_previous'):
        MODELS.build(dvispp_cfg(init_heads_from_previous=True))
    cfg = dvispp_cfg()
    cfg['segmenter']['panoptic_head']['type'] = 'Mask2FormerHead'
    with pytest.raises(TypeError, match='ReIDMask2FormerHead'):
        MODELS.build(cfg)


STAGE_LOSSES = {'loss_ce', 'loss_mask', 'loss_dice', 'd0.loss_ce', 'd0.loss_mask',
                'd0.loss_dice', 'loss_reid'}  # 2 layers: the last + one auxiliary


@pytest.mark.parametrize('oma_cfg', [None, dict(mode='soft')])
@pytest.mark.parametrize('stage', ['tracker', 'refiner'])
def test_stage_trains_only_its_module(stage, oma_cfg, monkeypatch):
    """Two iterations of the official stage training (MVC on, OMA off / on; the first with
    guided matching, max_iters=2): finite losses on every layer + the contrastive loss,
    gradients only in the trained module; the refiner's class memory fills."""
    from mmengine.logging import MessageHub
    hub = MessageHub.get_instance(f'test_dvis_plus_train_{stage}_{oma_cfg is None}')
    monkeypatch.setattr(MessageHub, 'get_current_instance', classmethod(lambda cls: hub))
    hub.update_info('max_iters', 2)
    model = build_dvispp(stage, 'offline', query_mask_ratio=0.3, oma_cfg=oma_cfg,
                         criterion=dict(num_points=64))
    model.train()
    for it in range(2):
        hub.update_info('iter', it)
        assert model.guided() is (it == 0)
        model.zero_grad()
        losses = model.loss(video_inputs(3, batch=2, seed=it),
                            [video_samples(3, with_gt=True, seed=s) for s in (it, it + 1)])
        assert set(losses) == STAGE_LOSSES
        assert all(torch.isfinite(v) for v in losses.values())
        sum(losses.values()).backward()
        grads = {n.split('.')[0] for n, p in model.named_parameters() if p.grad is not None}
        assert grads == {stage}
        assert all(torch.isfinite(p.grad).all() for p in model.parameters()
                   if p.grad is not None)
    if stage == 'refiner':
        assert model.contrastive_memory.items


def test_criterion_defaults_are_the_official_and_the_legacy_one_is_opt_in():
    from mvc_plugin.models.video_heads import ClipMatchingCriterion
    tracker = build_dvispp('tracker')
    crit = tracker.criterion
    assert type(crit).__name__ == 'DVISPlusVideoSetCriterion'
    assert type(crit.matcher).__name__ == 'DVISPlusConsistentVideoMatcher'
    assert crit.weights == dict(loss_ce=2.0, loss_mask=5.0, loss_dice=5.0)
    assert crit.eos_coef == 0.1 and crit.oversample_ratio == 3.0
    assert crit.importance_sample_ratio == 0.75
    assert type(build_dvispp('refiner', 'offline').criterion.matcher).__name__ == \
        'DVISPlusVideoHungarianMatcher'
    legacy = build_dvispp('tracker', criterion=dict(type='ClipMatchingCriterion', num_points=64))
    assert isinstance(legacy.criterion, ClipMatchingCriterion)
    legacy.train()
    losses = legacy.loss(video_inputs(2), [video_samples(2, with_gt=True)])
    assert set(losses) == {'loss_cls', 'loss_mask', 'loss_dice'}


def test_guided_matching_follows_the_runner_iteration():
    """Official rule: guided while iter < MAX_ITER // 2 (here MessageHub iter / max_iters)."""
    from mmengine.logging import MessageHub
    model = build_dvispp('tracker')
    hub = MessageHub.get_instance('test_dvis_plus_guided')
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(MessageHub, 'get_current_instance', classmethod(lambda cls: hub))
        assert not model.guided()  # no runner
        hub.update_info('max_iters', 10)
        for it, expected in ((0, True), (4, True), (5, False), (9, False)):
            hub.update_info('iter', it)
            assert model.guided() is expected


@pytest.mark.parametrize('mode', ['online', 'offline'])
def test_window_size_does_not_change_the_result(mode):
    """The tracker's memory is carried from window to window: 1, 2 or all frames at a time
    give the same video (the official run_window_inference)."""
    model = build_dvispp('refiner', mode).eval()
    video = video_inputs(5)[0]
    outs = []
    for window in (1, 2, 5):
        model.test_cfg['window_size'] = window
        outs.append(model.video_outputs(video))
    for probs, masks in outs[1:]:
        torch.testing.assert_close(probs, outs[0][0], rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(masks, outs[0][1], rtol=1e-4, atol=1e-4)


def test_offline_combines_with_the_online_scores():
    online = build_dvispp('refiner', 'online').eval()
    offline = build_dvispp('refiner', 'offline').eval()
    video = video_inputs(4)[0]
    p_on, _ = online.video_outputs(video)
    p_off, _ = offline.video_outputs(video)
    assert (p_off[:, :-1] >= p_on[:, :-1] - 1e-6).all()  # max with the online probabilities


@pytest.mark.parametrize('task', ['vis', 'vss', 'vps'])
@pytest.mark.parametrize('mode', ['online', 'offline'])
def test_predict_sets_the_task_output_on_every_frame(task, mode):
    model = build_dvispp('refiner', mode, task=task,
                         num_thing_classes=3 if task == 'vps' else None).eval()
    model.test_cfg.update(object_mask_thr=0.0, overlap_thr=0.0)
    ori = [(2 * H, 3 * W // 2)] * 3
    with torch.no_grad():
        res = model.predict(video_inputs(3), [video_samples(3, ori)])[0]
    frames = res.video_data_samples
    assert len(frames) == 3
    for frame in frames:
        if task == 'vis':
            assert frame.pred_track_instances.masks.shape == (4, *ori[0])
        elif task == 'vss':
            assert frame.pred_sem_seg.data.shape == (1, *ori[0])
        else:
            assert frame.pred_panoptic_seg.sem_seg.shape == (1, *ori[0])
    if task == 'vps':  # thresholds at 0: every pixel belongs to a kept object's segment
        assert all((f.pred_panoptic_seg.sem_seg != 5).any() for f in frames)


def test_oma_off_is_dvis_plus_and_oma_changes_attention():
    video = video_inputs(3)[0]
    plain = build_dvispp('refiner', 'offline', oma_cfg=None).eval()
    off = build_dvispp('refiner', 'offline', oma_cfg=dict(mode='off')).eval()
    hard = build_dvispp('refiner', 'offline', oma_cfg=dict(mode='soft')).eval()
    assert list(plain.state_dict()) == list(hard.state_dict())  # OMA adds no parameters
    for model in (off, hard):
        model.load_state_dict(plain.state_dict())
    ref = plain.video_outputs(video)
    torch.testing.assert_close(off.video_outputs(video), ref, rtol=0, atol=0)
    assert not torch.allclose(hard.video_outputs(video)[1], ref[1])
