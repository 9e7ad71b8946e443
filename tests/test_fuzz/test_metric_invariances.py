"""Property tests of the YouTube-VIS, VSPW and VIPSeg evaluators on random small videos.

Perfect predictions score 100, renumbering instances changes nothing, and a predicted segment
lying only on void pixels is ignored. (The VIPSeg test that permutes *predicted* ids lives in
tests/test_evaluation/test_vipseg_eval.py; here ground-truth ids are renumbered.)
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pycocotools import mask as mask_utils

from mvc_plugin.evaluation.functional import (VIPSegEvaluator, VSPWEvaluator, evaluate_ytvis,
                                              to_percent)

FUZZ = settings(max_examples=50, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])
seeds = st.integers(0, 2**32 - 1)


# ----------------------------------------------------------------- YouTube-VIS
def _rle(mask):
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return dict(size=list(rle['size']), counts=rle['counts'].decode())


def _random_ytvis(rng):
    """A GT JSON with 1-2 videos of 1-3 frames and 1-3 tracks each (every track visible)."""
    videos, anns, tracks = [], [], []
    for vid in range(1, rng.integers(1, 3) + 1):
        t_len, h, w = int(rng.integers(1, 4)), int(rng.integers(6, 14)), int(rng.integers(6, 14))
        videos.append(dict(id=vid, height=h, width=w, length=t_len,
                           file_names=[f'{vid}/{t}.jpg' for t in range(t_len)]))
        for _ in range(rng.integers(1, 4)):
            masks = []
            for t in range(t_len):
                if t and rng.random() < 0.3:
                    masks.append(None)
                    continue
                y, x = rng.integers(0, h - 2), rng.integers(0, w - 2)
                m = np.zeros((h, w), bool)
                m[y:y + rng.integers(2, h - y + 1), x:x + rng.integers(2, w - x + 1)] = True
                masks.append(m)
            tracks.append((vid, int(rng.integers(1, 4)), masks))
    for i, (vid, cat, masks) in enumerate(tracks):
        anns.append(dict(id=i + 1, video_id=vid, category_id=cat, iscrowd=0,
                         segmentations=[None if m is None else _rle(m) for m in masks]))
    cats = [dict(id=c, name=f'c{c}') for c in (1, 2, 3)]
    return dict(videos=videos, annotations=anns, categories=cats), tracks


def _noisy_results(rng, tracks):
    """Imperfect detections with distinct scores: shifted masks, some wrong classes."""
    results = []
    for i, (vid, cat, masks) in enumerate(tracks):
        segs = [None if m is None else _rle(np.roll(m, int(rng.integers(0, 3)), axis=1))
                for m in masks]
        cat = cat if rng.random() < 0.7 else 1 + cat % 3
        results.append(dict(video_id=vid, category_id=cat, score=0.99 - 0.01 * i,
                            segmentations=segs))
    return results


@FUZZ
@given(seed=seeds)
def test_ytvis_perfect_prediction_is_100(seed):
    gt, tracks = _random_ytvis(np.random.default_rng(seed))
    results = [dict(video_id=a['video_id'], category_id=a['category_id'], score=1.0,
                    segmentations=a['segmentations']) for a in gt['annotations']]
    stats = to_percent(evaluate_ytvis(gt, results, verbose=False))
    assert stats['AP'] == pytest.approx(100.0) and stats['AP50'] == pytest.approx(100.0)


@FUZZ
@given(seed=seeds)
def test_ytvis_ap_ignores_instance_ids_and_order(seed):
    rng = np.random.default_rng(seed)
    gt, tracks = _random_ytvis(rng)
    results = _noisy_results(rng, tracks)
    before = evaluate_ytvis(gt, results, verbose=False)
    ids = rng.permutation(len(gt['annotations'])) + 100
    shuffled_gt = dict(gt, annotations=[dict(a, id=int(i)) for a, i in zip(
        gt['annotations'], ids)][::-1])
    order = rng.permutation(len(results))
    after = evaluate_ytvis(shuffled_gt, [results[i] for i in order], verbose=False)
    for key in ('AP', 'AP50', 'AP75', 'AR1', 'AR10'):
        assert after[key] == pytest.approx(before[key]), key


# ----------------------------------------------------------------- VSPW
@FUZZ
@given(seed=seeds, num_classes=st.integers(1, 6))
def test_vspw_perfect_prediction_is_100(seed, num_classes):
    rng = np.random.default_rng(seed)
    t_len, h, w = int(rng.integers(1, 12)), int(rng.integers(2, 8)), int(rng.integers(2, 8))
    gt = rng.integers(0, num_classes + 1, size=(t_len, h, w)).astype(np.uint8)
    gt[rng.random(gt.shape) < 0.1] = 255
    gt[0, 0, 0] = 1  # at least one labelled pixel
    pred = np.where((gt == 0) | (gt == 255), 0, gt.astype(np.int64) - 1).astype(np.uint8)
    ev = VSPWEvaluator(num_classes, vc_windows=(2, 4))
    ev.add_video('v', list(gt), list(pred))
    summary = ev.summary()
    assert summary['mIoU'] == pytest.approx(1.0)
    for n in (2, 4):
        assert summary[f'VC{n}'] in (pytest.approx(1.0), -1.0)


# ----------------------------------------------------------------- VIPSeg
CATS = [dict(id=1, name='sky', isthing=0), dict(id=2, name='road', isthing=0),
        dict(id=3, name='person', isthing=1), dict(id=4, name='car', isthing=1)]
SCALARS = ('VPQ', 'VPQ_thing', 'VPQ_stuff', 'VPQ@1', 'VPQ@2', 'STQ', 'AQ', 'SQ')


def _cat(seg_id):
    return seg_id // 1000 if seg_id >= 1000 else seg_id


def _segs(frame, remap=None):
    ids = [int(i) for i in np.unique(frame) if i]
    return [dict(id=(remap or {}).get(i, i), category_id=_cat(i), iscrowd=0) for i in ids]


def _random_vipseg(rng):
    """Blocky id maps: stuff 1/2, things 3001/3002/4001, void 0."""
    t_len, h, w = int(rng.integers(1, 5)), 6, 8
    blocks = rng.choice([0, 1, 2, 3001, 3002, 4001], size=(t_len, 3, 4))
    return [np.kron(b, np.ones((2, 2), np.int64)) for b in blocks]


def _evaluate(gt, pred, gt_segs=None, pred_segs=None, quirk=False):
    ev = VIPSegEvaluator(CATS, windows=(1, 2), stq_official_quirk=quirk)
    ev.add_video('v', gt, gt_segs or [_segs(f) for f in gt], pred,
                 pred_segs or [_segs(f) for f in pred])
    return ev.summary()


@FUZZ
@given(seed=seeds, quirk=st.booleans())
def test_vipseg_perfect_prediction_is_100(seed, quirk):
    gt = _random_vipseg(np.random.default_rng(seed))
    summary = _evaluate(gt, gt, quirk=quirk)
    assert summary['VPQ'] in (pytest.approx(1.0), -1.0)
    if any(f.any() for f in gt):
        assert summary['VPQ'] == pytest.approx(1.0) and summary['SQ'] == pytest.approx(1.0)
    assert summary['STQ'] in (pytest.approx(1.0), -1.0)


@FUZZ
@given(seed=seeds, quirk=st.booleans())
def test_vipseg_renumbering_ground_truth_instances_changes_nothing(seed, quirk):
    rng = np.random.default_rng(seed)
    gt = _random_vipseg(rng)
    pred = [np.where(rng.random(f.shape) < 0.3, rng.choice([0, 1, 3001, 4001]), f) for f in gt]
    new = {3001: 3000 + int(rng.integers(3, 900)), 4001: 4000 + int(rng.integers(3, 900))}
    new[3002] = new[3001] + 1  # keep the two persons distinct
    renumbered = [np.vectorize(lambda i: new.get(int(i), int(i)))(f) for f in gt]
    a = _evaluate(gt, pred, quirk=quirk)
    b = _evaluate(renumbered, pred, quirk=quirk)
    for key in SCALARS:
        assert b[key] == pytest.approx(a[key]), key


@FUZZ
@given(seed=seeds, cat=st.sampled_from([1, 3]))
def test_vipseg_void_only_prediction_changes_no_vpq(seed, cat):
    rng = np.random.default_rng(seed)
    gt = _random_vipseg(rng)
    void = [f == 0 for f in gt]
    if not any(v.any() for v in void):
        gt[0][0, :2] = 0
        void[0][0, :2] = True
    pred = [np.where(rng.random(f.shape) < 0.3, rng.choice([1, 2, 3001]), f) for f in gt]
    pred = [np.where(v, 0, p) for v, p in zip(void, pred)]  # predictions leave void alone
    extra = 999 if cat == 1 else cat * 1000 + 999  # an id no other segment uses
    with_void_seg = [np.where(v & (rng.random(v.shape) < 0.7), extra, p)
                     for v, p in zip(void, pred)]
    with_void_seg[0][void[0]] = extra  # at least one pixel
    extra_segs = [[dict(id=(extra if s['id'] == extra else s['id']),
                        category_id=cat if s['id'] == extra else s['category_id'], iscrowd=0)
                   for s in _segs(p)] for p in with_void_seg]
    a = _evaluate(gt, pred)
    b = _evaluate(gt, with_void_seg, pred_segs=extra_segs)
    for key in ('VPQ', 'VPQ_thing', 'VPQ_stuff', 'VPQ@1', 'VPQ@2'):
        assert b[key] == pytest.approx(a[key]), key
