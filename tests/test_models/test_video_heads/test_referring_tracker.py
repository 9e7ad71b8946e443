"""ReferringTracker: shapes, OMA on the referring keys, query noising, one-frame clips."""
import pytest
import torch
from mmcv.cnn.bricks.transformer import MultiheadAttention

from mmdet.registry import MODELS
from mvc_plugin.models.layers import ObjectMaskedAttention
from mvc_plugin.models.video_heads import ReferringTracker

B, T, N, C, K, CM = 2, 3, 5, 16, 4, 8


def _tracker(**kwargs) -> ReferringTracker:
    torch.manual_seed(0)
    cfg = dict(type='ReferringTracker', num_layers=2, embed_dims=C, num_heads=2,
               ffn_channels=32, num_classes=K, mask_dims=CM)
    cfg.update(kwargs)
    return MODELS.build(cfg).eval()


def _clip(t=T, seed=1):
    g = torch.Generator().manual_seed(seed)
    queries = torch.randn(B, t, N, C, generator=g)
    logits = torch.zeros(B, t, N, K + 1)
    logits[..., :2, 0] = 8.0  # queries 0, 1: objects
    logits[..., 2:, K] = 8.0  # queries 2.. : no-object
    return queries, logits


def test_shapes_and_step_matches_forward():
    tracker = _tracker()
    queries, logits = _clip()
    with torch.no_grad():
        objects = tracker(queries, logits)
        cls_logits, masks = tracker.predict_heads(objects, torch.randn(B, T, CM, 6, 7))
        first = tracker.step(None, queries[:, 0], logits[:, 0])
        second = tracker.step(first, queries[:, 1], logits[:, 1])
    assert objects.shape == (B, T, N, C)
    assert cls_logits.shape == (B, T, N, K + 1) and masks.shape == (B, T, N, 6, 7)
    torch.testing.assert_close(objects[:, 0], first)
    torch.testing.assert_close(objects[:, 1], second)


def test_referring_keys_use_oma():
    """Hard OMA: a no-object query of the current frame cannot change the tracked objects."""
    tracker = _tracker(oma_cfg=dict(mode='hard', threshold=0.5))
    assert all(isinstance(layer.cross_attn, ObjectMaskedAttention) for layer in tracker.layers)
    assert tracker.layers[0].cross_attn.mode == 'hard'
    queries, logits = _clip()
    prev = torch.randn(B, N, C)
    with torch.no_grad():
        ref = tracker.step(prev, queries[:, 0], logits[:, 0])
        no_obj = queries[:, 0].clone()
        no_obj[:, 3] += 5.0  # a no-object key changes
        same = tracker.step(prev, no_obj, logits[:, 0])
        obj = queries[:, 0].clone()
        obj[:, 0] += 5.0  # an object key changes
        diff = tracker.step(prev, obj, logits[:, 0])
    torch.testing.assert_close(same, ref)  # the blocked key changes nothing
    assert not torch.allclose(diff, ref)


def test_without_oma_every_key_counts():
    tracker = _tracker(oma_cfg=None)
    assert type(tracker.layers[0].cross_attn) is MultiheadAttention
    queries, logits = _clip()
    prev = torch.randn(B, N, C)
    with torch.no_grad():
        ref = tracker.step(prev, queries[:, 0], logits[:, 0])
        no_obj = queries[:, 0].clone()
        no_obj[:, 3] += 5.0
        changed = tracker.step(prev, no_obj, logits[:, 0])
    assert not torch.allclose(changed[:, [0, 1]], ref[:, [0, 1]])


def test_frame_without_objects_is_finite():
    """All keys blocked: the sink key keeps attention defined (no NaN)."""
    tracker = _tracker()
    queries, logits = _clip()
    logits[..., :K] = -8.0
    logits[..., K] = 8.0
    with torch.no_grad():
        out = tracker(queries, logits)
    assert torch.isfinite(out).all()


def test_query_noising_only_in_training():
    tracker = _tracker(noise_ratio=1.0)
    queries, logits = _clip()
    reference = torch.randn(B, N, C)
    noised = tracker.noised_reference(reference, queries[:, 0])
    # every reference is now some *other* slot's query of the frame
    for b in range(B):
        for i in range(N):
            hits = [j for j in range(N) if torch.equal(noised[b, i], queries[b, 0, j])]
            assert hits and i not in hits
    with torch.no_grad():  # eval: deterministic, no noise
        torch.testing.assert_close(tracker(queries, logits), tracker(queries, logits))
    tracker.train()
    torch.manual_seed(0)
    noisy = tracker(queries, logits)
    tracker.noise_ratio = 0.0
    torch.manual_seed(0)
    clean = tracker(queries, logits)
    assert not torch.allclose(noisy[:, 1:], clean[:, 1:])


def test_one_frame_clip():
    tracker = _tracker()
    queries, logits = _clip(t=1)
    with torch.no_grad():
        out = tracker(queries, logits)
    assert out.shape == (B, 1, N, C) and torch.isfinite(out).all()


def test_invalid_arguments():
    with pytest.raises(ValueError, match='noise_ratio'):
        _tracker(noise_ratio=1.5)
    tracker = _tracker()
    with pytest.raises(ValueError, match='frame_queries'):
        tracker.step(None, torch.randn(B, N, C + 1), torch.randn(B, N, K + 1))
