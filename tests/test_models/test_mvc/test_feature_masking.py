"""FeatureMasker: hook validation, zeroing masked cells while active, pass-through otherwise."""
import pytest
import torch
from torch import nn

from mvc_plugin.models.mvc.feature_masking import FeatureMasker
from mvc_plugin.models.mvc.patch_mask_generator import PatchMaskGenerator

N, H, W = 4, 16, 16


def _model() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1),             # '0': stride 1
        nn.ReLU(),                                 # '1'
        nn.Conv2d(4, 4, 3, stride=2, padding=1),   # '2': stride 2
        nn.Conv2d(4, 2, 3, stride=2, padding=1),   # '3': stride 4
    ).eval()


def _mask(n=N, seed=0) -> torch.Tensor:
    mask = PatchMaskGenerator(block_size=4, mask_ratio=0.5, seed=seed)(1, n, H, W)[0]
    assert mask.any() and (~mask).any()
    return mask


def _capture(module: nn.Module, store: list):
    """Hook registered after the masker's: sees the (possibly masked) output."""
    return module.register_forward_hook(lambda m, a, o: store.append(o))


class TupleOut(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 2, 3, padding=1)

    def forward(self, x):
        y = self.conv(x)
        return y, y[:, :, ::2, ::2], y.mean(dim=(2, 3)), [y], {'f': y}, 'tag'


def test_unknown_point_lists_valid_names():
    model = _model()
    with pytest.raises(ValueError, match='backbone') as err:
        FeatureMasker(model, ['0', 'backbone'])
    msg = str(err.value)
    for name in ('0', '1', '2', '3'):
        assert f"'{name}'" in msg


@pytest.mark.parametrize('point,stride', [('0', 1), ('2', 2), ('3', 4)])
def test_active_zeroes_exactly_masked_cells(point, stride):
    model = _model()
    x = torch.randn(N, 3, H, W)
    module = dict(model.named_modules())[point]
    ref, got = [], []
    h_ref = _capture(module, ref)
    with torch.no_grad():
        model(x)
    h_ref.remove()
    masker = FeatureMasker(model, [point])
    _capture(module, got)
    mask = _mask()
    with torch.no_grad(), masker.active(mask):
        model(x)
    ref, got = ref[0], got[0]
    cells = mask[:, ::stride, ::stride]  # block 4 is a multiple of the stride
    assert torch.equal(cells, PatchMaskGenerator.resize(mask, ref.shape[-2:]))
    keep = (~cells).unsqueeze(1).expand_as(ref)
    assert (got[~keep] == 0).all()
    assert torch.equal(got[keep], ref[keep])
    assert (ref[~keep] != 0).any()  # the zeroing did something


def test_outputs_unchanged_outside_active():
    model = _model()
    x = torch.randn(N, 3, H, W)
    with torch.no_grad():
        before = model(x)
        masker = FeatureMasker(model, ['0', '2'])
        assert torch.equal(model(x), before)
        with masker.active(_mask()):
            masked = model(x)
        after = model(x)
    assert not torch.equal(masked, before)
    assert torch.equal(after, before)
    assert masker._mask is None


def test_active_resets_after_exception():
    masker = FeatureMasker(_model(), ['2'])
    with pytest.raises(RuntimeError):
        with masker.active(_mask()):
            raise RuntimeError('boom')
    assert masker._mask is None


def test_active_with_none_mask_is_noop():
    model = _model()
    x = torch.randn(N, 3, H, W)
    with torch.no_grad():
        before = model(x)
        masker = FeatureMasker(model, ['2'])
        with masker.active(None):
            assert torch.equal(model(x), before)


def test_tuple_list_dict_outputs():
    torch.manual_seed(1)
    model = nn.Sequential(TupleOut())
    x = torch.randn(N, 3, H, W)
    with torch.no_grad():
        ref = model(x)
        masker = FeatureMasker(model, ['0'])
        mask = _mask()
        with masker.active(mask):
            out = model(x)
    assert isinstance(out, tuple) and len(out) == 6
    keep_full = (~mask).unsqueeze(1).float()
    keep_half = (~mask[:, ::2, ::2]).unsqueeze(1).float()
    assert torch.equal(out[0], ref[0] * keep_full)
    assert torch.equal(out[1], ref[1] * keep_half)
    assert torch.equal(out[2], ref[2])  # 2-D tensor passes through
    assert isinstance(out[3], list) and torch.equal(out[3][0], ref[0] * keep_full)
    assert isinstance(out[4], dict) and torch.equal(out[4]['f'], ref[0] * keep_full)
    assert out[5] == 'tag'


def test_batch_mismatch_passes_through():
    model = _model()
    x = torch.randn(N, 3, H, W)
    with torch.no_grad():
        before = model(x)
        masker = FeatureMasker(model, ['0', '2'])
        with masker.active(_mask(n=N // 2)):
            assert torch.equal(model(x), before)


def test_gradients_flow_through_unmasked_cells():
    model = _model()
    x = torch.randn(N, 3, H, W, requires_grad=True)
    masker = FeatureMasker(model, ['3'])
    with masker.active(_mask()):
        model(x).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_remove_detaches_hooks():
    model = _model()
    x = torch.randn(N, 3, H, W)
    with torch.no_grad():
        before = model(x)
        masker = FeatureMasker(model, ['0', '2', '3'])
        masker.remove()
        assert masker._handles == []
        with masker.active(_mask()):
            assert torch.equal(model(x), before)
    assert all(len(m._forward_hooks) == 0 for m in model.modules())
    masker.remove()  # idempotent
