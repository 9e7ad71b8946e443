"""TemporalRefiner: shapes, OMA cross-attention, temporal mixing, attention-pooled class."""
import pytest
import torch

from mmdet.registry import MODELS
from mvc_plugin.models.layers import ObjectMaskedAttention
from mvc_plugin.models.video_heads import TemporalRefiner

B, T, N, C, K, CM = 2, 4, 5, 16, 3, 8


def _refiner(**kwargs) -> TemporalRefiner:
    torch.manual_seed(0)
    cfg = dict(type='TemporalRefiner', num_layers=2, embed_dims=C, num_heads=2,
               ffn_channels=32, kernel_size=3, num_classes=K, mask_dims=CM)
    cfg.update(kwargs)
    return MODELS.build(cfg).eval()


def _inputs(t=T):
    g = torch.Generator().manual_seed(1)
    logits = torch.zeros(B, t, N, K + 1)
    logits[..., 3:, K] = 8.0  # the last two frame queries are no-object
    return (torch.randn(B, t, N, C, generator=g), torch.randn(B, t, N, C, generator=g), logits)


def test_shapes():
    refiner = _refiner()
    objects, queries, logits = _inputs()
    with torch.no_grad():
        refined = refiner(objects, queries, logits)
        video_logits, masks = refiner.predict_heads(refined, torch.randn(B, T, CM, 6, 7))
    assert refined.shape == (B, T, N, C)
    assert video_logits.shape == (B, N, K + 1) and masks.shape == (B, T, N, 6, 7)
    assert isinstance(refiner.layers[0].cross_attn, ObjectMaskedAttention)


def test_every_frame_sees_the_others():
    """Temporal attention + conv: changing frame 0 changes the refined frame T-1."""
    refiner = _refiner()
    objects, queries, logits = _inputs()
    with torch.no_grad():
        ref = refiner(objects, queries, logits)
        objects[:, 0] += 1.0
        changed = refiner(objects, queries, logits)
    assert not torch.allclose(ref[:, -1], changed[:, -1])


def test_no_object_queries_are_ignored():
    refiner = _refiner(oma_cfg=dict(mode='hard', threshold=0.5))
    objects, queries, logits = _inputs()
    with torch.no_grad():
        ref = refiner(objects, queries, logits)
        queries[:, :, 3:] += 3.0
        same = refiner(objects, queries, logits)
    torch.testing.assert_close(ref, same)


def test_video_class_is_attention_pooled():
    refiner = _refiner()
    frame = torch.randn(B, 1, N, C)
    with torch.no_grad():  # identical frames: the pooled class is that frame's class
        pooled = refiner.video_logits(frame.expand(-1, T, -1, -1))
        torch.testing.assert_close(pooled, refiner.heads.classify(frame[:, 0]))


def test_one_frame_and_invalid():
    refiner = _refiner()
    with torch.no_grad():
        out = refiner(*_inputs(t=1))
    assert out.shape == (B, 1, N, C) and torch.isfinite(out).all()
    with pytest.raises(ValueError, match='kernel_size'):
        _refiner(kernel_size=2)
    with pytest.raises(ValueError, match='objects'):
        refiner(torch.randn(B, N, C), *_inputs()[1:])
