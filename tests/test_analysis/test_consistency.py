"""Identity switches, flicker and presence on hand-made tracks (values checked by hand)."""
import numpy as np
import pytest

from mvc_plugin.analysis.consistency import (VISConsistency, count_flicker, count_id_switches,
                                             mask_iou_matrix, match_masks, track_presence)


def _box(y0: int, x0: int, h: int = 4, w: int = 4, size=(12, 12)) -> np.ndarray:
    m = np.zeros(size, dtype=bool)
    m[y0:y0 + h, x0:x0 + w] = True
    return m


A, B = _box(0, 0), _box(6, 6)  # two disjoint 4x4 objects


def test_iou_matrix_and_threshold_is_strict():
    half = np.zeros_like(A)
    half[0:2, 0:4] = True  # 8 of A's 16 pixels: IoU exactly 0.5
    iou = mask_iou_matrix(np.stack([A, B]), np.stack([half, B]))
    np.testing.assert_allclose(iou, [[0.5, 0.0], [0.0, 1.0]])
    assert match_masks(np.stack([A, B]), np.stack([half, B])) == [(1, 1)]  # 0.5 is not > 0.5
    assert match_masks(np.zeros((0, 12, 12)), np.stack([A])) == []


def test_hungarian_pairs_objects_with_their_tracks():
    pairs = match_masks(np.stack([A, B]), np.stack([B, A]))
    assert sorted(pairs) == [(0, 1), (1, 0)]


def test_no_switch_when_each_object_keeps_its_track():
    gt = [{7: A, 8: B}] * 3
    pred = [{1: A, 2: B}] * 3
    assert count_id_switches(gt, pred) == 0


def test_one_switch_when_the_track_id_changes():
    gt = [{7: A}] * 3
    pred = [{1: A}, {1: A}, {2: A}]
    assert count_id_switches(gt, pred) == 1


def test_switch_is_against_the_last_match_across_an_unmatched_frame():
    gt = [{7: A}] * 4
    pred = [{1: A}, {}, {1: A}, {3: A}]  # frame 1 unmatched: no reset, frame 3 switches
    assert count_id_switches(gt, pred) == 1
    assert count_id_switches(gt, [{1: A}, {}, {2: A}, {2: A}]) == 1


def test_swapped_tracks_give_two_switches():
    gt = [{7: A, 8: B}] * 2
    assert count_id_switches(gt, [{1: A, 2: B}, {2: A, 1: B}]) == 2


def test_frame_count_mismatch_is_an_error():
    with pytest.raises(ValueError, match='prediction frames'):
        count_id_switches([{}], [{}, {}])


@pytest.mark.parametrize('presence, expected', [
    ([[1, 1, 1, 1]], 0),                 # steady
    ([[1, 0, 1, 1]], 1),                 # present / absent / present
    ([[0, 1, 0, 0]], 1),                 # absent / present / absent
    ([[1, 1, 0, 0]], 0),                 # leaves once: not flicker
    ([[1, 0, 1, 0, 1]], 3),              # every inner frame differs from equal neighbours
    ([[1, 0]], 0),                       # too short to flicker
    ([[1, 0, 1], [0, 1, 0], [0, 0, 0]], 2),
])
def test_flicker(presence, expected):
    assert count_flicker(np.array(presence, dtype=bool)) == expected


def test_presence_needs_a_pixel_and_the_score():
    masks = np.zeros((3, 2, 12, 12), dtype=bool)
    masks[0, 0], masks[1] = A, B
    np.testing.assert_array_equal(track_presence(masks, [0.9, 0.4, 0.9], 0.5),
                                  [[True, False], [False, False], [False, False]])
    per_frame = track_presence(masks, [[0.9, 0.9], [0.9, 0.1], [1, 1]], 0.5)
    np.testing.assert_array_equal(per_frame[1], [True, False])


def test_vis_consistency_rates_per_100_frames():
    acc = VISConsistency(score_thr=0.5)
    empty = np.zeros_like(A)
    # video 1 (4 frames): track 0 follows A, then track 1 takes over -> one switch
    for t in range(4):
        acc.add_frame({7: A}, np.stack([A if t < 3 else empty, A if t == 3 else empty]),
                      [0, 1], [0.9, 0.9])
    acc.start_video()
    # video 2 (4 frames): track 5 blinks out at frame 1 -> one flicker; a low score is absent
    for t in range(4):
        acc.add_frame({3: B}, np.stack([empty if t == 1 else B, A]), [5, 6], [0.8, 0.2])
    s = acc.summary()
    assert (s['videos'], s['frames'], s['id_switches'], s['flicker']) == (2, 8, 1, 1)
    assert s['id_switches_per_100_frames'] == pytest.approx(12.5)
    assert s['flicker_per_100_frames'] == pytest.approx(12.5)
    assert s['present_tracks_per_frame'] == pytest.approx(7 / 8)
    assert VISConsistency().summary()['flicker_per_100_frames'] is None
