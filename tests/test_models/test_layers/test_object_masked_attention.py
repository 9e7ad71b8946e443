"""ObjectMaskedAttention against mmcv's plain MultiheadAttention with the same weights."""
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from mmcv.cnn.bricks.transformer import MultiheadAttention

import mvc_plugin.models.layers  # noqa: F401  (registers the OMA modules)
from mmdet.models.layers.transformer import Mask2FormerTransformerDecoderLayer
from mmdet.registry import MODELS
from mvc_plugin.models.layers import (ObjectMaskedAttention, OMATransformerDecoderLayer,
                                      relevance_from_logits)

B, Q, K, C, H = 2, 5, 6, 16, 2


def _pair(mode='hard', threshold='auto', batch_first=True, seed=0):
    torch.manual_seed(seed)
    plain = MultiheadAttention(C, H, batch_first=batch_first).eval()
    oma = ObjectMaskedAttention(C, H, batch_first=batch_first, mode=mode,
                                threshold=threshold).eval()
    oma.load_state_dict(plain.state_dict())
    return plain, oma


def _inputs(seed=1, q=Q, k=K):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(B, q, C, generator=g), torch.randn(B, k, C, generator=g),
            torch.randn(B, q, C, generator=g))


def _background():
    """Relevance with planted background keys: 1 and 3 in video 0, 0 in video 1."""
    rel = torch.ones(B, K)
    rel[0, [1, 3]] = 0.
    rel[1, 0] = 0.
    return rel


def _bg_mass(weights, rel):
    """Attention mass of every (b, head, query) row on the keys with relevance 0."""
    return (weights * (rel == 0)[:, None, None, :]).sum(-1)


@torch.no_grad()
def test_plain_weights_match_wrapped_attention():
    plain, oma = _pair()
    q, k, pos = _inputs()
    w = oma.attention_weights(q, k, query_pos=pos)
    _, ref = plain.attn((q + pos).transpose(0, 1), k.transpose(0, 1), k.transpose(0, 1),
                        average_attn_weights=False)
    assert w.shape == (B, H, Q, K)
    assert torch.equal(w, ref)


@torch.no_grad()
def test_hard_puts_zero_mass_on_background_keys():
    plain, oma = _pair('hard')
    q, k, _ = _inputs()
    rel = _background()
    w = oma.attention_weights(q, k, key_relevance=rel)
    assert torch.all(_bg_mass(w, rel) == 0)
    assert torch.allclose(w.sum(-1), torch.ones(B, H, Q))
    assert torch.all(_bg_mass(oma.attention_weights(q, k), rel) > 0)  # plain attends to them
    out = oma(q, k, k, key_relevance=rel)
    assert torch.isfinite(out).all()
    assert not torch.allclose(out, plain(q, k, k))


@torch.no_grad()
@pytest.mark.parametrize('threshold', [None, 0.3])
def test_soft_puts_strictly_less_mass_on_background_keys(threshold):
    plain, oma = _pair('soft', threshold=threshold)
    q, k, _ = _inputs()
    rel = _background()
    rel[0, 0] = 0.6  # a partly relevant key (kept by both thresholds)
    w_oma = oma.attention_weights(q, k, key_relevance=rel)
    w_plain = oma.attention_weights(q, k)
    assert torch.all(_bg_mass(w_oma, rel) < _bg_mass(w_plain, rel))
    assert torch.all(_bg_mass(w_oma, rel) > 0)  # soft: suppressed, not removed
    # soft OMA scales each key's unnormalised weight by its relevance (key 2 has r = 1)
    ratio_oma = w_oma[0, :, :, 0] / w_oma[0, :, :, 2]
    ratio_plain = w_plain[0, :, :, 0] / w_plain[0, :, :, 2]
    assert torch.allclose(ratio_oma, 0.6 * ratio_plain, rtol=1e-4)
    assert torch.isfinite(oma(q, k, k, key_relevance=rel)).all()


@torch.no_grad()
def test_soft_threshold_zeroes_low_relevance():
    _, no_thr = _pair('soft', threshold=None)
    _, thr = _pair('soft', threshold=0.5)
    q, k, _ = _inputs()
    rel = torch.full((B, K), 0.4)
    rel[:, 0] = 1.
    assert torch.all(thr.attention_weights(q, k, key_relevance=rel)[..., 1:]
                     < no_thr.attention_weights(q, k, key_relevance=rel)[..., 1:])


@torch.no_grad()
@pytest.mark.parametrize('mode', ['hard', 'soft'])
def test_all_relevant_is_exactly_plain_attention(mode):
    plain, oma = _pair(mode)
    q, k, pos = _inputs()
    ref = plain(q, k, k, query_pos=pos)
    assert torch.equal(oma(q, k, k, query_pos=pos), ref)
    assert torch.equal(oma(q, k, k, query_pos=pos, key_relevance=torch.ones(B, K)), ref)
    bool_mask = torch.rand(Q, K) > 0.7
    bool_mask[:, 0] = False
    kpm = torch.zeros(B, K, dtype=torch.bool)
    kpm[1, -1] = True
    ref = plain(q, k, k, attn_mask=bool_mask, key_padding_mask=kpm)
    out = oma(q, k, k, attn_mask=bool_mask, key_padding_mask=kpm, key_relevance=torch.ones(B, K))
    assert torch.equal(out, ref)
    # the no-op path hands the caller's masks to the parent as they are (same kernel path)
    masks = oma.oma_masks(q, k, torch.ones(B, K), bool_mask, kpm)
    assert masks[0] is bool_mask and masks[1] is kpm


@torch.no_grad()
def test_hard_threshold_zero_is_exactly_plain_attention():
    plain, oma = _pair('hard', threshold=0.)
    q, k, _ = _inputs()
    assert torch.equal(oma(q, k, k, key_relevance=torch.rand(B, K)), plain(q, k, k))


@torch.no_grad()
def test_all_background_rows_fall_back_to_plain_attention():
    plain, oma = _pair('hard')
    q, k, _ = _inputs()
    ref = plain(q, k, k)
    # every key of every video irrelevant: OMA is dropped everywhere, exactly
    assert torch.equal(oma(q, k, k, key_relevance=torch.zeros(B, K)), ref)
    # video 0 all background, video 1 partly: video 0 falls back, video 1 is masked
    rel = torch.ones(B, K)
    rel[0] = 0.
    rel[1, :2] = 0.
    out = oma(q, k, k, key_relevance=rel)
    assert torch.isfinite(out).all()
    assert torch.allclose(out[0], ref[0], atol=1e-6)
    assert not torch.allclose(out[1], ref[1])
    w = oma.attention_weights(q, k, key_relevance=rel)
    assert torch.allclose(w[0], oma.attention_weights(q, k)[0], atol=1e-6)
    assert torch.all(w[1, ..., :2] == 0)


@torch.no_grad()
def test_rows_emptied_by_the_given_mask_fall_back_per_row():
    """Query 0 may only see key 1 (background): that row keeps key 1, the others drop it."""
    plain, oma = _pair('hard')
    q, k, _ = _inputs()
    attn_mask = torch.zeros(Q, K, dtype=torch.bool)
    attn_mask[0] = True
    attn_mask[0, 1] = False
    rel = torch.ones(B, K)
    rel[:, 1] = 0.
    w = oma.attention_weights(q, k, attn_mask=attn_mask, key_relevance=rel)
    assert torch.equal(w[:, :, 0, 1], torch.ones(B, H))
    assert torch.all(w[:, :, 1:, 1] == 0)
    out = oma(q, k, k, attn_mask=attn_mask, key_relevance=rel)
    assert torch.isfinite(out).all()
    ref = plain(q, k, k, attn_mask=attn_mask)
    assert torch.allclose(out[:, 0], ref[:, 0], atol=1e-6)


@torch.no_grad()
@pytest.mark.parametrize('kind', ['bool2d', 'bool3d', 'float3d', 'padding'])
def test_combined_with_given_masks_matches_manual_mask(kind):
    """Hard OMA + a given mask == plain attention with the union of both masks."""
    plain, oma = _pair('hard')
    q, k, _ = _inputs()
    rel = _background()
    g = torch.Generator().manual_seed(3)
    given_bool = torch.rand(B * H, Q, K, generator=g) > 0.6
    given_bool[..., 2] = False  # key 2 is relevant everywhere: no row is emptied
    kwargs, union = {}, given_bool
    if kind == 'bool2d':
        kwargs['attn_mask'] = given_bool[0]
        union = given_bool[0].expand(B * H, Q, K)
    elif kind == 'bool3d':
        kwargs['attn_mask'] = given_bool
    elif kind == 'float3d':
        kwargs['attn_mask'] = torch.zeros(B * H, Q, K).masked_fill(given_bool, float('-inf'))
    else:
        kwargs['key_padding_mask'] = given_bool.view(B, H, Q, K)[:, 0, 0]
        union = kwargs['key_padding_mask'][:, None, None, :].expand(B, H, Q, K).reshape(
            B * H, Q, K)
    union = union | (rel == 0)[:, None, None, :].expand(B, H, Q, K).reshape(B * H, Q, K)
    out = oma(q, k, k, key_relevance=rel, **kwargs)
    assert torch.allclose(out, plain(q, k, k, attn_mask=union), atol=1e-6)
    w = oma.attention_weights(q, k, key_relevance=rel, **kwargs).reshape(B * H, Q, K)
    assert torch.all(w[union] == 0)


@torch.no_grad()
def test_batch_first_false_matches_batch_first_true():
    _, first = _pair('hard', batch_first=True)
    _, seq = _pair('hard', batch_first=False)
    q, k, _ = _inputs()
    rel = _background()
    out_seq = seq(q.transpose(0, 1), k.transpose(0, 1), k.transpose(0, 1), key_relevance=rel)
    assert torch.equal(out_seq.transpose(0, 1), first(q, k, k, key_relevance=rel))


@torch.no_grad()
def test_shape_errors():
    _, oma = _pair('hard')
    q, k, _ = _inputs()
    with pytest.raises(ValueError, match=r'\(batch, num_keys\) = \(2, 6\).*\(2, 7\)'):
        oma(q, k, k, key_relevance=torch.ones(B, K + 1))
    with pytest.raises(ValueError, match=r'\(3, 6\)'):
        oma(q, k, k, key_relevance=torch.ones(B + 1, K))
    with pytest.raises(ValueError, match='key_relevance'):
        oma(q, k, k, key_relevance=torch.ones(K))
    with pytest.raises(ValueError, match='embed dims mismatch'):
        oma(q, torch.randn(B, K, C // 2), key_relevance=torch.ones(B, K))
    with pytest.raises(ValueError, match='batch sizes'):
        oma(q, torch.randn(B + 1, K, C), key_relevance=torch.ones(B + 1, K))
    with pytest.raises(ValueError, match='attn_mask'):
        oma(q, k, k, attn_mask=torch.zeros(Q, K + 1, dtype=torch.bool),
            key_relevance=_background())
    with pytest.raises(ValueError, match='mode'):
        ObjectMaskedAttention(C, H, mode='medium')
    with pytest.raises(ValueError, match='threshold'):
        ObjectMaskedAttention(C, H, mode='hard', threshold=None)


def test_defaults_registry_and_relevance_from_logits():
    hard = MODELS.build(dict(type='ObjectMaskedAttention', embed_dims=C, num_heads=H))
    soft = MODELS.build(dict(type='ObjectMaskedAttention', embed_dims=C, num_heads=H,
                             mode='soft'))
    assert (hard.mode, hard.threshold, soft.mode, soft.threshold) == ('hard', 0.5, 'soft', None)
    logits = torch.tensor([[0., 0., 100.], [0., 0., -100.], [0., 0., 0.]])
    rel = relevance_from_logits(logits)
    assert torch.allclose(rel, torch.tensor([0., 1., 2 / 3]), atol=1e-6)
    assert torch.equal(relevance_from_logits(logits, threshold=0.7),
                       torch.where(rel < 0.7, torch.zeros_like(rel), rel))


@torch.no_grad()
def test_decoder_layer_passes_query_relevance_to_self_attention():
    cfg = dict(self_attn_cfg=dict(embed_dims=C, num_heads=H, dropout=0.0),
               cross_attn_cfg=dict(embed_dims=C, num_heads=H, dropout=0.0),
               ffn_cfg=dict(embed_dims=C, feedforward_channels=32))
    torch.manual_seed(0)
    plain = Mask2FormerTransformerDecoderLayer(**cfg).eval()
    torch.manual_seed(0)
    layer = MODELS.build(dict(type='OMATransformerDecoderLayer', oma_cfg=dict(mode='hard'),
                              **cfg)).eval()
    assert isinstance(layer, OMATransformerDecoderLayer)
    assert isinstance(layer.self_attn, ObjectMaskedAttention)
    assert type(layer.cross_attn) is MultiheadAttention
    sd, sd_plain = layer.state_dict(), plain.state_dict()
    assert list(sd) == list(sd_plain) and all(torch.equal(sd[n], sd_plain[n]) for n in sd)
    q, mem, pos = torch.randn(B, Q, C), torch.randn(B, 8, C), torch.randn(B, Q, C)
    ref = plain(q, mem, mem, query_pos=pos)
    assert torch.equal(layer(q, mem, mem, query_pos=pos), ref)
    assert torch.equal(layer(q, mem, mem, query_pos=pos, query_relevance=torch.ones(B, Q)), ref)
    rel = torch.ones(B, Q)
    rel[:, 1:3] = 0.
    assert not torch.allclose(layer(q, mem, mem, query_pos=pos, query_relevance=rel), ref)


PATTERNS = st.sampled_from(['zeros', 'ones', 'random', 'binary'])


@settings(max_examples=40, deadline=None)
@given(pattern=PATTERNS, mode=st.sampled_from(['hard', 'soft']),
       threshold=st.one_of(st.none(), st.floats(0., 1.)), seed=st.integers(0, 2 ** 16),
       with_mask=st.booleans())
def test_property_outputs_are_finite(pattern, mode, threshold, seed, with_mask):
    if mode == 'hard' and threshold is None:
        threshold = 0.5
    g = torch.Generator().manual_seed(seed)
    rel = {'zeros': torch.zeros(B, K), 'ones': torch.ones(B, K),
           'random': torch.rand(B, K, generator=g),
           'binary': (torch.rand(B, K, generator=g) > 0.5).float()}[pattern]
    attn_mask = None
    if with_mask:  # random given mask that leaves every row one key (else plain attention NaNs)
        attn_mask = torch.rand(B * H, Q, K, generator=g) > 0.5
        attn_mask[torch.arange(B * H)[:, None], torch.arange(Q), torch.arange(Q) % K] = False
    _, oma = _pair(mode, threshold=threshold, seed=seed % 7)
    q, k, _ = _inputs(seed)
    with torch.no_grad():
        out = oma(q, k, k, attn_mask=attn_mask, key_relevance=rel)
        w = oma.attention_weights(q, k, attn_mask=attn_mask, key_relevance=rel)
    assert torch.isfinite(out).all()
    assert torch.allclose(w.sum(-1), torch.ones(B, H, Q), atol=1e-5)
    if mode == 'hard':  # a row keeps a below-threshold key only if it has no other key
        allowed = torch.ones(B, H, Q, K, dtype=torch.bool) if attn_mask is None \
            else ~attn_mask.view(B, H, Q, K)
        relevant = (rel >= threshold)[:, None, None, :]
        kept_rows = (allowed & relevant).any(-1)
        assert torch.all(w[kept_rows] * ~relevant.expand_as(w)[kept_rows] == 0)
