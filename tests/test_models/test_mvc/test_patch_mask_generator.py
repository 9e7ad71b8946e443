"""PatchMaskGenerator: ratio, block structure, modes, frame_prob, seeding, validation, helpers."""
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mvc_plugin.models.mvc.patch_mask_generator import PatchMaskGenerator


def _block_grid(mask: torch.Tensor, block: int) -> torch.Tensor:
    """The per-block values of a block mask (its top-left pixels)."""
    return mask[..., ::block, ::block]


def _expand_grid(grid: torch.Tensor, block: int, h: int, w: int) -> torch.Tensor:
    out = grid.repeat_interleave(block, dim=-2).repeat_interleave(block, dim=-1)
    return out[..., :h, :w]


# --------------------------------------------------------------------------- mask ratio


@pytest.mark.parametrize('ratio', [0.3, 0.7])
def test_mask_ratio_met_statistically(ratio):
    gen = PatchMaskGenerator(block_size=2, mask_ratio=ratio, seed=0)
    mask = gen(2, 2, 200, 200)  # 4 x 100 x 100 = 40000 independent blocks
    frac = mask.float().mean().item()
    assert abs(frac - ratio) < 0.02


def test_mask_ratio_per_block_fraction():
    gen = PatchMaskGenerator(block_size=8, mask_ratio=0.3, seed=1)
    mask = gen(4, 4, 256, 256)  # 16 x 32 x 32 blocks
    frac = _block_grid(mask, 8).float().mean().item()
    assert abs(frac - 0.3) < 0.03


def test_mask_ratio_zero_masks_nothing():
    gen = PatchMaskGenerator(block_size=4, mask_ratio=0.0, seed=0)
    mask = gen(3, 2, 33, 47)
    assert mask.shape == (3, 2, 33, 47)
    assert not mask.any()


# --------------------------------------------------------------------------- block structure


@pytest.mark.parametrize('mode', ['frame', 'tube'])
@pytest.mark.parametrize('h,w,block', [(37, 50, 8), (30, 30, 7), (16, 24, 8), (5, 61, 4)])
def test_block_structure_and_shape(mode, h, w, block):
    gen = PatchMaskGenerator(block_size=block, mask_ratio=0.5, mode=mode, seed=2)
    mask = gen(2, 3, h, w)
    assert mask.shape == (2, 3, h, w)
    assert mask.dtype == torch.bool
    assert mask.is_contiguous()
    grid = _block_grid(mask, block)
    assert grid.shape[-2:] == (-(-h // block), -(-w // block))
    assert torch.equal(mask, _expand_grid(grid, block, h, w))


def test_device_argument():
    gen = PatchMaskGenerator(block_size=4, mask_ratio=0.5, seed=0)
    mask = gen(1, 2, 8, 8, device='cpu')
    assert mask.device.type == 'cpu' and mask.shape == (1, 2, 8, 8)


# --------------------------------------------------------------------------- modes


def test_frame_mode_frames_differ():
    gen = PatchMaskGenerator(block_size=4, mask_ratio=0.5, mode='frame', seed=3)
    mask = gen(2, 4, 32, 32)  # 64 blocks per frame: equal frames have prob 2**-64
    for b in range(2):
        for i in range(4):
            for j in range(i + 1, 4):
                assert not torch.equal(mask[b, i], mask[b, j])


def test_tube_mode_constant_over_time_differs_over_batch():
    gen = PatchMaskGenerator(block_size=4, mask_ratio=0.5, mode='tube', seed=3)
    mask = gen(3, 5, 32, 32)
    assert torch.equal(mask, mask[:, :1].expand_as(mask))
    assert not torch.equal(mask[0, 0], mask[1, 0])
    assert not torch.equal(mask[1, 0], mask[2, 0])
    assert not torch.equal(mask[0, 0], mask[2, 0])


# --------------------------------------------------------------------------- frame_prob


@pytest.mark.parametrize('mode', ['frame', 'tube'])
def test_frame_prob_zero_masks_nothing(mode):
    gen = PatchMaskGenerator(block_size=4, mask_ratio=0.9, mode=mode, frame_prob=0.0, seed=0)
    assert not gen(4, 4, 32, 32).any()


def test_frame_prob_half_frame_mode():
    gen = PatchMaskGenerator(block_size=4, mask_ratio=0.5, mode='frame', frame_prob=0.5, seed=4)
    mask = gen(2, 100, 32, 32)  # 64 blocks/frame: an active frame is all-clear w.p. 2**-64
    masked = mask.flatten(2).any(-1)  # (B, T)
    n_masked = int(masked.sum())
    assert 60 < n_masked < 140  # ~100 of 200 (sd ~7)
    assert (~masked).any() and masked.any()
    # masked frames follow mask_ratio on their own
    frac = mask[masked].float().mean().item()
    assert abs(frac - 0.5) < 0.05


def test_frame_prob_half_tube_mode():
    gen = PatchMaskGenerator(block_size=4, mask_ratio=0.5, mode='tube', frame_prob=0.5, seed=5)
    mask = gen(100, 3, 32, 32)
    assert torch.equal(mask, mask[:, :1].expand_as(mask))
    clip_masked = mask.flatten(1).any(-1)
    assert 25 < int(clip_masked.sum()) < 75
    assert (~clip_masked).any() and clip_masked.any()


# --------------------------------------------------------------------------- seeding


def test_same_seed_same_masks():
    a = PatchMaskGenerator(block_size=4, mask_ratio=0.5, frame_prob=0.7, seed=11)
    b = PatchMaskGenerator(block_size=4, mask_ratio=0.5, frame_prob=0.7, seed=11)
    for _ in range(3):  # the whole sequence repeats, not only the first draw
        assert torch.equal(a(2, 3, 20, 28), b(2, 3, 20, 28))


def test_different_seed_different_masks():
    a = PatchMaskGenerator(block_size=4, mask_ratio=0.5, seed=1)(2, 3, 32, 32)
    b = PatchMaskGenerator(block_size=4, mask_ratio=0.5, seed=2)(2, 3, 32, 32)
    assert not torch.equal(a, b)


def test_seeded_generator_does_not_touch_global_rng():
    torch.manual_seed(0)
    expected = torch.rand(5)
    torch.manual_seed(0)
    PatchMaskGenerator(block_size=4, mask_ratio=0.5, seed=3)(2, 2, 16, 16)
    assert torch.equal(torch.rand(5), expected)


def test_seed_none_follows_torch_manual_seed():
    gen = PatchMaskGenerator(block_size=4, mask_ratio=0.5, seed=None)
    torch.manual_seed(123)
    a = gen(2, 3, 32, 32)
    torch.manual_seed(123)
    b = gen(2, 3, 32, 32)
    torch.manual_seed(124)
    c = gen(2, 3, 32, 32)
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    # successive calls without reseeding differ
    assert not torch.equal(gen(2, 3, 32, 32), gen(2, 3, 32, 32))


# --------------------------------------------------------------------------- small frames


def test_frame_smaller_than_block_is_one_block():
    gen = PatchMaskGenerator(block_size=16, mask_ratio=0.5, seed=6)
    mask = gen(2, 32, 5, 7)
    assert mask.shape == (2, 32, 5, 7)
    flat = mask.flatten(2)
    assert torch.equal(flat.all(-1), flat.any(-1))  # every frame all True or all False
    assert flat.all(-1).any() and (~flat.any(-1)).any()


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize('kwargs,name', [
    (dict(mask_ratio=1.0), 'mask_ratio'),
    (dict(mask_ratio=-0.1), 'mask_ratio'),
    (dict(block_size=0), 'block_size'),
    (dict(block_size=-3), 'block_size'),
    (dict(block_size=2.5), 'block_size'),
    (dict(block_size=True), 'block_size'),
    (dict(mode='x'), 'mode'),
    (dict(frame_prob=2), 'frame_prob'),
    (dict(frame_prob=-0.5), 'frame_prob'),
    (dict(block_size=64, image_size=(32, 48)), 'block_size'),
])
def test_bad_parameters_raise(kwargs, name):
    with pytest.raises(ValueError, match=name):
        PatchMaskGenerator(**kwargs)


def test_block_fitting_image_size_is_accepted():
    gen = PatchMaskGenerator(block_size=32, mask_ratio=0.5, image_size=(32, 48))
    assert gen(1, 1, 32, 48).shape == (1, 1, 32, 48)
    assert 'block_size=32' in repr(gen)


# --------------------------------------------------------------------------- resize


@pytest.mark.parametrize('block,stride', [(16, 4), (16, 16), (8, 2), (32, 8)])
def test_resize_keeps_block_boundaries(block, stride):
    h, w = 64, 96
    mask = PatchMaskGenerator(block_size=block, mask_ratio=0.5, seed=7)(2, 3, h, w)
    out = PatchMaskGenerator.resize(mask, (h // stride, w // stride))
    assert out.shape == (2, 3, h // stride, w // stride)
    assert out.dtype == torch.bool
    cells = block // stride
    expected = _expand_grid(_block_grid(mask, block), cells, h // stride, w // stride)
    assert torch.equal(out, expected)


def test_resize_same_size_is_identity_and_3d():
    mask = PatchMaskGenerator(block_size=4, mask_ratio=0.5, seed=0)(1, 2, 16, 16)[0]
    assert PatchMaskGenerator.resize(mask, (16, 16)) is mask
    out = PatchMaskGenerator.resize(mask, (8, 8))
    assert out.shape == (2, 8, 8) and out.dtype == torch.bool
    assert torch.equal(out, mask[:, ::2, ::2])


# --------------------------------------------------------------------------- apply


def _mask_and_inputs(dtype=torch.float32):
    mask = PatchMaskGenerator(block_size=4, mask_ratio=0.5, seed=8)(2, 3, 12, 16)
    assert mask.any() and (~mask).any()
    if dtype.is_floating_point:
        inputs = torch.rand(2, 3, 3, 12, 16, dtype=dtype) + 5.0  # never equal to the fill
    else:
        inputs = torch.randint(100, 200, (2, 3, 3, 12, 16), dtype=dtype)
    return mask, inputs


def test_apply_scalar_fill():
    mask, inputs = _mask_and_inputs()
    orig = inputs.clone()
    out = PatchMaskGenerator.apply(inputs, mask, fill=-1.5)
    assert torch.equal(inputs, orig)  # input not modified
    assert out.shape == inputs.shape and out.dtype == inputs.dtype
    m = mask.unsqueeze(2).expand_as(inputs)
    assert (out[m] == -1.5).all()
    assert torch.equal(out[~m], orig[~m])


@pytest.mark.parametrize('fill', [[1.0, 2.0, 3.0], (1.0, 2.0, 3.0), torch.tensor([1.0, 2.0, 3.0])])
def test_apply_per_channel_fill(fill):
    mask, inputs = _mask_and_inputs()
    orig = inputs.clone()
    out = PatchMaskGenerator.apply(inputs, mask, fill=fill)
    assert torch.equal(inputs, orig)
    for c, v in enumerate([1.0, 2.0, 3.0]):
        assert (out[:, :, c][mask] == v).all()
        assert torch.equal(out[:, :, c][~mask], orig[:, :, c][~mask])


def test_apply_default_fill_and_uint8():
    mask, inputs = _mask_and_inputs(torch.uint8)
    orig = inputs.clone()
    out = PatchMaskGenerator.apply(inputs, mask)
    assert out.dtype == torch.uint8
    m = mask.unsqueeze(2).expand_as(inputs)
    assert (out[m] == 0).all()
    assert torch.equal(out[~m], orig[~m])
    assert torch.equal(inputs, orig)


def test_apply_single_image():
    mask = PatchMaskGenerator(block_size=4, mask_ratio=0.5, seed=9)(1, 1, 8, 8)[0, 0]
    img = torch.ones(3, 8, 8)
    out = PatchMaskGenerator.apply(img, mask, fill=[0.0, 0.5, 2.0])
    assert torch.equal(out[1][mask], torch.full((int(mask.sum()),), 0.5))
    assert (out[:, ~mask] == 1).all()


# --------------------------------------------------------------------------- property test


@settings(max_examples=60, deadline=None)
@given(b=st.integers(1, 3), t=st.integers(1, 4), h=st.integers(1, 40), w=st.integers(1, 40),
       block=st.integers(1, 16), ratio=st.floats(0.0, 0.99),
       mode=st.sampled_from(['frame', 'tube']),
       frame_prob=st.floats(0.0, 1.0), seed=st.one_of(st.none(), st.integers(0, 2 ** 31)))
def test_property_shape_dtype_fraction(b, t, h, w, block, ratio, mode, frame_prob, seed):
    gen = PatchMaskGenerator(block_size=block, mask_ratio=ratio, mode=mode,
                             frame_prob=frame_prob, seed=seed)
    mask = gen(b, t, h, w)
    assert mask.shape == (b, t, h, w)
    assert mask.dtype == torch.bool
    frac = mask.float().mean().item()
    assert 0.0 <= frac <= 1.0
    assert torch.equal(mask, _expand_grid(_block_grid(mask, block), block, h, w))
    if mode == 'tube':
        assert torch.equal(mask, mask[:, :1].expand_as(mask))
