"""Tests for the VSPW mIoU / VC_n evaluator (hand-computed cases)."""
import numpy as np
import pytest
from PIL import Image

from mvc_plugin.evaluation.functional.vspw_eval import (VSPWEvaluator, evaluate_vspw_dirs,
                                                        score_video)


def frames(arr):
    """(T, H, W) array -> list of uint8 frames."""
    return [np.asarray(f, dtype=np.uint8) for f in arr]


def moving_gt(num_frames=20, h=6, w=7, num_classes=5, seed=0):
    """Raw GT labels 1..C with a fixed background, a void/others column and a moving square."""
    rng = np.random.default_rng(seed)
    base = rng.integers(1, num_classes + 1, size=(h, w), dtype=np.uint8)
    base[:, 0] = 0
    base[0, 0] = 255
    out = np.repeat(base[None], num_frames, axis=0)
    for t in range(num_frames):
        x = 1 + (t // 3) % (w - 3)
        out[t, 2:4, x:x + 2] = 1 + t // 7 % num_classes
    return out


def as_pred(gt):
    """Perfect prediction: raw label r -> class r - 1 (0 on ignored pixels)."""
    return np.where((gt == 0) | (gt == 255), 0, gt.astype(np.int64) - 1).astype(np.uint8)


def test_perfect_prediction_scores_one():
    gt = moving_gt()
    ev = VSPWEvaluator(5)
    ev.add_video('v', frames(gt), frames(as_pred(gt)))
    s = ev.summary()
    assert s['mIoU'] == 1.0 and s['VC8'] == 1.0 and s['VC16'] == 1.0
    assert len(ev.window_accuracies[8]) == 20 - 8 and len(ev.window_accuracies[16]) == 20 - 16


def test_two_class_confusion_by_hand():
    ev = VSPWEvaluator(2)
    ev.add_video('v', [np.array([[1, 1, 2, 2]], np.uint8)], [np.array([[0, 1, 1, 1]], np.uint8)])
    np.testing.assert_array_equal(ev.confusion, [[1, 1], [0, 2]])
    s = ev.summary()
    # IoU0 = 1 / (2 + 1 - 1) = 1/2, IoU1 = 2 / (2 + 3 - 2) = 2/3
    assert s['per_class_IoU'] == pytest.approx([0.5, 2 / 3])
    assert s['mIoU'] == pytest.approx(7 / 12)
    assert s['VC8'] == -1.0 and s['VC16'] == -1.0  # a 1-frame video has no window


def test_ignored_labels_excluded_from_miou():
    ev = VSPWEvaluator(2)
    ev.add_video('v', [np.array([[0, 255, 1, 2]], np.uint8)],
                 [np.array([[1, 0, 0, 1]], np.uint8)])
    assert ev.confusion.sum() == 2
    assert ev.summary()['mIoU'] == 1.0


def test_miou_classes_gt_vs_union():
    gt, pred = [np.array([[1, 1, 2, 2]], np.uint8)], [np.array([[0, 2, 1, 1]], np.uint8)]
    res = {}
    for mode in ('gt', 'union'):
        ev = VSPWEvaluator(3, miou_classes=mode)
        ev.add_video('v', gt, pred)
        res[mode] = ev.summary()
    # IoU = [1/2, 1, 0]; class 2 is predicted but absent from the GT
    assert res['gt']['per_class_IoU'] == pytest.approx([0.5, 1.0, 0.0])
    assert res['gt']['mIoU'] == pytest.approx(0.75)
    assert res['union']['mIoU'] == pytest.approx(0.5)
    ev = VSPWEvaluator(3, miou_classes='union')
    ev.add_video('v', [np.array([[1, 1]], np.uint8)], [np.array([[0, 0]], np.uint8)])
    assert ev.summary()['per_class_IoU'] == [1.0, -1.0, -1.0]  # empty union: undefined


def test_flicker_lowers_vc_but_not_miou():
    num_frames = 10
    gt = np.ones((num_frames, 1, 4), np.uint8)  # raw 1 = class 0 everywhere, all frames
    steady = np.zeros_like(gt)
    steady[:, 0, 0] = 1  # pixel 0 always wrong
    flicker = np.zeros_like(gt)
    flicker[np.arange(num_frames), 0, np.arange(num_frames) % 2] = 1  # wrong pixel alternates
    out = {}
    for name, pred in (('steady', steady), ('flicker', flicker)):
        ev = VSPWEvaluator(2)
        ev.add_video(name, frames(gt), frames(pred))
        out[name] = (ev.confusion.copy(), ev.summary())
    np.testing.assert_array_equal(out['steady'][0], out['flicker'][0])
    np.testing.assert_array_equal(out['steady'][0], [[30, 10], [0, 0]])
    assert out['steady'][1]['mIoU'] == out['flicker'][1]['mIoU'] == pytest.approx(0.75)
    assert out['steady'][1]['VC8'] == 1.0
    assert out['flicker'][1]['VC8'] == pytest.approx(0.5)  # pixels 0 and 1 not consistent
    assert out['flicker'][1]['VC16'] == -1.0


@pytest.mark.parametrize('n', [8, 16])
def test_last_window_is_not_counted(n):
    gt = np.ones((n + 2, 2, 2), np.uint8)
    pred = np.zeros_like(gt)
    pred[-1, 0, 0] = 1  # flicker only in the last frame: only the last window sees it
    for num_frames, windows in ((n, 0), (n + 1, 1), (n + 2, 2)):
        s = score_video('v', frames(gt[:num_frames]), frames(pred[:num_frames]), num_frames,
                        2, (n,))
        assert len(s.window_accs[n]) == windows
    ev = VSPWEvaluator(2, vc_windows=(n,))
    ev.add_video('v', frames(gt), frames(pred))
    assert ev.summary()[f'VC{n}'] == 1.0  # window [2, n + 1] is the one official code skips


def test_vc16_not_contaminated_by_vc8_windows():
    num_frames = 17  # VC16: 1 window, VC8: 9 windows
    gt = np.ones((num_frames, 1, 2), np.uint8)
    gt[12:, 0, 1] = 2  # pixel B: GT changes at frame 12
    pred = gt.astype(np.int64) - 1
    pred[:, 0, 1] = 0
    pred[4:, 0, 1] = 1  # ... but the prediction changes at frame 4
    ev = VSPWEvaluator(2)
    ev.add_video('v', frames(gt), frames(pred))
    s = ev.summary()
    # VC8 windows i=0..3: B in gt_common, not in pred_common -> 0.5; i=4..8 -> 1
    assert s['VC8'] == pytest.approx(7 / 9)
    assert s['VC16'] == 1.0  # pooling VC8 windows into VC16 would give 0.8
    assert len(ev.window_accuracies[8]) == 9 and len(ev.window_accuracies[16]) == 1


def test_windows_with_empty_gt_common_are_skipped():
    gt = np.stack([np.full((2, 2), 1 + t % 2, np.uint8) for t in range(12)])
    ev = VSPWEvaluator(2)
    ev.add_video('v', frames(gt), frames(gt - 1))
    assert ev.summary()['VC8'] == -1.0 and ev.window_accuracies[8].size == 0


def test_errors_name_video_and_frame():
    gt = frames(np.ones((3, 2, 2)))
    ev = VSPWEvaluator(2)
    with pytest.raises(ValueError, match=r"video 'clip7'.*2 prediction frames but 3"):
        ev.add_video('clip7', gt, gt[:2])
    bad_shape = [np.zeros((2, 2), np.uint8)] * 2 + [np.zeros((2, 3), np.uint8)]
    with pytest.raises(ValueError, match=r"video 'clip7', frame 2: prediction shape"):
        ev.add_video('clip7', gt, bad_shape)
    bad_value = [np.zeros((2, 2), np.uint8), np.full((2, 2), 2, np.uint8)] * 2
    with pytest.raises(ValueError, match=r"video 'clip7', frame 1: prediction value 2 outside"):
        ev.add_video('clip7', gt, bad_value[:3])
    with pytest.raises(ValueError, match=r"video 'clip7', frame 0: ground-truth label 3"):
        ev.add_video('clip7', frames(np.full((3, 2, 2), 3)), gt)
    assert ev.num_videos == 0 and ev.confusion.sum() == 0


def write_pngs(root, gt_root, corrupt):
    """Predictions for every GT mask PNG: perfect, with a per-frame corrupted column."""
    for mask in sorted((gt_root / 'data').glob('*/mask/*.png')):
        gt = np.asarray(Image.open(mask))
        pred = as_pred(gt)
        if corrupt:
            t = int(mask.stem)
            pred[:, t % pred.shape[1]] = (pred[:, t % pred.shape[1]] + 1) % 8
        out = root / mask.parent.parent.name / mask.name
        out.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(pred).save(out)


def test_dirs_nproc_2_matches_nproc_1(tmp_path):
    from mvc_plugin.datasets.synthetic import SyntheticVideoSpec, write_vspw
    spec = SyntheticVideoSpec(num_videos=3, num_frames=17, height=24, width=32, seed=3)
    gt_root = tmp_path / 'gt'
    write_vspw(spec, gt_root, 'val', progress=False)
    write_pngs(tmp_path / 'pred', gt_root, corrupt=True)
    one = evaluate_vspw_dirs(str(gt_root), str(tmp_path / 'pred'), str(gt_root / 'val.txt'),
                             num_classes=8, nproc=1, progress=False)
    two = evaluate_vspw_dirs(str(gt_root), str(tmp_path / 'pred'), None, num_classes=8,
                             nproc=2, progress=False)
    assert one == two
    assert 0 < one['mIoU'] < 1 and 0 < one['VC8'] < 1 and 0 < one['VC16'] < 1


def naive_vc(gt, pred, n):
    """Direct transcription of the official definition (loops over windows and frames)."""
    accs = []
    for i in range(len(gt) - n):
        gt_common = np.ones(gt.shape[1:], bool)
        pred_common = np.ones(gt.shape[1:], bool)
        for j in range(1, n):
            gt_common &= gt[i] == gt[i + j]
            pred_common &= pred[i] == pred[i + j]
        if gt_common.sum():
            accs.append((gt_common & pred_common).sum() / gt_common.sum())
    return accs


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_streaming_vc_matches_naive_definition(seed):
    rng = np.random.default_rng(seed)
    num_frames = int(rng.integers(15, 30))
    gt = moving_gt(num_frames, 9, 11, seed=seed)
    gt[rng.random(gt.shape) < 0.02] = 255
    pred = as_pred(gt)
    flip = rng.random(gt.shape) < 0.03
    pred[flip] = (pred[flip] + 1) % 5
    s = score_video('v', frames(gt), frames(pred), num_frames, 5, (8, 16))
    for n in (8, 16):
        np.testing.assert_allclose(s.window_accs[n], naive_vc(gt, pred, n))
        assert len(s.window_accs[n]) > 0
