"""MVCConsistencyLoss: dense KL, Hungarian-matched query terms, gradients, validation, registry."""
import math

import pytest
import torch

import mvc_plugin  # noqa: F401  (registers the loss)
from mvc_plugin.models.losses import MVCConsistencyLoss


def _queries(b=2, q=5, k=4, mask_shape=(8, 8), seed=0, requires_grad=False):
    g = torch.Generator().manual_seed(seed)
    cls = torch.randn(b, q, k + 1, generator=g) * 3
    masks = torch.randn(b, q, *mask_shape, generator=g) * 3
    return cls.requires_grad_(requires_grad), masks.requires_grad_(requires_grad)


# --------------------------------------------------------------------------- dense


def test_dense_identical_is_zero():
    logits = torch.randn(2, 5, 8, 8)
    loss = MVCConsistencyLoss()(logits, logits.clone())
    assert loss.dim() == 0
    assert loss.abs().item() < 1e-6


def test_dense_different_is_positive():
    torch.manual_seed(0)
    loss = MVCConsistencyLoss()(torch.randn(2, 5, 8, 8), torch.randn(2, 5, 8, 8))
    assert loss.item() > 0


def test_dense_matches_manual_kl_and_scales():
    torch.manual_seed(1)
    m, c = torch.randn(2, 3, 4, 4), torch.randn(2, 3, 4, 4)
    t = 2.0
    p = torch.softmax(c / t, 1)
    manual = (p * (p.log() - torch.log_softmax(m / t, 1))).sum(1).mean() * t * t
    loss = MVCConsistencyLoss(temperature=t)(m, c)
    assert torch.allclose(loss, manual, atol=1e-6)
    assert torch.allclose(MVCConsistencyLoss(loss_weight=3.0, temperature=t)(m, c), 3 * loss)


def test_dense_gradient_only_to_masked():
    torch.manual_seed(2)
    masked = torch.randn(2, 5, 8, 8, requires_grad=True)
    clean = torch.randn(2, 5, 8, 8, requires_grad=True)
    MVCConsistencyLoss()(masked, clean).backward()
    assert masked.grad is not None and masked.grad.abs().sum() > 0
    assert clean.grad is None


def test_dense_shape_mismatch_raises():
    with pytest.raises(ValueError, match='shape'):
        MVCConsistencyLoss()(torch.randn(2, 5, 8, 8), torch.randn(2, 5, 4, 4))


# --------------------------------------------------------------------------- queries


@pytest.mark.parametrize('mask_shape', [(8, 8), (2, 6, 6), (40, 36)])  # image, video, pooled
def test_query_permutation_invariance(mask_shape):
    masked = _queries(mask_shape=mask_shape, seed=0)
    cls_c, mask_c = _queries(mask_shape=mask_shape, seed=1)
    loss_fn = MVCConsistencyLoss(match_size=32)
    base = loss_fn(masked, (cls_c, mask_c))
    assert torch.isfinite(base) and base.item() > 0
    for seed in range(3):
        perm = torch.randperm(cls_c.shape[1], generator=torch.Generator().manual_seed(seed))
        permuted = loss_fn(masked, (cls_c[:, perm], mask_c[:, perm]))
        assert torch.allclose(permuted, base, atol=1e-5)


def test_query_matching_recovers_permutation():
    cls_m, mask_m = _queries(seed=3)
    cls_m = cls_m * 5  # sharp, distinct class distributions
    perm = torch.tensor([3, 0, 4, 1, 2])
    pairs = MVCConsistencyLoss().match((cls_m, mask_m), (cls_m[:, perm], mask_m[:, perm]))
    assert len(pairs) == 2
    for rows, cols in pairs:
        assert torch.equal(perm[cols], rows)  # clean query cols[i] is masked query rows[i]


def test_query_identical_views_class_term_vanishes():
    cls_m, mask_m = _queries(seed=4)
    only_cls = MVCConsistencyLoss(mask_weight=0.0, dice_weight=0.0)
    perm = torch.tensor([1, 2, 3, 4, 0])
    loss = only_cls((cls_m * 5, mask_m), (cls_m[:, perm] * 5, mask_m[:, perm]))
    assert loss.abs().item() < 1e-5


def test_query_gradients_only_to_masked():
    cls_m, mask_m = _queries(seed=5, requires_grad=True)
    cls_c, mask_c = _queries(seed=6, requires_grad=True)
    loss = MVCConsistencyLoss()([cls_m, mask_m], [cls_c, mask_c])  # lists are accepted
    assert torch.isfinite(loss)
    loss.backward()
    for t in (cls_m, mask_m):
        assert t.grad is not None and torch.isfinite(t.grad).all() and t.grad.abs().sum() > 0
    assert cls_c.grad is None and mask_c.grad is None


def test_query_shape_mismatch_raises():
    with pytest.raises(ValueError, match='shape'):
        MVCConsistencyLoss()(_queries(q=5), _queries(q=4))


def test_query_loss_weight_scales():
    m, c = _queries(seed=7), _queries(seed=8)
    one = MVCConsistencyLoss()(m, c)
    assert torch.allclose(MVCConsistencyLoss(loss_weight=0.5)(m, c), 0.5 * one)


# --------------------------------------------------------------------------- config


@pytest.mark.parametrize('temperature', [0.0, -1.0])
def test_bad_temperature_raises(temperature):
    with pytest.raises(ValueError, match='temperature'):
        MVCConsistencyLoss(temperature=temperature)


@pytest.mark.parametrize('scope', ['mmdet', 'mmseg'])
def test_registered(scope):
    if scope == 'mmdet':
        from mmdet.registry import MODELS
    else:
        from mmseg.registry import MODELS
    assert MODELS.get('MVCConsistencyLoss') is MVCConsistencyLoss
    loss = MODELS.build(dict(type='MVCConsistencyLoss', loss_weight=2.0, temperature=0.5))
    assert isinstance(loss, MVCConsistencyLoss)
    assert loss.loss_weight == 2.0 and math.isclose(loss.temperature, 0.5)
