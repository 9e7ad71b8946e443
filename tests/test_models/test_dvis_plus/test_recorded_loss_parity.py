"""Recorded loss parity with the official DVIS++ training code (no official code needed).

``tests/data/dvispp_loss_parity_small.pth`` was written by
``python tools/dev/dvispp_parity.py --official-root DIR --size small --seed 11
--save-loss-fixture ...`` on a checkout of ``zhang-tao-whu/DVIS_Plus``: a random loss case
(3 videos x 4 frames, objects appearing late / leaving / coming back, one video without
objects; 3 decoder layers) and the official losses and matchings of the criterion
(``VideoSetCriterion`` with ``VideoHungarianMatcher`` and ``VideoHungarianMatcher_Consistent``,
with and without ``matcher_outputs``) and of the segmenter stage (``CTMinVIS``: per-frame
criterion + CTVIS re-id loss). Random points / negatives come from the seed, re-seeded before
each side.
"""
import os.path as osp

import pytest
import torch

from mvc_plugin.testing.dvispp_losses import OURS, compare_losses

FIXTURE = osp.join(osp.dirname(osp.dirname(osp.dirname(__file__))), 'data',
                   'dvispp_loss_parity_small.pth')
TOLERANCE = 1e-4


@pytest.fixture(scope='module')
def recorded():
    data = torch.load(FIXTURE, weights_only=True)
    case = {k: v.float() if isinstance(v, torch.Tensor) and v.is_floating_point() else v
            for k, v in data['case'].items()}
    case['masks'] = [m.float() for m in case['masks']]
    return data, case


def test_fixture_covers_the_hard_cases(recorded):
    data, case = recorded
    assert set(data['official']) == {'criterion', 'segmenter'}
    assert any(len(lb) == 0 for lb in case['labels'])  # a video without objects
    ids = torch.cat([i for i in case['ids'] if len(i)])
    assert ((ids[:, 0] == -1) & (ids[:, 1:] != -1).any(1)).any()  # objects appearing late
    losses = data['official']['segmenter']['losses']
    assert losses['loss_reid'] > 0 and 'd1.loss_dice' in losses
    assert len(data['official']['criterion']['losses']) == 27  # 3 runs x 3 layers x 3 terms


@pytest.mark.parametrize('component', ['criterion', 'segmenter'])
def test_every_loss_matches_the_official(recorded, component):
    data, case = recorded
    with torch.no_grad():
        diffs = compare_losses(data['official'][component], OURS[component](case), component)
    assert diffs[f'{component}_matches_equal'], diffs
    assert diffs[f'{component}_loss_max_abs_diff'] <= TOLERANCE, diffs


@pytest.mark.parametrize('component,planted', [
    ('criterion', dict(eos_coef=0.2)),
    ('criterion', dict(dice_weight=4.0)),
    ('segmenter', dict(eos_coef=0.2)),
    ('segmenter', dict(reid_weight=2.5)),
])
def test_a_planted_change_is_caught(recorded, component, planted):
    data, case = recorded
    with torch.no_grad():
        diffs = compare_losses(data['official'][component], OURS[component](case, **planted),
                               component)
    assert diffs[f'{component}_loss_max_abs_diff'] > TOLERANCE, diffs
