"""safe_load_checkpoint: mmengine checkpoints load, anything else is refused by name."""
import os
import pickle

import numpy as np
import pytest
import torch

from mvc_plugin.engine import UnsafeCheckpointError, safe_load_checkpoint
from mvc_plugin.engine.rng_state import capture_rng_states

from .toy_runner import toy_runner


class _Evil:
    def __reduce__(self):
        return (os.system, ('echo pwned',))


class _GetattrEvil:
    def __reduce__(self):
        return (getattr, (np.ndarray, 'tofile'))


class Custom:  # an innocent but unlisted class
    pass


def test_runner_checkpoint_with_rng_states_loads(tmp_path):
    toy_runner(tmp_path, max_iters=2, hooks=[dict(type='RNGStateHook')],
               checkpoint=dict(type='AtomicCheckpointHook', interval=2, by_epoch=False)).train()
    ckpt = safe_load_checkpoint(tmp_path / 'iter_2.pth')
    assert ckpt['meta']['iter'] == 2 and 'rng_states' in ckpt['meta']
    assert set(ckpt['state_dict']) == {'linear.weight', 'linear.bias'}


@pytest.mark.parametrize('payload,offending', [
    (_Evil(), 'system'), (Custom(), 'Custom'), (_GetattrEvil(), "getattr(ndarray, 'tofile')")])
def test_foreign_objects_are_refused_by_name(tmp_path, payload, offending):
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {'w': torch.ones(1)}, 'meta': {'x': payload}}, path)
    with pytest.raises(UnsafeCheckpointError) as e:
        safe_load_checkpoint(path)
    assert offending in e.value.offending and str(path) in str(e.value)
    assert 'refused to load' in str(e.value) and 'allow-list' in str(e.value)
    assert isinstance(e.value, pickle.UnpicklingError)  # callers catching torch's error still do


def test_missing_file():
    with pytest.raises(FileNotFoundError, match='nowhere.pth'):
        safe_load_checkpoint('/nowhere.pth')


def test_rng_states_need_no_extra_allow_list(tmp_path):
    """The RNG record is tensors / ints / lists only: it loads with torch's defaults alone."""
    path = tmp_path / 'rng.pth'
    torch.save({'rng_states': capture_rng_states()}, path)
    if not hasattr(torch.serialization, 'clear_safe_globals'):  # torch < 2.4: fixed defaults
        assert torch.load(path, weights_only=True)['rng_states']['numpy']['pos'] >= 0
        return
    registered = torch.serialization.get_safe_globals()
    torch.serialization.clear_safe_globals()
    try:
        assert torch.load(path, weights_only=True)['rng_states']['numpy']['pos'] >= 0
    finally:
        torch.serialization.clear_safe_globals()
        torch.serialization.add_safe_globals(registered)
