"""VideoPatchMask: packed and unpacked inputs, registries, mmseg pipeline, keep_clean, errors."""
import numpy as np
import pytest
import torch
from PIL import Image

import mvc_plugin  # noqa: F401  (registers the transform)
from mvc_plugin.datasets.transforms import VideoPatchMask
from mvc_plugin.models.mvc.patch_mask_generator import PatchMaskGenerator

FILL_RGB = (10.4, 20.6, 200.2)
FILL_BGR_ROUNDED = (200, 21, 10)
FILL_BGR = (200.2, 20.6, 10.4)
BLOCK, RATIO, SEED = 8, 0.5, 0


def _build(registry='mmdet', **kwargs):
    if registry == 'mmdet':
        from mmdet.registry import TRANSFORMS
    else:
        from mmseg.registry import TRANSFORMS
    cfg = dict(type='VideoPatchMask', block_size=BLOCK, mask_ratio=RATIO, seed=SEED,
               fill=FILL_RGB)
    cfg.update(kwargs)
    return TRANSFORMS.build(cfg)


def _expected_mask(t, h, w, block=BLOCK, ratio=RATIO, seed=SEED, **kwargs):
    """The mask the transform draws: a twin generator with the same seed."""
    mask = PatchMaskGenerator(block, ratio, seed=seed, **kwargs)(1, t, h, w)[0]
    assert mask.any() and (~mask).any()
    return mask


def _check_chw(out: torch.Tensor, orig: torch.Tensor, mask: torch.Tensor, fill):
    """``out``/``orig`` (..., C, H, W), ``mask`` (..., H, W)."""
    assert out.shape == orig.shape and out.dtype == orig.dtype
    for c, v in enumerate(fill):
        oc, gc = out[..., c, :, :], orig[..., c, :, :]
        assert torch.equal(oc[mask], torch.full_like(oc[mask], v))
        assert torch.equal(oc[~mask], gc[~mask])


def _check_hwc(out: np.ndarray, orig: np.ndarray, mask: np.ndarray, fill):
    assert out.shape == orig.shape and out.dtype == orig.dtype
    for c, v in enumerate(fill):
        assert (out[..., c][mask] == np.asarray(v, dtype=orig.dtype)).all()
        np.testing.assert_array_equal(out[..., c][~mask], orig[..., c][~mask])


# --------------------------------------------------------------------------- packed


def test_packed_video_uint8():
    t, h, w = 3, 24, 32
    inputs = torch.randint(30, 190, (t, 3, h, w), dtype=torch.uint8)  # never equal to the fill
    orig = inputs.clone()
    out = _build()(dict(inputs=inputs))['inputs']
    _check_chw(out, orig, _expected_mask(t, h, w), FILL_BGR_ROUNDED)


def test_packed_image_float():
    h, w = 20, 28
    inputs = torch.rand(3, h, w) * 255
    orig = inputs.clone()
    out = _build()(dict(inputs=inputs))['inputs']
    expected = torch.tensor(FILL_BGR, dtype=torch.float32).tolist()  # not rounded for floats
    _check_chw(out, orig, _expected_mask(1, h, w)[0], expected)


def test_packed_default_fill_is_imagenet_mean_bgr():
    inputs = torch.full((2, 3, 16, 16), 7.0)
    out = _build(fill=(123.675, 116.28, 103.53))(dict(inputs=inputs.clone()))['inputs']
    default = VideoPatchMask(block_size=BLOCK, mask_ratio=RATIO, seed=SEED)(
        dict(inputs=inputs.clone()))['inputs']
    assert torch.equal(out, default)
    mask = _expected_mask(2, 16, 16)
    assert torch.allclose(out[:, 0][mask], torch.tensor(103.53))
    assert torch.allclose(out[:, 2][mask], torch.tensor(123.675))


def test_rgb_channel_order_keeps_fill_order():
    t, h, w = 2, 16, 24
    inputs = torch.randint(30, 190, (t, 3, h, w), dtype=torch.uint8)
    orig = inputs.clone()
    out = _build(channel_order='rgb')(dict(inputs=inputs))['inputs']
    _check_chw(out, orig, _expected_mask(t, h, w), (10, 21, 200))


def test_tube_mode_packed_video():
    t, h, w = 4, 16, 16
    inputs = torch.zeros(t, 3, h, w)
    out = _build(mode='tube', fill=(1.0, 1.0, 1.0))(dict(inputs=inputs))['inputs']
    masked = out[:, 0] == 1
    assert masked.any() and torch.equal(masked, masked[:1].expand_as(masked))


# --------------------------------------------------------------------------- unpacked


def test_unpacked_clip_list_uint8():
    t, h, w = 3, 24, 32
    rng = np.random.default_rng(0)
    frames = [rng.integers(30, 190, (h, w, 3), dtype=np.uint8) for _ in range(t)]
    origs = [f.copy() for f in frames]
    out = _build()(dict(img=frames))['img']
    assert isinstance(out, list) and len(out) == t
    mask = _expected_mask(t, h, w).numpy()
    for f, o, m in zip(out, origs, mask):
        _check_hwc(f, o, m, FILL_BGR_ROUNDED)


def test_unpacked_single_array_uint8():
    h, w = 20, 28
    img = np.random.default_rng(1).integers(30, 190, (h, w, 3), dtype=np.uint8)
    orig = img.copy()
    out = _build()(dict(img=img))['img']
    assert isinstance(out, np.ndarray)
    _check_hwc(out, orig, _expected_mask(1, h, w)[0].numpy(), FILL_BGR_ROUNDED)


def test_unpacked_single_array_float():
    h, w = 20, 28
    img = np.random.default_rng(2).random((h, w, 3), dtype=np.float32) * 255
    orig = img.copy()
    out = _build()(dict(img=img))['img']
    _check_hwc(out, orig, _expected_mask(1, h, w)[0].numpy(),
               np.asarray(FILL_BGR, dtype=np.float32))


def test_packed_and_unpacked_agree():
    """The same masked pixels whether the transform runs before or after packing."""
    t, h, w = 2, 16, 24
    frames = [np.random.default_rng(i).integers(0, 256, (h, w, 3), dtype=np.uint8)
              for i in range(t)]
    unpacked = _build()(dict(img=[f.copy() for f in frames]))['img']
    packed_in = torch.from_numpy(np.stack(frames)).permute(0, 3, 1, 2).contiguous()
    packed = _build()(dict(inputs=packed_in))['inputs']
    np.testing.assert_array_equal(np.stack(unpacked), packed.permute(0, 2, 3, 1).numpy())


# --------------------------------------------------------------------------- registries, pipeline


def test_registered_in_mmdet_and_mmseg():
    from mmdet.registry import TRANSFORMS as DET
    from mmseg.registry import TRANSFORMS as SEG
    assert DET.get('VideoPatchMask') is VideoPatchMask
    assert SEG.get('VideoPatchMask') is VideoPatchMask
    assert isinstance(_build('mmseg'), VideoPatchMask)
    assert 'VideoPatchMask' in repr(_build('mmseg'))


def test_mmseg_pipeline_on_png(tmp_path):
    from mmcv.transforms import Compose
    from mmengine.registry import DefaultScope
    h, w = 20, 30
    rgb = np.random.default_rng(3).integers(30, 190, (h, w, 3), dtype=np.uint8)
    path = tmp_path / 'frame.png'
    Image.fromarray(rgb).save(path)
    pipeline_cfg = [dict(type='LoadImageFromFile'),
                    dict(type='VideoPatchMask', block_size=5, mask_ratio=RATIO, seed=1,
                         fill=(255, 0, 0))]
    with DefaultScope.overwrite_default_scope('mmseg'):
        pipeline = Compose(pipeline_cfg)
    assert isinstance(pipeline.transforms[1], VideoPatchMask)
    out = pipeline(dict(img_path=str(path)))
    img = out['img']
    assert img.shape == (h, w, 3) and img.dtype == np.uint8
    mask = _expected_mask(1, h, w, block=5, seed=1)[0].numpy()
    _check_hwc(img, rgb[..., ::-1], mask, (0, 0, 255))  # loaded as BGR, red fill in BGR


# --------------------------------------------------------------------------- keep_clean


def test_keep_clean_track_data_sample():
    from mmdet.structures import TrackDataSample
    t, h, w = 3, 16, 24
    inputs = torch.randint(0, 256, (t, 3, h, w), dtype=torch.uint8)
    orig = inputs.clone()
    out = _build(keep_clean=True)(dict(inputs=inputs, data_samples=TrackDataSample()))
    assert torch.equal(out['inputs'], orig)
    mask = out['data_samples'].metainfo['mvc_patch_mask']
    assert isinstance(mask, torch.Tensor)
    assert mask.shape == (t, h, w) and mask.dtype == torch.bool
    assert torch.equal(mask, _expected_mask(t, h, w))


def test_keep_clean_seg_data_sample():
    from mmseg.structures import SegDataSample
    h, w = 16, 24
    inputs = torch.rand(3, h, w)
    orig = inputs.clone()
    out = _build('mmseg', keep_clean=True)(dict(inputs=inputs, data_samples=SegDataSample()))
    assert torch.equal(out['inputs'], orig)
    mask = out['data_samples'].metainfo['mvc_patch_mask']
    assert mask.shape == (h, w) and mask.dtype == torch.bool


def test_keep_clean_unpacked_raises():
    t = _build(keep_clean=True)
    with pytest.raises(ValueError, match='keep_clean'):
        t(dict(img=np.zeros((8, 8, 3), np.uint8)))


# --------------------------------------------------------------------------- errors


def test_frames_of_different_sizes_raise():
    frames = [np.zeros((16, 16, 3), np.uint8), np.zeros((16, 20, 3), np.uint8)]
    with pytest.raises(ValueError, match='size'):
        _build()(dict(img=frames))


@pytest.mark.parametrize('order', ['BGR', 'gray', 'xyz'])
def test_bad_channel_order_raises(order):
    with pytest.raises(ValueError, match='channel_order'):
        _build(channel_order=order)


def test_bad_generator_parameter_raises():
    with pytest.raises(ValueError, match='mask_ratio'):
        _build(mask_ratio=1.0)


def test_missing_image_raises():
    with pytest.raises(KeyError):
        _build()(dict(foo=1))
