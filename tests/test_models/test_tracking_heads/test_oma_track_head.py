"""OMAMask2FormerTrackHead is a drop-in for mmdet's Mask2FormerTrackHead (quick-start size)."""
import copy
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

import mvc_plugin.models.layers  # noqa: F401  (registers the OMA modules)
import mvc_plugin.models.tracking_heads  # noqa: F401
from mmdet.models.tracking_heads import Mask2FormerTrackHead
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample, TrackDataSample
from mmdet.structures.mask import BitmapMasks
from mvc_plugin.models.layers import ObjectMaskedAttention, relevance_from_logits
from mvc_plugin.models.tracking_heads import OMAMask2FormerTrackHead

CONFIGS = Path(__file__).resolve().parents[3] / 'configs'
VIDEOS, FRAMES, IMG = 2, 2, (64, 64)


@pytest.fixture(scope='module')
def head_cfg():
    init_default_scope('mmdet')
    return Config.fromfile(str(CONFIGS / 'vis_synthetic_quickstart_baseline.py')).model.track_head


def _build(head_cfg, oma_cfg=None, seed=0):
    cfg = copy.deepcopy(head_cfg)
    if oma_cfg is not None:
        cfg.type = 'OMAMask2FormerTrackHead'
        cfg.oma_cfg = oma_cfg
    torch.manual_seed(seed)
    head = MODELS.build(cfg)
    head.init_weights()
    return head


def _feats(head_cfg, num_images, seed=1):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(num_images, c, IMG[0] // s, IMG[1] // s, generator=g)
            for c, s in zip(head_cfg.in_channels, (4, 8, 16, 32))]


def _samples(num_videos, seed=2):
    """Videos of FRAMES frames, two instances each (one leaves in the last frame)."""
    rng = np.random.default_rng(seed)
    meta = dict(img_shape=IMG, ori_shape=IMG, pad_shape=IMG, batch_input_shape=IMG,
                scale_factor=(1., 1.))
    videos = []
    for _ in range(num_videos):
        frames = []
        for f in range(FRAMES):
            n = 2 if f < FRAMES - 1 else 1
            masks = np.zeros((n, *IMG), dtype=np.uint8)
            for i in range(n):
                y, x = rng.integers(0, IMG[0] - 20, size=2)
                masks[i, y:y + 20, x:x + 20] = 1
            frame = DetDataSample(metainfo=dict(meta, frame_id=f))
            frame.gt_instances = InstanceData(
                labels=torch.tensor([1, 3][:n]), instances_ids=torch.tensor([7, 9][:n]),
                masks=BitmapMasks(masks, *IMG))
            frames.append(frame)
        video = TrackDataSample()
        video.video_data_samples = frames
        videos.append(video)
    return videos


def test_same_parameters_and_state_dict_keys(head_cfg):
    plain = _build(head_cfg)
    oma = _build(head_cfg, dict(mode='hard', threshold=0.5))
    assert type(plain) is Mask2FormerTrackHead and isinstance(oma, OMAMask2FormerTrackHead)
    named = [(n, p.shape) for n, p in plain.named_parameters()]
    assert named == [(n, p.shape) for n, p in oma.named_parameters()]
    assert sum(p.numel() for p in plain.parameters()) == sum(p.numel() for p in oma.parameters())
    assert list(plain.state_dict()) == list(oma.state_dict())
    layers = oma.transformer_decoder.layers
    assert len(layers) == head_cfg.transformer_decoder.num_layers
    assert all(isinstance(la.self_attn, ObjectMaskedAttention) and la.self_attn.mode == 'hard'
               and la.self_attn.threshold == 0.5 for la in layers)
    assert not any(isinstance(la.cross_attn, ObjectMaskedAttention) for la in layers)
    # built under one seed, both heads start from the same weights
    assert all(torch.equal(a, b) for a, b in zip(plain.state_dict().values(),
                                                 oma.state_dict().values()))


def test_checkpoints_load_both_ways_strictly(head_cfg):
    plain = _build(head_cfg, seed=3)
    oma = _build(head_cfg, dict(mode='soft'), seed=4)
    oma.load_state_dict(plain.state_dict(), strict=True)
    assert all(torch.equal(a, b) for a, b in zip(plain.state_dict().values(),
                                                 oma.state_dict().values()))
    _build(head_cfg, seed=5).load_state_dict(oma.state_dict(), strict=True)


@torch.no_grad()
@pytest.mark.parametrize('training', [True, False])
def test_all_relevant_outputs_equal_plain_head_exactly(head_cfg, training):
    plain = _build(head_cfg, seed=6).train(training)
    oma = _build(head_cfg, dict(mode='hard', threshold=0.), seed=7).train(training)
    oma.load_state_dict(plain.state_dict())
    x = _feats(head_cfg, VIDEOS * FRAMES)
    samples = _samples(VIDEOS)
    cls_ref, mask_ref = plain(x, samples)
    cls_out, mask_out = oma(x, samples)
    assert len(cls_out) == len(cls_ref) == head_cfg.transformer_decoder.num_layers + 1
    assert len(mask_out) == len(mask_ref)
    for a, b in zip(cls_out + mask_out, cls_ref + mask_ref):
        assert a.shape == b.shape
        assert torch.equal(a, b)
    batch = VIDEOS if training else 1
    assert cls_out[0].shape == (batch, head_cfg.num_queries, head_cfg.num_classes + 1)
    assert mask_out[0].shape[:3] == (batch, head_cfg.num_queries, VIDEOS * FRAMES // batch)


@torch.no_grad()
@pytest.mark.parametrize('oma_cfg', [dict(mode='soft'), dict(mode='hard', threshold=0.85)])
def test_each_layer_gets_previous_layer_relevance(head_cfg, oma_cfg):
    """Layer i is gated by the (detached) relevance of prediction i; OMA changes the outputs."""
    plain = _build(head_cfg, seed=8).train()
    oma = _build(head_cfg, oma_cfg, seed=9).train()
    oma.load_state_dict(plain.state_dict())
    seen = []
    hooks = [la.register_forward_pre_hook(
        lambda m, args, kwargs: seen.append(kwargs['query_relevance']), with_kwargs=True)
        for la in oma.transformer_decoder.layers]
    x, samples = _feats(head_cfg, VIDEOS * FRAMES), _samples(VIDEOS)
    cls_out, mask_out = oma(x, samples)
    for h in hooks:
        h.remove()
    assert len(seen) == head_cfg.transformer_decoder.num_layers
    if oma_cfg['mode'] == 'hard':  # at this init some queries fall below 0.85, not all
        assert all(0 < (rel < 0.85).sum() < rel.numel() for rel in seen)
    for i, rel in enumerate(seen):
        assert rel.shape == (VIDEOS, head_cfg.num_queries)
        assert not rel.requires_grad
        assert torch.equal(rel, relevance_from_logits(cls_out[i]))
    cls_ref, mask_ref = plain(x, samples)
    assert torch.equal(cls_out[0], cls_ref[0])  # before any decoder layer
    assert not torch.allclose(cls_out[-1], cls_ref[-1])


@pytest.mark.parametrize('oma_cfg', [dict(mode='hard', threshold=0.5),
                                     dict(mode='hard', threshold=0.85), dict(mode='soft')])
def test_loss_is_finite_and_backpropagates(head_cfg, oma_cfg):
    cfg = copy.deepcopy(head_cfg)
    cfg.train_cfg.num_points = 256
    head = _build(cfg, oma_cfg, seed=10).train()
    x = [f.requires_grad_() for f in _feats(cfg, VIDEOS * FRAMES)]
    losses = head.loss(x, _samples(VIDEOS))
    assert {'loss_cls', 'loss_mask', 'loss_dice'} <= set(losses)
    total = sum(v for v in losses.values())
    assert torch.isfinite(total)
    total.backward()
    assert all(torch.isfinite(f.grad).all() and f.grad.abs().sum() > 0 for f in x)
    self_attn = head.transformer_decoder.layers[0].self_attn.attn
    assert self_attn.in_proj_weight.grad is not None
    assert self_attn.in_proj_weight.grad.abs().sum() > 0
    assert head.cls_embed.weight.grad.abs().sum() > 0
