"""The VPQ tube rules: official defaults and the three variants, on cases counted by hand."""
import numpy as np
import pytest

from mvc_plugin.evaluation.functional.vipseg_eval import VIPSegEvaluator
from mvc_plugin.evaluation.functional.vipseg_tubes import VPQRules

CATS = [dict(id=1, name='wall', isthing=0), dict(id=2, name='person', isthing=1),
        dict(id=3, name='car', isthing=1)]
H, W = 4, 8
WALL, PERSON, CAR = 0, 1, 2  # category indices


def _segs(ids, cat, crowd=(), area=None):
    present, counts = np.unique(ids, return_counts=True)
    return [dict(id=int(i), category_id=cat[int(i)], iscrowd=int(i in crowd),
                 area=int(c) if area is None or int(i) not in area else area[int(i)])
            for i, c in zip(present, counts) if i]


def _run(frames, windows=(2,), **options):
    ev = VIPSegEvaluator(CATS, windows=windows, **options)
    ev.add_video('v', *frames)
    return ev.accumulator


def _class_change_video():
    """2 frames: wall with a person (GT id 5, right half). The prediction's id 7 covers the
    person in both frames but is labelled person in frame 0 and car in frame 1."""
    g = np.full((H, W), 9)
    g[:, 4:] = 5
    p = np.where(g == 5, 7, 8)
    gcat, pcats = {9: 1, 5: 2}, [{8: 1, 7: 2}, {8: 1, 7: 3}]
    return ([g, g], [_segs(g, gcat)] * 2, [p, p], [_segs(p, pc) for pc in pcats])


def test_id_that_changes_class_is_one_tube_of_its_first_class():
    acc = _run(_class_change_video())
    # official: tube 7 = both frames, category person (frame 0) -> matches the person, IoU 1
    assert acc.tp[0].tolist() == [1, 1, 0] and acc.fp[0].sum() == 0 == acc.fn[0].sum()
    assert acc.iou[0, PERSON] == 1.0


def test_category_id_key_splits_the_tube():
    acc = _run(_class_change_video(), vpq_tube_key='category_id')
    # (person, 7) covers half the person tube: IoU 0.5 is not > 0.5 -> FN person, FP person,
    # FP car (the car tube lies on the person, not on void or crowd)
    assert acc.tp[0].tolist() == [1, 0, 0]
    assert acc.fn[0].tolist() == [0, 1, 0] and acc.fp[0].tolist() == [0, 1, 1]


def _two_crowds_video():
    """1 frame: two crowd car regions (ids 20 listed first, 21 second); a predicted car blob
    lies on crowd 20 only, another on crowd 21 only."""
    g = np.full((H, W), 9)
    g[:, :2] = 20
    g[:, 6:] = 21
    p = np.full((H, W), 8)
    p[:, :2] = 30
    p[:, 6:] = 31
    return ([g], [_segs(g, {9: 1, 20: 3, 21: 3}, crowd=(20, 21))], [p],
            [_segs(p, {8: 1, 30: 3, 31: 3})])


def test_only_the_last_listed_crowd_of_a_category_discounts_by_default():
    official = _run(_two_crowds_video(), windows=(1,))
    assert official.fp[0, CAR] == 1  # blob 30 lies on crowd 20, which the official dict drops
    assert _run(_two_crowds_video(), windows=(1,), vpq_crowd='all').fp[0, CAR] == 0


def test_gt_area_from_json_or_pixels():
    g = np.full((H, W), 9)
    g[:, 4:] = 5
    p = np.where(g == 5, 7, 8)
    p[0, 4] = 8  # 15 of the 16 person pixels predicted
    frames = ([g], [_segs(g, {9: 1, 5: 2}, area={5: 40})], [p], [_segs(p, {8: 1, 7: 2})])
    official = _run(frames, windows=(1,))
    # union = |p| + area_json - |p & g| = 15 + 40 - 15 -> IoU 15 / 40 < 0.5: FN + FP
    assert official.tp[0, PERSON] == 0 and official.fn[0, PERSON] == 1
    pixels = _run(frames, windows=(1,), vpq_gt_area='pixels')
    assert pixels.iou[0, PERSON] == pytest.approx(15 / 16)


def test_crowd_flag_comes_from_the_first_listing_in_the_window():
    """GT id 5 is crowd in frame 0 only: officially a crowd tube in windows starting at 0 (no
    FN), a normal tube from frame 1 (missed -> FN). With category_id the video-wide flag
    (crowd in any frame) keeps it crowd everywhere."""
    g = np.full((H, W), 9)
    g[:, 4:] = 5
    p = np.full((H, W), 8)
    gsegs = [_segs(g, {9: 1, 5: 2}, crowd=(5,)), _segs(g, {9: 1, 5: 2}),
             _segs(g, {9: 1, 5: 2})]
    frames = ([g] * 3, gsegs, [p] * 3, [_segs(p, {8: 1})] * 3)
    assert _run(frames).fn[0, PERSON] == 1  # windows (0, 1) crowd, (1, 2) not
    assert _run(frames, vpq_tube_key='category_id').fn[0, PERSON] == 0


def test_bad_rules_are_refused():
    with pytest.raises(ValueError, match='vpq_tube_key'):
        VIPSegEvaluator(CATS, vpq_tube_key='name')
    with pytest.raises(ValueError, match='vpq_crowd'):
        VPQRules(crowd='first')
    with pytest.raises(ValueError, match='area'):
        _run(([np.zeros((H, W), int) + 9], [[dict(id=9, category_id=1, area=-1)]],
              [np.zeros((H, W), int) + 8], [[dict(id=8, category_id=1)]]))
