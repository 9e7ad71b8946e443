"""QueryNoiser: Hungarian matching on cosine similarity and the official noise modes."""
import pytest
import torch

from mvc_plugin.models.dvis_plus import QueryNoiser, match_by_cosine


def test_matching_recovers_a_permutation():
    g = torch.Generator().manual_seed(0)
    ref = torch.randn(12, 16, generator=g)
    perm = torch.randperm(12, generator=g)
    cur = ref[perm] * 3 + 0.05 * torch.randn(12, 16, generator=g)  # scale does not matter
    indices = match_by_cosine(ref, cur)  # slot r follows the current query that was ref[r]
    assert torch.equal(perm[indices], torch.arange(12))


def test_without_noise_the_matched_identities_are_returned():
    noiser = QueryNoiser('wa', noise_ratio=1.0)
    ref, cur = torch.randn(6, 8), torch.randn(6, 8)
    no_norm = cur * 2
    for activate in (False,):
        indices, identities = noiser(ref, cur, no_norm, activate=activate)
        assert torch.equal(identities, no_norm[indices])
    none = QueryNoiser('none', noise_ratio=1.0)
    indices, identities = none(ref, cur, no_norm, activate=True)
    assert torch.equal(identities, no_norm[indices])


def test_random_shuffle_is_a_permutation():
    torch.manual_seed(0)
    cur = torch.randn(10, 4)
    indices, identities = QueryNoiser('rs', 1.0)(cur, cur, activate=True)
    assert sorted(indices.tolist()) == list(range(10))
    assert torch.equal(identities, cur[indices])


def test_weighted_average_targets_the_heavier_query():
    torch.manual_seed(1)
    cur = torch.eye(8) * 10  # orthogonal queries: the mix's largest component is the heavier
    indices, identities = QueryNoiser('wa', 1.0)(cur, cur, activate=True)
    assert not torch.equal(identities, cur)
    assert torch.equal(indices, identities.argmax(1))


def test_channel_concat_is_own_prefix_and_another_querys_suffix():
    torch.manual_seed(2)
    cur = torch.randn(8, 32)
    indices, identities = QueryNoiser('cc', 1.0)(cur, cur, activate=True)
    for slot in range(8):
        row = identities[slot]
        assert any(torch.equal(row[:c], cur[slot, :c]) and torch.equal(row[c:], cur[j, c:])
                   for c in range(32) for j in range(8))
        # the slot follows the other query when most channels are that query's
        own = int((row == cur[slot]).sum())
        assert int(indices[slot]) == slot or own < 16 or torch.equal(row, cur[slot])


def test_invalid_arguments():
    with pytest.raises(ValueError, match='noise_mode'):
        QueryNoiser('hard')
    with pytest.raises(ValueError, match='noise_ratio'):
        QueryNoiser('wa', 1.5)
