"""One meaning of ``oma_cfg`` in every module that takes it: ``None`` or ``dict(mode='off')``
is plain attention; a dict with ``mode='hard' | 'soft'`` is OMA."""
import pytest
import torch
from mmcv.cnn.bricks.transformer import MultiheadAttention

import mvc_plugin.models  # noqa: F401  (registers every module)
from mmdet.models.layers.transformer import Mask2FormerTransformerDecoderLayer
from mmdet.registry import MODELS
from mvc_plugin.models.layers import ObjectMaskedAttention, resolve_oma_cfg

C, H = 16, 2
LAYER = dict(self_attn_cfg=dict(embed_dims=C, num_heads=H, batch_first=True),
             cross_attn_cfg=dict(embed_dims=C, num_heads=H, batch_first=True),
             ffn_cfg=dict(embed_dims=C, feedforward_channels=32))
# every registered module with an ``oma_cfg`` argument, at a tiny size
MODULES = {
    'OMATransformerDecoderLayer': dict(**LAYER),
    'OMATransformerDecoder': dict(num_layers=2, layer_cfg=LAYER),
    'ReferringTracker': dict(embed_dims=C, num_heads=H, num_layers=1, ffn_channels=32,
                             mask_dims=C, num_classes=3),
    'TemporalRefiner': dict(embed_dims=C, num_heads=H, num_layers=1, ffn_channels=32,
                            mask_dims=C, num_classes=3),
    'DVISPlusReferringTracker': dict(embed_dims=C, num_heads=H, num_layers=1,
                                     ffn_channels=32, mask_dims=C, num_classes=3),
    'DVISPlusTemporalRefiner': dict(embed_dims=C, num_heads=H, num_layers=1,
                                    ffn_channels=32, mask_dims=C, num_classes=3),
}


def _oma_modes(module):
    return [m.mode for m in module.modules() if isinstance(m, ObjectMaskedAttention)]


@pytest.mark.parametrize('name', sorted(MODULES))
@pytest.mark.parametrize('off', [None, dict(mode='off'), dict(mode='off', threshold=0.9)])
def test_none_and_off_are_plain_attention_everywhere(name, off):
    module = MODELS.build(dict(type=name, oma_cfg=off, **MODULES[name]))
    assert all(mode == 'off' for mode in _oma_modes(module)), (name, _oma_modes(module))
    on = MODELS.build(dict(type=name, oma_cfg=dict(mode='soft'), **MODULES[name]))
    assert _oma_modes(on) and all(mode == 'soft' for mode in _oma_modes(on))
    assert set(on.state_dict()) == set(module.state_dict())  # OMA adds no parameters


def test_track_head_none_is_plain():
    head_cfg = dict(type='OMAMask2FormerTrackHead', oma_cfg=None)
    assert resolve_oma_cfg(head_cfg['oma_cfg']) is None  # the head stores mode='off' then
    assert resolve_oma_cfg(dict(mode='hard', threshold=0.5)) == dict(mode='hard', threshold=0.5)


@torch.no_grad()
def test_off_attention_ignores_relevance_and_equals_plain():
    torch.manual_seed(0)
    plain = MultiheadAttention(C, H, batch_first=True).eval()
    off = ObjectMaskedAttention(C, H, batch_first=True, mode='off').eval()
    off.load_state_dict(plain.state_dict())
    q, k = torch.randn(2, 5, C), torch.randn(2, 6, C)
    background = torch.zeros(2, 6)  # hard / soft OMA would change every row
    assert torch.equal(off(q, k, k, key_relevance=background), plain(q, k, k))


@torch.no_grad()
def test_decoder_layer_with_none_equals_mmdet_layer():
    torch.manual_seed(1)
    plain = Mask2FormerTransformerDecoderLayer(**LAYER).eval()
    ours = MODELS.build(dict(type='OMATransformerDecoderLayer', oma_cfg=None, **LAYER)).eval()
    ours.load_state_dict(plain.state_dict())
    q, feats = torch.randn(2, 4, C), torch.randn(2, 9, C)
    out = ours(q, feats, feats, query_relevance=torch.zeros(2, 4))
    assert torch.equal(out, plain(q, feats, feats))
    hard = MODELS.build(dict(type='OMATransformerDecoderLayer', oma_cfg=dict(mode='hard'),
                             **LAYER)).eval()
    hard.load_state_dict(plain.state_dict())
    rel = torch.tensor([[1., 0., 1., 0.]] * 2)
    assert not torch.allclose(hard(q, feats, feats, query_relevance=rel), out)


@pytest.mark.parametrize('bad, match', [(dict(mode='medium'), 'mode must be one of'),
                                        ('hard', 'must be None or a dict')])
def test_bad_oma_cfg_is_named(bad, match):
    with pytest.raises((ValueError, TypeError), match=match):
        resolve_oma_cfg(bad)
