"""Our VIPSeg VPQ / STQ and VSPW mIoU / VC against numbers computed by the official scripts.

The inputs are small hand-made videos, built below (no random numbers, no dependency on the
synthetic-data generator), holding the hard cases: id switches, a thing whose class flickers,
per-frame ids, predictions on void, predicted void on labelled pixels, a crowd segment, a thing
listed first in a video (the official STQ numbers it 0 and treats it as crowd), a first frame
that is all void, a class never predicted, a class only predicted, GT labels alternating between
"others" (0) and void (255), windows with no constant GT pixel, and videos shorter and longer
than the VPQ / VC windows.

The ``OFFICIAL_*`` numbers were produced by running the official scripts (not vendored here) on
exactly these inputs, written to disk in the official layouts by ``write_vipseg_official`` /
``write_vspw_official``:

* VIPSeg: ``ClipPanoFCN/eval_vpq_vspw.py`` and ``ClipPanoFCN/eval_stq_vspw.py`` (with its
  ``segmentation_and_tracking_quality.py``, deeplab2's numpy STQ) of
  github.com/VIPSeg-Dataset/VIPSeg-Dataset at commit 92e1459db13d80c8e96e167c7c2e8ef2c9ee9a2e,
  run unchanged under Python 3.11 / numpy 2.4; VPQ per k is the value ``vpq_compute_parallel``
  returns (the script writes only 4 decimals), and VPQ the script's ``sum(v) / len(v)`` of it.
* VSPW: ``VC_perclip.py`` and ``evaluator_test.py`` of github.com/VSPW-dataset/VSPW_code at
  commit 73b98ceb92cd9639da210da14f1bb0e02946f846, with the ``Evaluator`` from ``utils.py`` of
  github.com/sssdddwww2/CVPR2021_VSPW_Implement at commit
  3ead088804fe34d3b826b656e026d50562a3f7bd (the VSPW_code repository does not ship it). Shims:
  ``clip_num`` (hard-coded 16) read from the environment to also run VC8; ``evaluator_test.py``
  fed GT masks converted with the dataset README's recommended code (0 -> 255, r -> r - 1), as
  its ``Evaluator(124)`` expects, while ``VC_perclip.py`` reads the raw masks.

A second set (``official_rule_cases.py``) holds the cases where the official rules differ from
the plug-in's earlier ones: a predicted id changing class inside a window, two crowd segments
of one category, a JSON ``area`` unlike the PNG's, and YouTube-VIS ground truth as polygons
(``OFFICIAL_VIPSEG_RULES`` from the same VIPSeg scripts; ``OFFICIAL_YTVIS_POLYGONS`` from
``ytvos.py`` + ``ytvoseval.py`` of github.com/youtubevos/cocoapi at commit
f3f99484ba1ba08dd0b3a74ac1e73f3be8a4ca8f, run as ``tools/official_runners.py`` does: ``mask``
from the installed pycocotools, ``np.float = float`` and an integer ``np.linspace`` count).

To regenerate: write the inputs with the two ``write_*_official`` functions, run the scripts on
them (``eval_vpq_vspw.py --submit_dir PRED --truth_dir GT/panomasksRGB --pan_gt_json_file
GT/panoptic_gt.json``, the same for ``eval_stq_vspw.py``; ``VC_perclip.py GT PRED``,
``evaluator_test.py GT_EVAL PRED``) and paste the printed values below in percent (the VPQ
script prints each k's all / thing / stuff values in percent; the others print fractions).
docs/metrics.md describes the random-input comparison these numbers were checked with.
"""
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mvc_plugin.evaluation.functional.vipseg_eval import (VIPSegEvaluator, evaluate_vipseg_files,
                                                          id2rgb)
from mvc_plugin.evaluation.functional.vspw_eval import VSPWEvaluator, evaluate_vspw_dirs
from mvc_plugin.evaluation.functional.ytvis_eval import evaluate_ytvis, to_percent

from .official_rule_cases import rule_case, ytvis_polygon_case

# ----------------------------------------------------------------------------- VIPSeg input
# Category ids start at 0, as in VIPSeg.
VIPSEG_CATS = [dict(id=0, name='wall', isthing=0), dict(id=1, name='sky', isthing=0),
               dict(id=2, name='grass', isthing=0), dict(id=3, name='person', isthing=1),
               dict(id=4, name='car', isthing=1)]
VH, VW = 8, 12
WALL, SKY, GRASS = 9, 7, 12  # GT stuff segment ids
GT_CAT = {WALL: 0, SKY: 1, GRASS: 2, 300: 3, 301: 3, 400: 4, 401: 4, 402: 4, 403: 4}
P_WALL, P_SKY = 90, 70  # predicted stuff segment ids
PRED_CAT = {P_WALL: 0, P_SKY: 1, 30: 3, 31: 3, 32: 3, 41: 3, 40: 4, 42: 4, 50: 4, 51: 4,
            **{60 + t: 4 for t in range(9)}}


def _segments(ids, cat, first=None, crowd=()):
    """segments_info of an id map, sorted by id except that ``first`` is listed first."""
    present, area = np.unique(ids, return_counts=True)
    segs = [dict(id=int(i), category_id=cat[int(i)], area=int(a), iscrowd=int(i in crowd))
            for i, a in zip(present, area) if i]
    segs.sort(key=lambda s: (s['id'] != first, s['id']))
    return segs


def _v0(t):
    """10 frames: sky / wall, a void corner, a static car, a person walking right over it.

    Prediction: the person's id switches at frame 5; the car is predicted as a person at
    frame 3; a car blob lies mostly on void at frame 2; the top-left is predicted void
    (labelled GT) at frame 7. The person is listed first in frame 0.
    """
    g = np.full((VH, VW), WALL)
    g[:3] = SKY
    g[6:, :4] = 0
    g[5:, 8:] = 400
    g[3:6, t:t + 2] = 300
    p = np.select([g == WALL, g == SKY, g == 400, g == 300], [P_WALL, P_SKY, 40, 30 + (t >= 5)])
    if t == 3:
        p[g == 400] = 41
    if t == 2:
        p[5:, :4] = 42  # 8 void + 4 wall pixels
    if t == 7:
        p[:2, :6] = 0
    return g, p, dict(first=300 if t == 0 else None)


def _v1(t):
    """3 frames (shorter than 4, 6, 8): frame 0 all void; grass, a car and a crowd car.

    The car is listed first in frame 1. Prediction: wall everywhere on the void frame, grass
    (never predicted anywhere) as wall, a car over the crowd region, sky on top at frame 2.
    """
    g = np.zeros((VH, VW), np.int64)
    if t:
        g[:] = GRASS
        g[2:5, 2:6] = 401
        g[2:5, 7:11] = 402
    p = np.select([g == 401, g == 402], [50, 51], P_WALL)
    if t == 2:
        p[:2] = P_SKY
    return g, p, dict(first=401 if t == 1 else None, crowd=(402,))


def _v2(t):
    """9 frames: sky / wall, a car driving left, a person from frame 4.

    Prediction: a new car id every frame (a per-frame model), the person one pixel column too
    wide at frame 5, wall predicted as sky on the bottom rows at frame 6.
    """
    g = np.full((VH, VW), WALL)
    g[:4] = SKY
    g[4:7, 9 - t:12 - t] = 403
    if t >= 4:
        g[1:4, 5:7] = 301
    p = np.select([g == WALL, g == SKY, g == 403, g == 301], [P_WALL, P_SKY, 60 + t, 32])
    if t == 5:
        p[1:4, 7] = 32
    if t == 6:
        p[6:] = P_SKY
    return g, p, {}


VIPSEG_VIDEOS = {'v0': (_v0, 10), 'v1': (_v1, 3), 'v2': (_v2, 9)}


def vipseg_case():
    """{video: (gt id maps, gt segments_info, pred id maps, pred segments_info)}."""
    out = {}
    for name, (make, num_frames) in VIPSEG_VIDEOS.items():
        gts, gsegs, preds, psegs = [], [], [], []
        for t in range(num_frames):
            g, p, opts = make(t)
            gts.append(g)
            preds.append(p)
            gsegs.append(_segments(g, GT_CAT, **opts))
            psegs.append(_segments(p, PRED_CAT))
        out[name] = gts, gsegs, preds, psegs
    return out


def write_vipseg_official(root, case=None):
    """GT ``root/gt/{panoptic_gt.json,panomasksRGB}``, predictions ``root/pred/{pred.json,
    pan_pred}``: the layout both the official scripts and ``evaluate_vipseg_files`` read.
    ``case``: another case of the same form as :func:`vipseg_case` (the default)."""
    root = Path(root)
    gt = dict(categories=VIPSEG_CATS, videos=[], annotations=[])
    pred = dict(annotations=[])
    for name, (gts, gsegs, preds, psegs) in (case or vipseg_case()).items():
        images, gframes, pframes = [], [], []
        for t, (g, p) in enumerate(zip(gts, preds)):
            stem = f'{t:05d}'
            for sub, ids in (('gt/panomasksRGB', g), ('pred/pan_pred', p)):
                (root / sub / name).mkdir(parents=True, exist_ok=True)
                Image.fromarray(id2rgb(ids)).save(root / sub / name / f'{stem}.png')
            images.append(dict(id=stem, file_name=f'{stem}.png', width=VW, height=VH))
            gframes.append(dict(image_id=stem, file_name=f'{stem}.png', segments_info=gsegs[t]))
            pframes.append(dict(image_id=stem, file_name=f'{stem}.png', segments_info=psegs[t]))
        gt['videos'].append(dict(video_id=name, images=images))
        gt['annotations'].append(dict(video_id=name, annotations=gframes))
        pred['annotations'].append(dict(video_id=name, annotations=pframes))
    (root / 'gt' / 'panoptic_gt.json').write_text(json.dumps(gt))
    (root / 'pred' / 'pred.json').write_text(json.dumps(pred))
    return root


# ----------------------------------------------------------------------------- VSPW input
SH, SW = 6, 8


def _vspw_a(t):
    """18 frames (2 VC16 windows): classes raw 1 / 3, a moving raw-5 object, a void patch,
    one pixel alternating void (255) / "others" (0). Prediction: the object flickers to class 6
    (only predicted) every 4th frame; class 99 (only predicted) in a corner at frame 10."""
    g = np.full((SH, SW), 3)
    g[:2] = 1
    g[4:, :2] = 255
    g[0, 7] = 0 if t % 3 == 1 else 255
    x = (t // 2) % 6
    g[2:4, x:x + 2] = 5
    p = np.where((g == 0) | (g == 255), 2, g - 1)
    if t % 4 == 3:
        p[g == 5] = 6
    if t == 10:
        p[:2, :3] = 99
    return g, p


def _vspw_b(t):
    """17 frames: every pixel changes between frames 0..4 (so the VC8 windows starting at 0..3
    and the only VC16 window have no constant GT pixel), then a raw-6 dot moves along row 1.
    Prediction: rows 0-1 predicted as class 5 at frames 6 and 11."""
    a = np.full((SH, SW), 2)
    a[3:] = 4
    a[:, 6:] = 0
    g = a if t % 2 == 0 or t >= 4 else a % 8 + 1
    g = g.copy()
    if t >= 4:
        g[1, t % 6] = 6
    p = np.where((g == 0) | (g == 255), 0, g - 1)
    if t in (6, 11):
        p[:2] = 5
    return g, p


def _vspw_c(t):
    """9 frames: one VC8 window is counted (i = 0; the official range(L - n) skips i = 1), so
    the flicker at the last frame lowers the mIoU but not VC8."""
    g = np.full((SH, SW), 1)
    g[2:4, 2:5] = 8
    p = g - 1
    if t == 8:
        p[:] = 7
    return g, p


def _vspw_d(t):
    """5 frames (no VC window): half of the raw-4 region predicted as class 4."""
    g = np.full((SH, SW), 4)
    g[:, :3] = 2
    p = g - 1
    p[:3, 3:] = 4
    return g, p


VSPW_VIDEOS = {'a': (_vspw_a, 18), 'b': (_vspw_b, 17), 'c': (_vspw_c, 9), 'd': (_vspw_d, 5)}


def vspw_case():
    """{video: (raw GT label maps, predicted class maps)} as uint8."""
    return {name: tuple([np.asarray(m, np.uint8) for m in ms]
                        for ms in zip(*(make(t) for t in range(n))))
            for name, (make, n) in VSPW_VIDEOS.items()}


def write_vspw_official(root):
    """Raw GT ``root/gt/data/<v>/mask``, README-converted GT ``root/gt_eval/...`` (for
    ``evaluator_test.py``), predictions ``root/pred/<v>/<frame>.png``, ``val.txt`` in both."""
    root = Path(root)
    for name, (gts, preds) in vspw_case().items():
        for t, (g, p) in enumerate(zip(gts, preds)):
            conv = g.astype(np.int64)
            conv[conv == 0] = 255
            conv = conv - 1
            conv[conv == 254] = 255
            for sub, arr in (('gt/data', g), ('gt_eval/data', conv), ('pred', p)):
                d = root / sub / name / ('mask' if 'data' in sub else '')
                d.mkdir(parents=True, exist_ok=True)
                Image.fromarray(arr.astype(np.uint8)).save(d / f'{t:05d}.png')
    for sub in ('gt', 'gt_eval'):
        (root / sub / 'val.txt').write_text(''.join(f'{n}\n' for n in VSPW_VIDEOS))
    return root


# ----------------------------------------------------------------------------- expected
# Percentages printed by the official scripts on the inputs above (see the module docstring).
OFFICIAL_VIPSEG = {
    'VPQ@1': 74.32187069549963, 'VPQ@2': 60.86712404960546, 'VPQ@4': 70.26162904435694,
    'VPQ@6': 65.33323839412425, 'VPQ@8': 62.722151125344396,
    'VPQ_thing@1': 94.20403881458171, 'VPQ_thing@2': 59.13510986442263,
    'VPQ_thing@4': 44.878043103849556, 'VPQ_thing@6': 34.87460099579293,
    'VPQ_thing@8': 29.67605632318069,
    'VPQ_stuff@1': 61.067091949444894, 'VPQ_stuff@2': 62.02180017306068,
    'VPQ_stuff@4': 95.64521498486431, 'VPQ_stuff@6': 95.79187579245556,
    'VPQ_stuff@8': 95.7682459275081,
    'VPQ': 66.70120266178614, 'VPQ_thing': 52.55356982036551, 'VPQ_stuff': 82.05884576546671,
    'STQ': 64.27932568719237, 'AQ': 70.66061487709601, 'SQ': 58.474324317540635,
}
OFFICIAL_VSPW = {'mIoU': 73.18943193566935, 'VC8': 84.92263367263368, 'VC16': 81.81818181818183}
OFFICIAL_VIPSEG_RULES = {
    'VPQ@1': 81.0185185185185, 'VPQ_thing@1': 62.03703703703704, 'VPQ_stuff@1': 100.0,
    'VPQ@2': 79.7979797979798, 'VPQ_thing@2': 59.5959595959596, 'VPQ_stuff@2': 100.0,
    'VPQ@4': 85.91269841269842, 'VPQ_thing@4': 71.82539682539682, 'VPQ_stuff@4': 100.0,
    'VPQ@6': 100.0, 'VPQ_thing@6': 100.0, 'VPQ_stuff@6': 100.0,
    'VPQ@8': 100.0, 'VPQ_thing@8': 100.0, 'VPQ_stuff@8': 100.0,
    'VPQ': 89.34583934583935, 'VPQ_thing': 78.69167869167869, 'VPQ_stuff': 100.0,
    'STQ': 84.02006718201034, 'AQ': 83.19252077562327, 'SQ': 84.85584549492386,
}
OFFICIAL_YTVIS_POLYGONS = {
    'AP': 40.0, 'AP50': 58.33333333333333, 'AP75': 25.0, 'APs': 40.0, 'APm': -1.0,
    'APl': -1.0, 'AR1': 7.5, 'AR10': 75.0, 'AR100': 75.0, 'ARs': 75.0, 'ARm': -1.0,
    'ARl': -1.0,
}


def _close(ours, official):
    """Ours (fractions) against the official percentages, to float precision."""
    assert set(official) <= set(ours)
    for key, value in official.items():
        if value == -1.0:  # undefined (no GT in the area range)
            assert ours[key] == -1.0, key
            continue
        assert 100 * ours[key] == pytest.approx(value, rel=1e-12, abs=1e-12), key


def test_vipseg_files_match_official_scripts(tmp_path):
    root = write_vipseg_official(tmp_path)
    res = evaluate_vipseg_files(str(root / 'gt' / 'panoptic_gt.json'),
                                str(root / 'gt' / 'panomasksRGB'), str(root / 'pred' / 'pred.json'),
                                str(root / 'pred' / 'pan_pred'), progress=False)
    _close(res, OFFICIAL_VIPSEG)


def _vipseg_summary(quirk):
    ev = VIPSegEvaluator(VIPSEG_CATS, stq_official_quirk=quirk)
    for name, (gts, gsegs, preds, psegs) in vipseg_case().items():
        ev.add_video(name, gts, gsegs, preds, psegs)
    return ev.summary()


def test_vipseg_official_stq_quirks_by_hand():
    official, fixed = _vipseg_summary(True), _vipseg_summary(False)
    _close(official, OFFICIAL_VIPSEG)  # in memory too, and stq_official_quirk is the default
    # GT thing tracks: v0 person 300 and car 400, v1 car 401 and crowd car 402, v2 person 301
    # and car 403. The official script numbers the first listed segment of a video 0 (crowd
    # for deeplab2's STQ) and ignores iscrowd: it drops 300 and 401 but keeps 402 -> 4 tracks;
    # the corrected variant drops only the crowd 402 -> 5.
    assert (official['num_tracks'], fixed['num_tracks']) == (4, 5)
    assert official['AQ'] != pytest.approx(fixed['AQ'])
    # v0 frame 7 predicts void on labelled pixels: the official SQ averages the 5 class IoUs
    # (the same in both variants) over 6 classes.
    ious = [c['IoU'] for c in fixed['per_category'].values()]
    assert ious == [c['IoU'] for c in official['per_category'].values()]
    assert ious[2] == 0.0  # grass is never predicted
    assert fixed['SQ'] == pytest.approx(sum(ious) / 5)
    assert official['SQ'] == pytest.approx(sum(ious) / 6)
    for key in OFFICIAL_VIPSEG:  # VPQ does not depend on the STQ switch
        if key.startswith('VPQ'):
            assert fixed[key] == official[key], key


def test_vspw_dirs_match_official_scripts(tmp_path):
    root = write_vspw_official(tmp_path)
    res = evaluate_vspw_dirs(str(root / 'gt'), str(root / 'pred'), str(root / 'gt' / 'val.txt'),
                             progress=False)
    _close(res, OFFICIAL_VSPW)


def test_vspw_official_definitions_by_hand():
    res = {}
    for mode in ('gt', 'union'):
        ev = VSPWEvaluator(miou_classes=mode)
        for name, (gts, preds) in vspw_case().items():
            ev.add_video(name, gts, preds)
        res[mode] = ev.summary()
    _close(res['gt'], OFFICIAL_VSPW)
    # VC8 windows: a 18 - 8 = 10, b 9 of which 4 (starting at 0..3) have no constant GT pixel
    # and are skipped (the official nanmean), c 1 (range(9 - 8)), d none; VC16: a 2, b's only
    # window is empty.
    assert {n: len(a) for n, a in ev.window_accuracies.items()} == {8: 16, 16: 2}
    assert ev.window_accuracies[8][-1] == 1.0  # c: its last frame's flicker is never seen
    # the official Evaluator averages over the 7 GT classes; 'union' also counts the classes
    # only predicted (6 and 99), whose IoU is 0
    assert res['union']['mIoU'] == pytest.approx(res['gt']['mIoU'] * 7 / 9)


def test_vipseg_class_change_and_crowds_match_official_scripts(tmp_path):
    root = write_vipseg_official(tmp_path, rule_case())
    res = evaluate_vipseg_files(str(root / 'gt' / 'panoptic_gt.json'),
                                str(root / 'gt' / 'panomasksRGB'), str(root / 'pred' / 'pred.json'),
                                str(root / 'pred' / 'pan_pred'), progress=False)
    _close(res, OFFICIAL_VIPSEG_RULES)


def test_vipseg_earlier_tube_rules_give_other_numbers():
    """Each variant alone moves VPQ_thing on this case (so the default is not one of them)."""
    for option in (dict(vpq_tube_key='category_id'), dict(vpq_crowd='all'),
                   dict(vpq_gt_area='pixels')):
        ev = VIPSegEvaluator(VIPSEG_CATS, **option)
        for name, frames in rule_case().items():
            ev.add_video(name, *frames)
        ours = ev.summary()
        assert abs(100 * ours['VPQ_thing'] - OFFICIAL_VIPSEG_RULES['VPQ_thing']) > 0.5, option
        # stuff and STQ do not depend on the VPQ tube rules
        assert 100 * ours['STQ'] == pytest.approx(OFFICIAL_VIPSEG_RULES['STQ'], rel=1e-12)


def test_ytvis_polygon_ground_truth_matches_official_api():
    gt, results = ytvis_polygon_case()
    _close(evaluate_ytvis(gt, results, verbose=False), OFFICIAL_YTVIS_POLYGONS)
    # planted change: polygons read with x and y swapped give other numbers
    for ann in gt['annotations']:
        ann['segmentations'] = [[[p[i ^ 1] for i in range(len(p))] for p in s]
                                if isinstance(s, list) else s for s in ann['segmentations']]
    swapped = to_percent(evaluate_ytvis(gt, results, verbose=False))
    assert swapped['AP'] != pytest.approx(OFFICIAL_YTVIS_POLYGONS['AP'])
