"""MaskedVideoConsistency on mmdet's unmodified Mask2FormerVideo (the quick-start model)."""
import copy
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import MODELS, init_default_scope
from mmengine.runner import load_checkpoint, save_checkpoint

import mvc_plugin  # noqa: F401
from mmdet.registry import DATASETS

CONFIGS = Path(__file__).resolve().parents[3] / 'configs'


def _cfg(name='vis_synthetic_quickstart_baseline.py'):
    cfg = Config.fromfile(str(CONFIGS / name))
    init_default_scope('mmdet')
    return cfg


def _wrap(host_cfg, **kwargs):
    return MODELS.build(dict(type='MaskedVideoConsistency', model=copy.deepcopy(host_cfg),
                             **kwargs))


@pytest.fixture(scope='module')
def host_cfg():
    return _cfg().model


@pytest.fixture(scope='module')
def batches(tiny_ytvis):
    """One training batch and one test video from the synthetic set, via the real pipelines."""
    cfg = _cfg()
    out = {}
    for split, key in (('train', 'train_dataloader'), ('val', 'test_dataloader')):
        ds_cfg = copy.deepcopy(cfg[key].dataset)
        ds_cfg.data_root = str(tiny_ytvis)
        ds = DATASETS.build(ds_cfg)
        out[split] = pseudo_collate([ds[0], ds[1]] if split == 'train' else [ds[0]])
    return out


def _losses(model, batch):
    torch.manual_seed(0)
    data = model.data_preprocessor(copy.deepcopy(batch), True)
    return model(**data, mode='loss')


def test_same_parameters_and_keys(host_cfg):
    torch.manual_seed(0)
    base = MODELS.build(copy.deepcopy(host_cfg))
    mvc = _wrap(host_cfg)
    assert isinstance(mvc, type(base))
    assert sum(p.numel() for p in mvc.parameters()) == sum(p.numel() for p in base.parameters())
    assert list(mvc.state_dict()) == list(base.state_dict())
    assert mvc.data_preprocessor.__class__ is base.data_preprocessor.__class__


def test_predictions_identical_to_plain_model(host_cfg, batches):
    torch.manual_seed(0)
    base = MODELS.build(copy.deepcopy(host_cfg))
    mvc = _wrap(host_cfg, mask_generator=dict(block_size=16, mask_ratio=0.7))
    mvc.load_state_dict(base.state_dict())
    base.eval(), mvc.eval()
    with torch.no_grad():
        out_b = base.test_step(copy.deepcopy(batches['val']))[0]
        out_m = mvc.test_step(copy.deepcopy(batches['val']))[0]
    for fb, fm in zip(out_b.video_data_samples, out_m.video_data_samples):
        pb, pm = fb.pred_track_instances, fm.pred_track_instances
        assert torch.equal(pb.masks, pm.masks)
        assert torch.equal(pb.scores, pm.scores)
        assert torch.equal(pb.labels, pm.labels)


def test_masked_view_is_masked_and_trained(host_cfg, batches):
    mvc = _wrap(host_cfg, mask_generator=dict(block_size=16, mask_ratio=0.7), mode='dual')
    mvc.train()
    seen = []
    mvc.backbone.register_forward_pre_hook(lambda m, args: seen.append(args[0].detach()))
    losses = _losses(mvc, batches['train'])
    assert len(seen) == 2  # clean view, then masked view
    image = ~(seen[0] == 0).all(dim=1)  # not padding
    masked = (seen[1] == 0).all(dim=1)
    assert image.float().mean() > 0.8
    share = (masked & image).sum().item() / image.sum().item()
    assert 0.55 < share < 0.85, share  # mask_ratio 0.7 of the image pixels set to 0 (the mean)
    assert torch.equal(seen[1][:, :, ~masked.any(0)], seen[0][:, :, ~masked.any(0)])
    assert any(k.startswith('mvc.') for k in losses) and 'loss_cls' in losses
    # the masked view's loss alone reaches the backbone
    masked_total = sum(v for k, v in losses.items() if k.startswith('mvc.') and 'loss' in k)
    masked_total.backward()
    grad = mvc.backbone.conv1.weight.grad
    assert grad is not None and grad.abs().sum() > 0


def test_replace_mode_single_pass_with_weight(host_cfg, batches):
    mvc = _wrap(host_cfg, mask_generator=dict(block_size=16, mask_ratio=0.5), mode='replace',
                masked_loss_weight=0.5)
    calls = []
    mvc.backbone.register_forward_pre_hook(lambda m, args: calls.append(1))
    losses = _losses(mvc, batches['train'])
    assert len(calls) == 1
    assert not any(k.startswith('mvc.') for k in losses) and 'loss_cls' in losses
    # the weight scales the host's losses: same mask and weights with weight 1 -> twice as large
    mvc1 = _wrap(host_cfg, mask_generator=dict(block_size=16, mask_ratio=0.5), mode='replace')
    mvc1.load_state_dict(mvc.state_dict())
    losses1 = _losses(mvc1, batches['train'])
    assert torch.allclose(losses['loss_cls'] * 2, losses1['loss_cls'], rtol=1e-4)


def test_consistency_and_feature_masking(host_cfg, batches):
    mvc = _wrap(host_cfg, mask_generator=dict(block_size=16, mask_ratio=0.7),
                consistency_loss=dict(type='MVCConsistencyLoss', loss_weight=1.0),
                feature_mask_points=['backbone.layer2'])
    feats = []
    mvc.backbone.layer2.register_forward_hook(lambda m, a, out: feats.append(out.detach()))
    losses = _losses(mvc, batches['train'])
    loss = losses['mvc.loss_consistency']
    assert torch.isfinite(loss) and loss > 0
    loss.backward()
    assert mvc.backbone.conv1.weight.grad.abs().sum() > 0
    # hooks registered later run after the masking hook: the masked pass sees zeroed cells
    zero_cells = lambda f: (f == 0).all(dim=1).float().mean().item()  # noqa: E731
    assert zero_cells(feats[0]) < 0.05 < 0.5 < zero_cells(feats[1])


def test_checkpoint_loads_into_baseline(host_cfg, tmp_path):
    mvc = _wrap(host_cfg)
    save_checkpoint({'state_dict': mvc.state_dict()}, str(tmp_path / 'mvc.pth'))
    base = MODELS.build(copy.deepcopy(host_cfg))
    load_checkpoint(base, str(tmp_path / 'mvc.pth'), strict=True)  # raises on any key mismatch
    for (k, a), b in zip(mvc.state_dict().items(), base.state_dict().values()):
        assert torch.equal(a, b), k


@pytest.mark.parametrize('kwargs, match', [
    (dict(mask_generator=dict(mask_ratio=1.0)), 'mask_ratio'),
    (dict(mask_generator=dict(block_size=0)), 'block_size'),
    (dict(feature_mask_points=['backbone.nope']), 'feature_mask_points'),
    (dict(mode='both'), 'mode'),
    (dict(mode='replace', consistency_loss=dict(type='MVCConsistencyLoss')), 'dual'),
    (dict(head='no_such_head'), 'head'),
])
def test_bad_config_is_a_clear_error(host_cfg, kwargs, match):
    with pytest.raises(ValueError, match=match):
        _wrap(host_cfg, **kwargs)
