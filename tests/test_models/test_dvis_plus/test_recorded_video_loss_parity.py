"""Recorded training-loss parity of the tracker / refiner stages with the official DVIS++.

``tests/data/dvispp_video_loss_parity_small.pth`` was written by ``python
tools/dev/dvispp_video_loss_parity.py --official-root DIR --seed 7 --save-fixture FILE``
on a checkout of ``zhang-tao-whu/DVIS_Plus``: the official tracker / refiner weights (random,
small), the segmenter outputs, the ground truth (objects appearing late, missing in a frame)
and the official ``DVIS_Plus_online`` / ``DVIS_Plus_offline`` training losses and matchings of
4 iterations per stage (2 with guided matching; the refiner's class memory carried over).
Here ours recomputes them with the same seeds.
"""
import functools
import os.path as osp

import pytest
import torch

import mvc_plugin.testing.dvispp_loss_parity as parity
from mvc_plugin.models.dvis_plus import DVISPlusConsistentVideoMatcher

FIXTURE = osp.join(osp.dirname(osp.dirname(osp.dirname(__file__))), 'data',
                   'dvispp_video_loss_parity_small.pth')
TOLERANCE = 1e-4


@pytest.fixture(scope='module')
def recorded():
    return torch.load(FIXTURE, weights_only=True)


def _diffs(data, stages=parity.LOSS_STAGES):
    ours = parity.run_ours_training(data['size'], data['weights'], data['inputs'], data['gt'],
                                    data['seed'], stages=stages)
    return parity.compare_training(data['official'], ours)


def test_fixture_is_not_trivial(recorded):
    official = recorded['official']
    assert set(official) == set(parity.LOSS_STAGES)
    assert recorded['gt']['ids'][1, 0] == -1 and recorded['gt']['ids'][2, 2] == -1
    for stage in parity.LOSS_STAGES:
        losses = [r[0] for r in official[stage]]
        assert len(losses) == 4 and all(l['loss_reid'] > 0 for l in losses)
        assert 'loss_ce_1' in losses[0]  # every tracker / refiner layer supervised


def test_losses_and_matchings_match_the_official(recorded):
    diffs = _diffs(recorded)
    assert set(diffs) == {'tracker_loss_max_abs_diff', 'refiner_loss_max_abs_diff'}
    assert all(v <= TOLERANCE for v in diffs.values()), diffs


def _last_appearance(ids_per_frame):
    by_frame = {}
    last = {}
    for f, ids in enumerate(ids_per_frame):
        for g in torch.nonzero(ids.reshape(ids.shape[0], -1)[:, 0] != -1).flatten().tolist():
            last[g] = f
    for g, f in last.items():
        by_frame.setdefault(f, []).append(g)
    return by_frame


@pytest.mark.parametrize('plant', ['contrastive_weight', 'last_appearance', 'memory_length'])
def test_a_planted_change_is_caught(recorded, monkeypatch, plant):
    if plant == 'contrastive_weight':
        monkeypatch.setattr(parity, 'tracker_stage_losses', functools.partial(
            parity.tracker_stage_losses, contrastive_weight=3.0))
        stage = 'tracker'
    elif plant == 'last_appearance':
        monkeypatch.setattr(DVISPlusConsistentVideoMatcher, 'first_frames',
                            staticmethod(_last_appearance))
        stage = 'tracker'
    else:
        memory_cls = parity.ClassEmbeddingMemory
        monkeypatch.setattr(parity, 'ClassEmbeddingMemory', lambda n: memory_cls(5))
        stage = 'refiner'
    diffs = _diffs(recorded, stages=(stage,))
    assert diffs[f'{stage}_loss_max_abs_diff'] > TOLERANCE
