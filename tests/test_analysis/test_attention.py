"""Attention mass on background keys: hand-made weights, planted background queries."""
import copy

import pytest
import torch
from mmcv.cnn.bricks.transformer import MultiheadAttention
from torch import nn

from mvc_plugin.analysis.attention import (AttentionProbe, attention_mass, find_query_head,
                                           query_attention_weights)
from mvc_plugin.analysis.runner import AnalysisSettings, run_analysis
from mvc_plugin.models.layers.object_masked_attention import (ObjectMaskedAttention,
                                                              relevance_from_logits)

DIM, QUERIES, CLASSES = 8, 6, 3
BACKGROUND = (0, 2, 5)  # planted no-object queries


def test_attention_mass_by_hand():
    w = torch.tensor([[[[0.5, 0.25, 0.25], [0.0, 1.0, 0.0], [0.2, 0.2, 0.6]]]])
    rel = torch.tensor([[0.2, 0.9, 0.1]])  # keys 0 and 2 are background at tau 0.5
    m = attention_mass(w, rel, 0.5)
    assert m['background_key_share'].item() == pytest.approx(2 / 3)
    assert m['mass_on_background'].item() == pytest.approx((0.75 + 0.0 + 0.8) / 3)
    assert m['object_query_mass_on_background'].item() == pytest.approx(0.0)  # query 1 only
    assert m['num_background'].item() == 2


class _Layer(nn.Module):
    def __init__(self, attn: nn.Module) -> None:
        super().__init__()
        self.self_attn = attn


class _ToyHead(nn.Module):
    """Mask2Former-shaped: classify the queries, then self-attention gated (OMA) or not."""

    def __init__(self, attn: nn.Module) -> None:
        super().__init__()
        self.cls_embed = nn.Linear(DIM, CLASSES + 1)
        self.transformer_decoder = nn.Module()
        self.transformer_decoder.layers = nn.ModuleList([_Layer(attn)])
        with torch.no_grad():  # the no-object logit fires on the planted queries' features
            self.cls_embed.weight.zero_()
            self.cls_embed.bias.zero_()
            for q in BACKGROUND:
                self.cls_embed.weight[-1, q] = 10.0

    def forward(self, query: torch.Tensor) -> torch.Tensor:
        cls = self.cls_embed(query)
        attn = self.transformer_decoder.layers[0].self_attn
        extra = {'key_relevance': relevance_from_logits(cls)} \
            if isinstance(attn, ObjectMaskedAttention) else {}
        return attn(query=query, key=query, value=query, query_pos=query, key_pos=query,
                    attn_mask=None, **extra)


class _ToyModel(nn.Module):
    def __init__(self, attn: nn.Module) -> None:
        super().__init__()
        self.track_head = _ToyHead(attn)


def _modules():
    torch.manual_seed(0)
    plain = MultiheadAttention(embed_dims=DIM, num_heads=2, batch_first=True).eval()
    hard = ObjectMaskedAttention(embed_dims=DIM, num_heads=2, batch_first=True, mode='hard')
    soft = ObjectMaskedAttention(embed_dims=DIM, num_heads=2, batch_first=True, mode='soft')
    hard.load_state_dict(plain.state_dict())
    soft.load_state_dict(plain.state_dict())
    return plain, hard.eval(), soft.eval()


def _probe(attn: nn.Module) -> dict:
    model = _ToyModel(attn).eval()
    query = torch.eye(QUERIES, DIM).repeat(2, 1, 1) * 3 + 0.01 * torch.randn(2, QUERIES, DIM)
    with AttentionProbe(model, tau=0.5) as probe, torch.no_grad():
        model.track_head(query)
    assert not attn._forward_hooks and not model.track_head.cls_embed._forward_hooks
    return probe.summary()[0]


def test_hard_oma_puts_no_mass_on_planted_background_keys():
    plain, hard, soft = _modules()
    rows = {name: _probe(m) for name, m in (('plain', plain), ('hard', hard), ('soft', soft))}
    for row in rows.values():
        assert (row['calls'], row['calls_mixed']) == (2, 2)
        assert row['background_key_share'] == pytest.approx(len(BACKGROUND) / QUERIES)
    assert rows['hard']['mass_on_background'] == 0.0
    assert rows['hard']['mass_on_objects'] == 1.0
    assert rows['hard']['attention'] == 'ObjectMaskedAttention'
    assert rows['plain']['mass_on_background'] > 0.1
    assert 0.0 < rows['soft']['mass_on_background'] < rows['plain']['mass_on_background']


def test_plain_recomputation_matches_the_oma_module_without_relevance():
    plain, hard, _ = _modules()
    q, pos = torch.randn(2, QUERIES, DIM), torch.randn(2, QUERIES, DIM)
    with torch.no_grad():
        ours = query_attention_weights(plain, q, q, query_pos=pos, key_pos=pos)
        ref = hard.attention_weights(q, q, query_pos=pos, key_pos=pos)
    torch.testing.assert_close(ours, ref)
    assert ours.shape == (2, 2, QUERIES, QUERIES)


def test_attention_not_applicable_without_object_queries():
    name, head, reason = find_query_head(nn.Sequential(nn.Linear(2, 2)))
    assert name is None and head is None and 'no object-query decoder' in reason
    with pytest.raises(ValueError, match='no object-query decoder'):
        AttentionProbe(nn.Linear(2, 2))
    report = run_analysis(nn.Linear(2, 2), loader=None, settings=AnalysisSettings(),
                          progress=False)
    for section in ('robustness', 'consistency', 'attention'):
        assert report[section]['applicable'] is False and report[section]['reason']


def test_all_background_calls_are_counted_apart():
    _, hard, _ = _modules()
    model = _ToyModel(copy.deepcopy(hard)).eval()
    with torch.no_grad():
        model.track_head.cls_embed.weight[-1] = 10.0  # every query is no-object
    with AttentionProbe(model) as probe, torch.no_grad():
        model.track_head(torch.ones(1, QUERIES, DIM))
    row = probe.summary()[0]
    assert (row['calls_all_background'], row['calls_mixed']) == (1, 0)
    assert row['mass_on_background'] is None
