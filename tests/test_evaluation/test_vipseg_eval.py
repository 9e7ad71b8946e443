"""Tests for the VIPSeg VPQ / STQ evaluator on small hand-computed videos."""
import json
import math
import shutil

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from mvc_plugin.evaluation.functional.vipseg_eval import (VIPSegEvaluator, evaluate_vipseg_files,
                                                          id2rgb, rgb2id)

CATS = [dict(id=1, name='sky', isthing=0), dict(id=2, name='road', isthing=0),
        dict(id=3, name='person', isthing=1), dict(id=4, name='car', isthing=1)]
L, H, W = 8, 6, 10
KS = (1, 2, 4, 6, 8)
SCALARS = ['VPQ', 'VPQ_thing', 'VPQ_stuff'] + [f'VPQ@{k}' for k in KS] + ['STQ', 'AQ', 'SQ']


def cat_of(seg_id):
    return seg_id // 1000 if seg_id >= 1000 else seg_id


def segs(frame, first=None, crowd=()):
    """segments_info sorted by id (stuff first, as VIPSeg's converter), ``first`` moved up."""
    ids = [int(i) for i in np.unique(frame) if i]
    if first is not None:
        ids.remove(first)
        ids.insert(0, first)
    return [dict(id=i, category_id=cat_of(i), iscrowd=int(i in crowd)) for i in ids]


def frame(person=3001, car=4001):
    """Sky on top, road below, a 2x3 person and a 2x4 car; one void pixel (5, 9)."""
    f = np.zeros((H, W), np.int64)
    f[:3], f[3:] = 1, 2
    f[1:3, 1:4] = person
    f[3:5, 5:9] = car
    f[5, 9] = 0
    return f


def evaluate(gt, pred, quirk=False, windows=KS, gt_segs=None, pred_segs=None, vid='v'):
    ev = VIPSegEvaluator(CATS, windows=windows, stq_official_quirk=quirk)
    ev.add_video(vid, gt, gt_segs or [segs(f) for f in gt], pred,
                 pred_segs or [segs(f) for f in pred])
    return ev.summary()


def switched(t_switch=4):
    return [frame(person=3001 if t < t_switch else 3002) for t in range(L)]


@pytest.mark.parametrize('quirk', [False, True])
def test_perfect_prediction(quirk):
    gt = [frame() for _ in range(L)]
    s = evaluate(gt, gt, quirk=quirk)
    for key in SCALARS:
        assert s[key] == pytest.approx(1.0), key
    assert s['num_tracks'] == 2 and s['num_frames'] == L
    assert all(s['per_category'][c]['windows'][8]['tp'] == 1 for c in (1, 2, 3, 4))


def test_quirk_drops_the_first_listed_thing():
    """Listing the person first numbers it 0 -> crowd for STQ with the quirk on only."""
    gt = [frame() for _ in range(L)]
    first = [segs(gt[0], first=3001)] + [segs(f) for f in gt[1:]]
    on = evaluate(gt, gt, quirk=True, gt_segs=first)
    off = evaluate(gt, gt, quirk=False, gt_segs=first)
    assert on['num_tracks'] == 1 and off['num_tracks'] == 2
    assert on['STQ'] == off['STQ'] == pytest.approx(1.0)
    # with an id switch of that person the quirk hides the tracking error
    pred = switched()
    on = evaluate(gt, pred, quirk=True, gt_segs=first)
    off = evaluate(gt, pred, quirk=False, gt_segs=first)
    assert on['AQ'] == pytest.approx(1.0)
    assert off['AQ'] == pytest.approx(0.75)
    assert on['VPQ'] == off['VPQ']  # VPQ does not depend on the quirk
    # stuff listed first (VIPSeg order): the quirk hits sky and changes nothing
    assert evaluate(gt, pred, quirk=True)['AQ'] == pytest.approx(0.75)


def test_quirk_ignores_iscrowd_and_counts_void_in_pred():
    gt = [frame() for _ in range(L)]
    crowd = [segs(f, crowd=(4001,)) for f in gt]
    assert evaluate(gt, gt, quirk=True, gt_segs=crowd)['num_tracks'] == 2
    assert evaluate(gt, gt, quirk=False, gt_segs=crowd)['num_tracks'] == 1
    # a car prediction growing onto the void pixel: |p| grows only with the quirk
    pred = [frame() for _ in range(L)]
    for f in pred:
        f[5, 9] = 4001
    off, on = evaluate(gt, pred, quirk=False), evaluate(gt, pred, quirk=True)
    assert off['AQ'] == pytest.approx(1.0) and off['SQ'] == pytest.approx(1.0)
    assert on['AQ'] == pytest.approx((1 + 8 / 9) / 2)  # car: TPA 64, |p| 72, |g| 64
    assert on['SQ'] == pytest.approx(1.0)
    # predicted void on labelled GT: an extra zero-IoU class in the official SQ
    pred = [frame() for _ in range(L)]
    for f in pred:
        f[0, 0] = 0
    sky = 23 / 24  # 24 sky pixels per frame, one of them predicted void (an FN of sky)
    assert evaluate(gt, pred, quirk=False)['SQ'] == pytest.approx((sky + 3) / 4)
    assert evaluate(gt, pred, quirk=True)['SQ'] == pytest.approx((sky + 3) / 5)


def test_id_switch_lowers_vpq_only_for_long_windows():
    gt, pred = [frame() for _ in range(L)], switched(4)
    s = evaluate(gt, pred)
    assert s['VPQ@1'] == pytest.approx(1.0)
    for k in KS[1:]:
        assert s[f'VPQ@{k}'] < 1.0
    # k=2: windows 0..6; only (3, 4) straddles the switch, where both halves have IoU 0.5
    person = s['per_category'][3]['windows']
    assert (person[2]['tp'], person[2]['fp'], person[2]['fn']) == (6, 2, 1)
    assert s['VPQ@2'] == pytest.approx((3 + 6 / (6 + 0.5 * 2 + 0.5 * 1)) / 4)  # 0.95
    assert s['VPQ_thing@2'] == pytest.approx(0.9) and s['VPQ_stuff@2'] == 1.0
    # k=4: windows 1 and 3 keep a 3-frame match (IoU 3/4), window 2 (2+2 frames) fails
    assert (person[4]['tp'], person[4]['fp'], person[4]['fn']) == (4, 4, 1)
    assert person[4]['iou'] == pytest.approx(1 + 0.75 + 0.75 + 1)
    assert s['VPQ@4'] == pytest.approx((3 + 3.5 / 6.5) / 4)
    # each 2-frame window on its own: exactly the window starting at frame 3 fails
    for i in range(L - 1):
        w = evaluate(gt[i:i + 2], pred[i:i + 2], windows=(2,))
        assert (w['VPQ@2'] < 1.0) == (i == 3), i
    # association: person split in two halves, AQ(person) = 2 * 4/8 * 1/2 = 0.5
    assert s['AQ'] == pytest.approx(0.75) and s['SQ'] == pytest.approx(1.0)
    assert s['STQ'] == pytest.approx(math.sqrt(0.75))


def test_segment_on_void_is_ignored():
    gt = [frame() for _ in range(L)]
    for f in gt:
        f[0, 6:10] = 0  # a 4-pixel void patch in the sky
    pred = [f.copy() for f in gt]
    for f in pred:
        f[0, 6:10] = 4002
    base, with_void = evaluate(gt, gt), evaluate(gt, pred)
    for key in SCALARS:
        assert with_void[key] == pytest.approx(base[key]), key
    assert with_void['per_category'][4]['windows'][1]['fp'] == 0
    # grown onto as many sky pixels, it is no longer mostly (> 1/2) on void: an FP
    for f in pred:
        f[1, 6:10] = 4002
    assert evaluate(gt, pred)['per_category'][4]['windows'][1]['fp'] == L


def test_void_pixels_leave_the_union():
    gt = [frame() for _ in range(L)]
    for f in gt:
        f[1:3, 4] = 0  # 2 void pixels right of the 6-pixel person
    pred = [frame() for _ in range(L)]
    for f in pred:
        f[1:3, 4] = 3001  # person grown onto them: IoU 6/8 with void kept, 1 without
    person = evaluate(gt, pred)['per_category'][3]['windows']
    assert all(person[k]['tp'] == L - k + 1 and person[k]['fp'] == 0 for k in KS)
    assert person[1]['pq'] == pytest.approx(1.0)


def test_crowd_gt_is_neither_matched_nor_missed():
    gt = [frame() for _ in range(L)]
    crowd = [segs(f, crowd=(4001,)) for f in gt]
    s = evaluate(gt, gt, gt_segs=crowd)  # predicted car lies on the crowd car: not an FP
    car = s['per_category'][4]['windows']
    assert all((car[k]['tp'], car[k]['fp'], car[k]['fn']) == (0, 0, 0) for k in KS)
    assert s['per_category'][4]['VPQ'] == -1.0 and s['VPQ'] == 1.0
    pred = [frame(car=3009) for _ in range(L)]  # a person there is an FP (other category)
    assert evaluate(gt, pred, gt_segs=crowd)['per_category'][3]['windows'][1]['fp'] == L


def test_video_added_twice_raises():
    gt = [frame() for _ in range(2)]
    ev = VIPSegEvaluator(CATS)
    ev.add_video('v', gt, [segs(f) for f in gt], gt, [segs(f) for f in gt])
    with pytest.raises(ValueError, match="'v'"):
        ev.add_video('v', gt, [segs(f) for f in gt], gt, [segs(f) for f in gt])


@pytest.mark.parametrize('shift, matched', [(9, True), (10, False), (11, False)])
def test_iou_threshold(shift, matched):
    gt = np.full((3, 50), 2, np.int64)
    gt[1, :30] = 3001
    pred = np.full((3, 50), 2, np.int64)
    pred[1, shift:shift + 30] = 3001  # IoU = (30 - s) / (30 + s): 21/39, 1/2, 19/41
    person = evaluate([gt], [pred], windows=(1,))['per_category'][3]['windows'][1]
    if matched:
        assert (person['tp'], person['fp'], person['fn']) == (1, 0, 0)
        assert person['pq'] == pytest.approx(21 / 39)
    else:
        assert (person['tp'], person['fp'], person['fn']) == (0, 1, 1)
        assert person['pq'] == 0.0


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), quirk=st.booleans())
def test_permuting_predicted_ids_changes_nothing(seed, quirk):
    rng = np.random.default_rng(seed)
    n, h, w = 3, 4, 5
    gt = [rng.choice([0, 1, 2, 3001, 3002, 4001], size=(h, w)) for _ in range(n)]
    blobs = rng.choice([0, 1, 2, 3001, 3002, 3003, 4001, 4002], size=(n, 2, 3))
    pred = [np.kron(b, np.ones((2, 2), np.int64))[:h, :w] for b in blobs]  # blocky
    pred = [np.where(rng.random((h, w)) < 0.2, g, p) for g, p in zip(gt, pred)]
    ids = sorted({int(i) for p in pred for i in np.unique(p) if i})
    new = rng.permutation(len(ids)) + 10
    remap = {i: cat_of(i) * 1000 + int(j) if i >= 1000 else 500 + int(j)
             for i, j in zip(ids, new)}
    remap[0] = 0
    lut_keys = np.array(sorted(remap))
    lut_vals = np.array([remap[k] for k in lut_keys])
    permuted = [lut_vals[np.searchsorted(lut_keys, p)] for p in pred]
    perm_segs = [[dict(id=remap[s['id']], category_id=s['category_id']) for s in segs(p)]
                 for p in pred]
    a = evaluate(gt, pred, quirk=quirk, windows=(1, 2, 3))
    b = evaluate(gt, permuted, quirk=quirk, windows=(1, 2, 3), pred_segs=perm_segs)
    for key in ['VPQ', 'VPQ@1', 'VPQ@2', 'VPQ@3', 'STQ', 'AQ', 'SQ']:
        assert b[key] == pytest.approx(a[key]), key


def test_short_video_skips_long_windows():
    gt = [frame() for _ in range(3)]
    s = evaluate(gt, gt)
    assert s['VPQ@1'] == s['VPQ@2'] == 1.0
    assert s['VPQ@4'] == s['VPQ@6'] == s['VPQ@8'] == -1.0
    assert s['VPQ'] == 1.0


def _bad_inputs(case):
    gt = [frame() for _ in range(L)]
    pred = [frame() for _ in range(L)]
    gs, ps = [segs(f) for f in gt], [segs(f) for f in pred]
    if case == 'missing_frame':
        pred, ps = pred[:7], ps[:7]
        return gt, gs, pred, ps, 7
    if case == 'wrong_size':
        pred[2] = np.ones((H, W + 1), np.int64)
        ps[2] = segs(pred[2])
        return gt, gs, pred, ps, 2
    if case == 'gt_id_not_in_json':
        gs[3] = [s for s in gs[3] if s['id'] != 4001]
        return gt, gs, pred, ps, 3
    if case == 'gt_json_id_not_in_png':
        gs[4] = gs[4] + [dict(id=4099, category_id=4, iscrowd=0)]
        return gt, gs, pred, ps, 4
    if case == 'pred_id_not_in_json':
        ps[5] = [s for s in ps[5] if s['id'] != 1]
        return gt, gs, pred, ps, 5
    if case == 'pred_json_id_not_in_png':
        ps[6] = ps[6] + [dict(id=3007, category_id=3)]
        return gt, gs, pred, ps, 6
    if case == 'gt_unknown_category':
        gs[1][0]['category_id'] = 99
        return gt, gs, pred, ps, 1
    assert case == 'pred_unknown_category'
    ps[0][-1]['category_id'] = 99
    return gt, gs, pred, ps, 0


@pytest.mark.parametrize('case', [
    'missing_frame', 'wrong_size', 'gt_id_not_in_json', 'gt_json_id_not_in_png',
    'pred_id_not_in_json', 'pred_json_id_not_in_png', 'gt_unknown_category',
    'pred_unknown_category'])
def test_bad_input_raises(case):
    gt, gs, pred, ps, t = _bad_inputs(case)
    ev = VIPSegEvaluator(CATS)
    with pytest.raises(ValueError, match=rf"video 'bad' frame {t}\b"):
        ev.add_video('bad', gt, gs, pred, ps)
    assert ev.summary()['num_videos'] == 0


def test_rgb_roundtrip():
    ids = np.array([[0, 1, 255, 256], [65535, 65536, 2**24 - 1, 4001]])
    rgb = id2rgb(ids)
    assert rgb.dtype == np.uint8 and rgb.shape == (2, 4, 3)
    assert (rgb2id(rgb) == ids).all()
    assert list(rgb[0, 3]) == [0, 1, 0]
    with pytest.raises(ValueError):
        id2rgb(np.array([2**24]))


@pytest.fixture(scope='module')
def vipseg_files(tmp_path_factory):
    """Synthetic VIPSeg GT plus a prediction that is a copy of it."""
    from mvc_plugin.datasets.synthetic import SyntheticVideoSpec, write_vipseg
    root = tmp_path_factory.mktemp('vipseg')
    spec = SyntheticVideoSpec(num_videos=3, num_frames=9, height=32, width=48, seed=3)
    gt_json = write_vipseg(spec, root / 'data', split='val', progress=False)
    with open(gt_json) as f:
        gt = json.load(f)
    pred_root = root / 'pred'
    shutil.copytree(root / 'data' / 'panomasksRGB', pred_root)
    pred_json = root / 'pred.json'
    pred_json.write_text(json.dumps(dict(annotations=gt['annotations'])))
    return dict(gt_json=gt_json, gt_root=str(root / 'data' / 'panomasksRGB'),
                pred_json=str(pred_json), pred_root=str(pred_root), gt=gt, root=root)


def test_files_gt_as_prediction(vipseg_files):
    paths = {k: vipseg_files[k] for k in ('gt_json', 'gt_root', 'pred_json', 'pred_root')}
    one = evaluate_vipseg_files(**paths, nproc=1, progress=False)
    for key in SCALARS:
        assert one[key] == pytest.approx(1.0), key
    assert one['num_videos'] == 3 and one['num_frames'] == 27 and one['num_tracks'] > 0
    two = evaluate_vipseg_files(**paths, nproc=2, progress=False)
    assert two == one


def test_files_bad_prediction(vipseg_files, tmp_path):
    gt, name = vipseg_files['gt'], vipseg_files['gt']['annotations'][1]['video_id']
    paths = dict(gt_json=vipseg_files['gt_json'], gt_root=vipseg_files['gt_root'])
    # a video absent from pred.json
    pred_json = tmp_path / 'pred.json'
    pred_json.write_text(json.dumps(dict(annotations=gt['annotations'][:1])))
    with pytest.raises(ValueError, match=rf"video '{name}' frame 0: prediction missing"):
        evaluate_vipseg_files(**paths, pred_json=str(pred_json),
                              pred_root=vipseg_files['pred_root'], progress=False)
    # the last frame of a video missing from pred.json
    short = json.loads(json.dumps(gt['annotations']))
    short[1]['annotations'].pop()
    pred_json.write_text(json.dumps(dict(annotations=short)))
    with pytest.raises(ValueError, match=rf"video '{name}' frame 8: prediction missing"):
        evaluate_vipseg_files(**paths, pred_json=str(pred_json),
                              pred_root=vipseg_files['pred_root'], progress=False)
    # a prediction PNG of the wrong size at frame 2
    pred_root = tmp_path / 'pred'
    shutil.copytree(vipseg_files['pred_root'], pred_root)
    frame2 = gt['annotations'][1]['annotations'][2]['file_name']
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(pred_root / name / frame2)
    with pytest.raises(ValueError, match=rf"video '{name}' frame 2: prediction has size"):
        evaluate_vipseg_files(**paths, pred_json=vipseg_files['pred_json'],
                              pred_root=str(pred_root), progress=False)
    # a missing prediction PNG at frame 4
    (pred_root / name / frame2).unlink()
    shutil.copy(vipseg_files['root'] / 'pred' / name / frame2, pred_root / name / frame2)
    (pred_root / name / gt['annotations'][1]['annotations'][4]['file_name']).unlink()
    with pytest.raises(ValueError, match=rf"video '{name}' frame 4: prediction PNG not found"):
        evaluate_vipseg_files(**paths, pred_json=vipseg_files['pred_json'],
                              pred_root=str(pred_root), nproc=2, progress=False)
