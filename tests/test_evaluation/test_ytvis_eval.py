"""Tests for the local YouTube-VIS evaluator (spatio-temporal mask AP)."""
import copy

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from mvc_plugin.evaluation.functional import (YTVISCOCOeval, evaluate_ytvis,
                                              spatio_temporal_iou, to_percent)

H, W = 20, 30


def box_mask(y0, y1, x0, x1, h=H, w=W):
    m = np.zeros((h, w), dtype=bool)
    m[y0:y1, x0:x1] = True
    return m


def rle(mask):
    """Compressed RLE with str counts (the official results format)."""
    r = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    r['counts'] = r['counts'].decode('ascii')
    return r


def uncompressed_rle(mask):
    """Uncompressed RLE (list counts, column-major, starting with zeros)."""
    flat = mask.astype(np.uint8).flatten(order='F')
    counts, current, run = [], 0, 0
    for v in flat:
        if v == current:
            run += 1
        else:
            counts.append(run)
            current, run = v, 1
    counts.append(run)
    return {'size': list(mask.shape), 'counts': counts}


def segs(masks):
    return [None if m is None else rle(m) for m in masks]


def make_gt(tracks, videos=None, categories=((1, 'a'), (2, 'b'))):
    """tracks: list of (video_id, category_id, [mask or None per frame])."""
    if videos is None:
        videos = {vid: (len(ms), H, W) for vid, _, ms in tracks}
    return {
        'videos': [
            dict(id=vid, length=n, height=h, width=w,
                 file_names=[f'v{vid}/{t:05d}.jpg' for t in range(n)])
            for vid, (n, h, w) in videos.items()
        ],
        'categories': [dict(id=i, name=n) for i, n in categories],
        'annotations': [
            dict(id=i + 1, video_id=vid, category_id=cat, iscrowd=0,
                 segmentations=segs(ms))
            for i, (vid, cat, ms) in enumerate(tracks)
        ],
    }


def make_res(dets):
    """dets: list of (video_id, category_id, score, masks)."""
    return [
        dict(video_id=vid, category_id=cat, score=s, segmentations=segs(ms))
        for vid, cat, s, ms in dets
    ]


def numbers(stats):
    return {k: v for k, v in stats.items() if k != 'summary'}


def test_perfect_prediction_gives_ap_1():
    a0, a1 = box_mask(0, 5, 0, 4), box_mask(1, 6, 1, 5)
    b0 = box_mask(10, 18, 10, 25)
    tracks = [(1, 1, [a0, a1, None]), (1, 2, [None, b0, b0]),
              (2, 1, [b0, a0]), (2, 1, [a1, None])]
    gt = make_gt(tracks)
    res = make_res([(v, c, 0.9 - 0.1 * i, ms)
                    for i, (v, c, ms) in enumerate(tracks)])
    stats = evaluate_ytvis(gt, res, verbose=False)
    for key in ('AP', 'AP50', 'AP75', 'APs', 'AR10', 'AR100', 'ARs'):
        assert stats[key] == pytest.approx(1.0), key
    assert stats['APm'] == -1.0 and stats['APl'] == -1.0
    # maxDets=1 per (video, category): video 2 has two tracks of category 1,
    # so category 1 recalls 2 of 3 tracks and category 2 all of its one.
    assert stats['AR1'] == pytest.approx((2 / 3 + 1) / 2)
    assert 'Average Precision' in stats['summary']


def test_spatio_temporal_iou_0_6_by_hand():
    # frame 0: |G|=20, |D|=20, overlap 10 -> I=10, U=30
    # frame 1: D == G (20 px)            -> I=20, U=20
    # spatio-temporal IoU = 30 / 50 = 0.6 (the mean of per-frame IoUs, 2/3,
    # would give AP = 0.4 instead).
    g = [box_mask(0, 5, 0, 4), box_mask(0, 5, 0, 4)]
    d = [box_mask(0, 5, 2, 6), box_mask(0, 5, 0, 4)]
    ious = spatio_temporal_iou([segs_bytes(d)], [segs_bytes(g)],
                               np.array([[20., 20.]]), np.array([[20., 20.]]))
    assert ious.shape == (1, 1)
    assert ious[0, 0] == pytest.approx(0.6, abs=1e-12)

    stats = evaluate_ytvis(make_gt([(1, 1, g)]), make_res([(1, 1, 0.8, d)]),
                           verbose=False)
    assert stats['AP50'] == pytest.approx(1.0)
    assert stats['AP75'] == 0.0
    # IoU thresholds 0.50, 0.55, 0.60 are met (COCO matches at IoU >= thr)
    assert stats['AP'] == pytest.approx(3 / 10)
    assert stats['AR100'] == pytest.approx(3 / 10)


def segs_bytes(masks):
    out = []
    for m in masks:
        r = mask_utils.encode(np.asfortranarray(m.astype(np.uint8)))
        out.append(r)
    return out


def test_frame_with_only_detection_mask_lowers_iou():
    g = [box_mask(0, 5, 0, 4), None]
    d = [box_mask(0, 5, 0, 4), box_mask(10, 15, 10, 14)]  # extra 20 px
    # I = 20, U = 20 + 20 -> 0.5: only the 0.50 threshold is met
    stats = evaluate_ytvis(make_gt([(1, 1, g)]), make_res([(1, 1, 0.8, d)]),
                           verbose=False)
    assert stats['AP50'] == pytest.approx(1.0)
    assert stats['AP'] == pytest.approx(1 / 10)

    # the symmetric case: the GT has a mask where the detection has none
    g2 = [box_mask(0, 5, 0, 4), box_mask(0, 5, 0, 4)]
    d2 = [box_mask(0, 5, 0, 4), None]
    stats = evaluate_ytvis(make_gt([(1, 1, g2)]), make_res([(1, 1, .8, d2)]),
                           verbose=False)
    assert stats['AP'] == pytest.approx(1 / 10)

    # no mask on either side in any common frame -> IoU 0, not an error
    stats = evaluate_ytvis(
        make_gt([(1, 1, [box_mask(0, 5, 0, 4), None])]),
        make_res([(1, 1, 0.8, [None, box_mask(0, 5, 0, 4)])]),
        verbose=False)
    assert stats['AP'] == 0.0


def test_area_ranges_use_mean_mask_area():
    size = (2, 320, 320)
    small = [box_mask(0, 10, 0, 10, 320, 320)] * 2  # 100 px
    medium = [box_mask(0, 150, 0, 150, 320, 320)] * 2  # 22500 px
    large = [box_mask(0, 300, 0, 300, 320, 320)] * 2  # 90000 px
    # frame areas 10000 (small) and 40000 (medium): mean 25000 -> medium
    mixed = [box_mask(0, 100, 0, 100, 320, 320),
             box_mask(0, 200, 0, 200, 320, 320)]
    # None frames are not averaged in: mean 22500 -> medium (not 11250)
    sparse = [None, box_mask(0, 150, 0, 150, 320, 320)]

    def run(tracks):
        gt = make_gt(tracks, videos={v: size for v, _, _ in tracks})
        res = make_res([(v, c, .9, ms) for v, c, ms in tracks])
        return evaluate_ytvis(gt, res, verbose=False)

    stats = run([(1, 1, small), (2, 1, medium), (3, 1, large)])
    assert stats['APs'] == stats['APm'] == stats['APl'] == pytest.approx(1.)

    for medium_like in (medium, mixed, sparse):
        stats = run([(1, 1, medium_like)])
        assert stats['APm'] == pytest.approx(1.0)
        assert stats['APs'] == -1.0  # no small GT: undefined
        assert stats['APl'] == -1.0
        assert stats['ARs'] == -1.0

    # A GT 'areas' list is honoured like the official evaluator does.
    gt = make_gt([(1, 1, small)], videos={1: size})
    gt['annotations'][0]['areas'] = [30000, 30000]
    stats = evaluate_ytvis(gt, make_res([(1, 1, .9, small)]), verbose=False)
    assert stats['APm'] == pytest.approx(1.0) and stats['APs'] == -1.0


def test_duplicate_detection_is_false_positive():
    g = [box_mask(0, 5, 0, 4)] * 2
    tracks = [(1, 1, g), (2, 1, g)]
    res = make_res([(1, 1, 0.9, g), (1, 1, 0.8, g), (2, 1, 0.7, g)])
    stats = evaluate_ytvis(make_gt(tracks), res, verbose=False)
    # ranking: TP, FP, TP -> precision 1 up to recall .5, then 2/3
    expected = (51 * 1.0 + 50 * (2 / 3)) / 101
    assert stats['AP'] == pytest.approx(expected, rel=1e-9)
    assert stats['AR100'] == pytest.approx(1.0)
    # without the duplicate, AP is 1
    res_no_dup = [r for i, r in enumerate(res) if i != 1]
    stats = evaluate_ytvis(make_gt(tracks), res_no_dup, verbose=False)
    assert stats['AP'] == pytest.approx(1.0)


def test_wrong_category_and_empty_results():
    g = [box_mask(0, 5, 0, 4)] * 2
    gt = make_gt([(1, 1, g)])
    stats = evaluate_ytvis(gt, make_res([(1, 2, 0.9, g)]), verbose=False)
    assert stats['AP'] == 0.0  # category 2 has no GT (-1, skipped)
    stats = evaluate_ytvis(gt, [], verbose=False)
    assert stats['AP'] == 0.0 and stats['AR100'] == 0.0


def test_crowd_gt_is_ignored_like_coco():
    g = [box_mask(0, 5, 0, 4)] * 2
    c = [box_mask(10, 18, 10, 20)] * 2
    gt = make_gt([(1, 1, g), (2, 1, c)])
    gt['annotations'][1]['iscrowd'] = 1
    # a missed crowd GT is not a false negative
    stats = evaluate_ytvis(gt, make_res([(1, 1, .5, g)]), verbose=False)
    assert stats['AP'] == pytest.approx(1.0)
    # a detection on a crowd GT is not a false positive
    res = make_res([(1, 1, .5, g), (2, 1, .9, c)])
    stats = evaluate_ytvis(gt, res, verbose=False)
    assert stats['AP'] == pytest.approx(1.0)


@pytest.mark.parametrize('counts_kind', ['uncompressed', 'bytes'])
def test_gt_rle_encodings_agree(counts_kind):
    g = [box_mask(0, 5, 0, 4), box_mask(3, 9, 2, 8), None]
    d = [box_mask(0, 5, 1, 4), box_mask(3, 9, 2, 7), box_mask(0, 2, 0, 2)]
    gt = make_gt([(1, 1, g)])
    res = make_res([(1, 1, 0.8, d)])
    ref = numbers(evaluate_ytvis(gt, res, verbose=False))
    assert 0.0 < ref['AP'] < 1.0  # a non-trivial score
    gt2 = copy.deepcopy(gt)
    for t, m in enumerate(g):
        if m is None:
            continue
        if counts_kind == 'uncompressed':
            enc = uncompressed_rle(m)
            assert isinstance(enc['counts'], list)
        else:
            enc = segs_bytes([m])[0]
        gt2['annotations'][0]['segmentations'][t] = enc
    assert numbers(evaluate_ytvis(gt2, res, verbose=False)) == ref


def test_inputs_are_not_modified():
    g = [box_mask(0, 5, 0, 4)] * 2
    gt, res = make_gt([(7, 1, g)]), make_res([(7, 1, .9, g)])
    gt_copy, res_copy = copy.deepcopy(gt), copy.deepcopy(res)
    evaluate_ytvis(gt, res, verbose=False)
    assert gt == gt_copy and res == res_copy


def _bad(gt, res, *fragments):
    with pytest.raises(ValueError) as err:
        evaluate_ytvis(gt, res, verbose=False)
    for fragment in fragments:
        assert fragment in str(err.value), str(err.value)


def test_bad_input_raises_value_error_naming_the_video():
    g = [box_mask(0, 5, 0, 4)] * 2
    gt, res = make_gt([(7, 1, g)]), make_res([(7, 1, .9, g)])

    r = copy.deepcopy(res)
    r[0]['video_id'] = 99
    _bad(gt, r, '99', 'not in gt videos')

    r = copy.deepcopy(res)
    r[0]['category_id'] = 5
    _bad(gt, r, 'video 7', 'category_id 5')

    r = copy.deepcopy(res)
    r[0]['segmentations'].append(None)
    _bad(gt, r, 'video 7', '3 segmentations', '2 frames')

    bad_gt = copy.deepcopy(gt)
    bad_gt['annotations'][0]['segmentations'] = segs(g + [g[0]])
    _bad(bad_gt, res, 'video 7', 'gt annotation')

    bad_gt = copy.deepcopy(gt)
    bad_gt['annotations'][0]['category_id'] = 3
    _bad(bad_gt, res, 'video 7', 'category_id 3')

    bad_gt = copy.deepcopy(gt)
    bad_gt['videos'][0]['length'] = 3  # disagrees with file_names
    _bad(bad_gt, res, 'video 7', 'file_names')

    r = copy.deepcopy(res)
    r[0]['segmentations'][1] = rle(box_mask(0, 5, 0, 4, h=H + 1))
    _bad(gt, r, 'video 7', 'frame 1', 'size')

    r = copy.deepcopy(res)
    del r[0]['score']
    _bad(gt, r, 'missing key', 'score', 'video 7')

    r = copy.deepcopy(res)
    r[0]['score'] = float('nan')
    _bad(gt, r, 'video 7', 'score')

    bad_gt = copy.deepcopy(gt)
    bad_gt['annotations'][0]['segmentations'][0] = {
        'size': [H, W], 'counts': [5, 3]}
    _bad(bad_gt, res, 'video 7', 'sum')

    with pytest.raises(ValueError, match='max_dets'):
        evaluate_ytvis(gt, res, max_dets=(1, 10, 50), verbose=False)


def test_verbose_prints_summary_with_ytvis_area_legend(capsys):
    g = [box_mask(0, 5, 0, 4)] * 2
    gt, res = make_gt([(1, 1, g)]), make_res([(1, 1, .9, g)])
    stats = evaluate_ytvis(gt, res, verbose=False)
    assert capsys.readouterr().out == ''  # pycocotools chatter is captured
    evaluate_ytvis(gt, res, verbose=True)
    out = capsys.readouterr().out
    assert out == stats['summary']
    assert '128^2' in out and '256^2' in out
    assert out.count('Average Precision') == 6


def test_area_ranges_are_the_official_ones():
    evaluator = YTVISCOCOeval(iouType='segm')
    assert evaluator.params.areaRng[1] == [0, 32**2]  # COCO default
    # 40x40 px = 1600 px: "medium" for COCO, "small" for YouTube-VIS
    big = [box_mask(0, 40, 0, 40, 64, 64)] * 2
    gt = make_gt([(1, 1, big)], videos={1: (2, 64, 64)})
    stats = evaluate_ytvis(gt, make_res([(1, 1, .9, big)]), verbose=False)
    assert stats['APs'] == pytest.approx(1.0) and stats['APm'] == -1.0


def test_to_percent():
    out = to_percent({'AP': 0.5, 'APs': -1.0, 'AR1': 1.0, 'summary': 'x'})
    assert out == {'AP': 50.0, 'APs': -1.0, 'AR1': 100.0, 'summary': 'x'}


def _random_case(seed):
    """Random videos / tracks / noisy detections (sizes vary per video)."""
    rng = np.random.default_rng(seed)
    videos = {vid: (int(rng.integers(3, 6)), int(rng.integers(30, 60)),
                    int(rng.integers(40, 80))) for vid in (1, 2)}
    videos[3] = (3, 480, 640)  # room for medium and large tracks

    def rand_mask(h, w):
        y0, x0 = rng.integers(0, h - 2), rng.integers(0, w - 2)
        return box_mask(y0, y0 + rng.integers(1, h - y0), x0,
                        x0 + rng.integers(1, w - x0), h, w)

    tracks, dets = [], []
    for vid, (n, h, w) in videos.items():
        for _ in range(int(rng.integers(2, 5))):
            cat = int(rng.integers(1, 3))
            ms = [rand_mask(h, w) if rng.random() < .8 else None
                  for _ in range(n)]
            tracks.append((vid, cat, ms))
            for _ in range(int(rng.integers(0, 3))):  # noisy copies
                noisy = []
                for m in ms:
                    if m is None or rng.random() < .15:
                        noisy.append(rand_mask(h, w) if rng.random() < .2
                                     else None)
                    else:
                        noisy.append(np.roll(m, rng.integers(-3, 4), axis=1))
                dets.append((vid, cat, float(rng.random()), noisy))
        dets.append((vid, int(rng.integers(1, 3)), float(rng.random()),
                     [rand_mask(h, w) for _ in range(n)]))  # a pure FP
    last_vid, last_cat, last_masks = tracks[-1]
    last_masks[0] = np.zeros(videos[last_vid][1:], bool)  # an empty mask
    gt = make_gt(tracks, videos=videos)
    gt['annotations'][0]['iscrowd'] = 1
    for ann in gt['annotations']:
        ann['areas'] = [None if s is None else int(mask_utils.area(s))
                        for s in ann['segmentations']]
    return gt, make_res(dets)


@pytest.mark.parametrize('seed', [0, 1, 2, 8])  # 8 has a large track
def test_matches_mmdet_port_of_official_ytvoseval(seed, monkeypatch):
    """Same 12 numbers as mmdet's port of the official ytvoseval (run with
    ``np.float`` patched back in, GT ``areas`` being mask areas)."""
    from mmdet.evaluation.functional import YTVIS, YTVISeval
    gt, res = _random_case(seed)
    ours = evaluate_ytvis(copy.deepcopy(gt), copy.deepcopy(res),
                          verbose=False)
    monkeypatch.setattr(np, 'float', float, raising=False)
    ref_gt = YTVIS(copy.deepcopy(gt))
    ref = YTVISeval(ref_gt, ref_gt.loadRes(copy.deepcopy(res)), 'segm')
    ref.evaluate()
    ref.accumulate()
    ref.summarize()
    assert 0.05 < ours['AP'] < 0.95  # a non-trivial case
    for key, value in zip(('AP', 'AP50', 'AP75', 'APs', 'APm', 'APl', 'AR1',
                           'AR10', 'AR100', 'ARs', 'ARm', 'ARl'), ref.stats):
        assert ours[key] == pytest.approx(float(value), abs=1e-12), key
