"""DVIS++ diagnostics: attention mass on background frame queries in the tracker / refiner key
attention (by hand, plain vs OMA), and one scored test pass of a real (random) DVIS++ model."""
import json

import pytest
import torch
from mmengine.config import Config
from mmengine.evaluator import Evaluator
from mmengine.registry import DefaultScope
from mmdet.registry import METRICS, MODELS
from mmengine.runner import Runner
from torch import nn

import mvc_plugin  # noqa: F401
from mvc_plugin.analysis.decoupled import KeyAttentionProbe, score_test_set
from mvc_plugin.models.dvis_plus.attention_layers import KeyAttentionLayer
from mvc_plugin.models.layers.object_masked_attention import multihead_attention_weights

from ..conftest import REPO

DIM, QUERIES, KEYS = 16, 5, 6
BACKGROUND = (1, 4)  # planted background keys (relevance 0.1)


def _holder(oma_cfg):
    torch.manual_seed(0)
    holder = nn.Module()
    holder.tracker = nn.ModuleList([KeyAttentionLayer(DIM, 4, oma_cfg)]).eval()
    holder.refiner = None  # an online model has no refiner
    return holder


def _inputs():
    g = torch.Generator().manual_seed(3)
    query, key = torch.randn(2, QUERIES, DIM, generator=g), torch.randn(2, KEYS, DIM, generator=g)
    rel = torch.full((2, KEYS), 0.9)
    rel[:, list(BACKGROUND)] = 0.1
    return query, key, rel


def test_probe_mass_by_hand_plain_attention():
    holder, (query, key, rel) = _holder(None), _inputs()
    layer = holder.tracker[0]
    with KeyAttentionProbe(holder) as probe:
        layer(query, key, key, key_relevance=rel)
    weights = multihead_attention_weights(layer.attn, query, key)  # (B, heads, Q, K)
    expected = weights[..., list(BACKGROUND)].sum(-1).mean()
    summary = probe.summary()
    assert summary['tracker_mass_on_background'] == pytest.approx(float(expected), abs=1e-6)
    assert summary['tracker_background_key_share'] == pytest.approx(len(BACKGROUND) / KEYS)
    assert summary['refiner_mass_on_background'] is None  # never called
    assert 0.05 < summary['tracker_mass_on_background'] < 0.95


def test_probe_sees_what_oma_removes():
    query, key, rel = _inputs()
    plain, oma = _holder(None), _holder(dict(mode='hard', threshold=0.5))
    oma.load_state_dict(plain.state_dict())  # same weights: only the gate differs
    masses = []
    for holder in (plain, oma):
        with KeyAttentionProbe(holder) as probe:
            out = holder.tracker[0](query, key, key, key_relevance=rel)
        masses.append(probe.summary()['tracker_mass_on_background'])
    assert masses[0] > 0.05 and masses[1] == 0.0
    assert torch.isfinite(out).all()
    # a probe that is not active changes nothing and counts nothing
    probe = KeyAttentionProbe(plain)
    plain.tracker[0](query, key, key, key_relevance=rel)
    assert probe.summary()['tracker_mass_on_background'] is None


def test_probe_needs_key_attention():
    with pytest.raises(ValueError, match='KeyAttentionLayer'):
        KeyAttentionProbe(nn.Linear(2, 2))


@pytest.fixture(scope='module')
def online_model_and_loader(tiny_ytvis):
    cfg = Config.fromfile(str(REPO / 'configs' / 'dvis_pp' /
                              'dvis-pp_r18_synthetic-ytvis_online.py'))
    cfg.model.init_cfg = None
    cfg.model.allow_random_init = True  # random weights: the scoring path is under test
    cfg.test_dataloader.dataset.data_root = str(tiny_ytvis)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmdet'):  # module fixture: before autouse ones
        model = MODELS.build(cfg.model).eval()
        loader = Runner.build_dataloader(cfg.test_dataloader, seed=0)
    return cfg, model, loader


def _evaluator(cfg, loader):
    evaluator = Evaluator(METRICS.build(cfg.test_evaluator))
    evaluator.dataset_meta = loader.dataset.metainfo
    return evaluator


def test_score_test_set_clean_and_masked(online_model_and_loader):
    cfg, model, loader = online_model_and_loader
    clean = score_test_set(model, loader, _evaluator(cfg, loader), probe=True, consistency=True)
    assert {'AP', 'AP50'} <= set(clean['metrics']) and clean['masked_share'] == 0.0
    cons = clean['consistency']
    with open(loader.dataset.ann_file) as f:
        videos = json.load(f)['videos']
    assert cons['frames'] == sum(len(v['file_names']) for v in videos)
    assert cons['id_switches_per_100_frames'] is not None
    assert clean['attention']['tracker_mass_on_background'] is not None
    assert clean['attention']['refiner_mass_on_background'] is None  # online: no refiner
    masked = score_test_set(model, loader, _evaluator(cfg, loader), mask_ratio=0.5,
                            block_size=16, seed=1)
    assert 0.3 < masked['masked_share'] < 0.7
    assert 'attention' not in masked and 'consistency' not in masked
