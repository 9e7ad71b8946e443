"""Accuracy on masked vs unmasked pixels and the input-mask -> output mapping."""
import numpy as np
import pytest
import torch

from mvc_plugin.analysis.masking import mask_to_output
from mvc_plugin.analysis.robustness import RegionAccuracy, foreground_union


def test_region_accuracy_by_hand():
    gt = np.array([[0, 1], [2, 255]])
    pred = np.array([[0, 0], [2, 2]])
    masked = np.array([[True, True], [False, False]])
    acc = RegionAccuracy()
    acc.add(pred, gt, masked, valid=gt != 255)
    s = acc.summary()
    assert s['masked'] == dict(pixels=2, accuracy=50.0)
    assert s['unmasked'] == dict(pixels=1, accuracy=100.0)  # the 255 pixel is not counted


def test_foreground_accuracy_and_iou_by_hand():
    masks = np.zeros((2, 2, 4), dtype=bool)
    masks[0, :, :2] = True   # kept (score 0.9)
    masks[1, :, 2:] = True   # dropped (score 0.3)
    pred_fg = foreground_union(masks, np.array([0.9, 0.3]), 0.5, (2, 4))
    gt_fg = np.array([[1, 0, 0, 0], [1, 1, 0, 0]], dtype=bool)
    masked = np.array([[True, True, False, False]] * 2)
    acc = RegionAccuracy(foreground=1)
    acc.add(pred_fg.astype(np.uint8), gt_fg.astype(np.uint8), masked)
    s = acc.summary()
    # masked pixels: pred fg at all 4, gt fg at 3 -> accuracy 3/4, IoU 3/4
    assert s['masked'] == dict(pixels=4, accuracy=75.0, foreground_iou=75.0)
    # unmasked pixels: nothing predicted, nothing there -> accuracy 100, IoU undefined
    assert s['unmasked'] == dict(pixels=4, accuracy=100.0, foreground_iou=None)
    assert not foreground_union(masks, np.array([0.1, 0.3]), 0.5, (2, 4)).any()


def test_empty_region_is_undefined_and_shapes_are_checked():
    acc = RegionAccuracy()
    acc.add(np.zeros((2, 2)), np.zeros((2, 2)), np.zeros((2, 2), bool))
    assert acc.summary()['masked']['accuracy'] is None
    with pytest.raises(ValueError, match='shapes differ'):
        acc.add(np.zeros((2, 2)), np.zeros((2, 3)), np.zeros((2, 2), bool))


def test_mask_to_output_crops_padding_then_resizes():
    padded = torch.zeros(6, 8, dtype=torch.bool)
    padded[:4, :6] = torch.tensor([[1, 0, 0, 1, 1, 0]] * 2 + [[0, 0, 1, 1, 0, 0]] * 2).bool()
    padded[4:, :] = True  # padding rows: must not leak into the output
    out = mask_to_output(padded, img_shape=(4, 6), out_shape=(8, 12))
    expected = padded[:4, :6].numpy().repeat(2, 0).repeat(2, 1)
    np.testing.assert_array_equal(out, expected)
    assert out.dtype == bool
