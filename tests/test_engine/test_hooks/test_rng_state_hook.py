"""RNGStateHook: after a crash and --resume, losses continue exactly as without the crash."""
import random
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.hooks import Hook

import mvc_plugin  # noqa: F401  (registers the hooks)
from mvc_plugin.engine import RNGStateHook, capture_rng_states, restore_rng_states

from ..toy_runner import Recorder, toy_runner

CKPT = dict(type='AtomicCheckpointHook', interval=2, by_epoch=False)


class _Crash(Hook):
    priority = 'LOWEST'  # after the checkpoint hook

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if runner.iter + 1 == 4:
            raise KeyboardInterrupt('simulated kill after the iteration-4 checkpoint')


def _crash_and_resume(work, hooks) -> list:
    first = Recorder()
    with pytest.raises(KeyboardInterrupt):
        toy_runner(work, checkpoint=CKPT, hooks=[first, _Crash(), *hooks]).train()
    assert first.losses and len(first.losses) == 4
    resumed = Recorder()
    toy_runner(work, checkpoint=CKPT, hooks=[resumed, *hooks], resume=True).train()
    return resumed.losses


@pytest.mark.parametrize('with_hook', [True, False])
def test_resume_reproduces_the_uninterrupted_losses(tmp_path, with_hook):
    hooks = [dict(type='RNGStateHook')] if with_hook else []
    reference = Recorder()
    toy_runner(tmp_path / 'ref', checkpoint=CKPT, hooks=[reference, *hooks]).train()
    resumed = _crash_and_resume(tmp_path / 'crash', hooks)
    assert len(resumed) == 2
    if with_hook:
        assert resumed == reference.losses[4:]
    else:  # control: mmengine alone restarts the random streams from the seed
        assert resumed != reference.losses[4:]


def test_states_roundtrip_and_load_weights_only(tmp_path):
    states = capture_rng_states()
    expected = (random.random(), float(np.random.rand()), float(torch.rand(())))
    torch.save({'meta': {'rng_states': states}}, tmp_path / 'c.pth')
    loaded = torch.load(tmp_path / 'c.pth', weights_only=True)['meta']['rng_states']
    restore_rng_states(loaded)
    assert (random.random(), float(np.random.rand()), float(torch.rand(()))) == expected
    with pytest.raises(ValueError, match='malformed RNG state'):
        restore_rng_states({'python': [3]})


def test_load_from_does_not_restore_states():
    """Fine-tuning from a checkpoint (load_from: iteration 0) keeps the fresh seed's streams;
    only a resumed run (iteration > 0) gets the saved states back."""
    saved = capture_rng_states()
    torch.rand(5)  # move on
    hook = RNGStateHook()
    hook.after_load_checkpoint(None, {'meta': {'rng_states': saved}})
    now = torch.get_rng_state()
    hook.before_train_epoch(SimpleNamespace(iter=0, epoch=0, world_size=1))
    assert torch.equal(torch.get_rng_state(), now)
    hook.after_load_checkpoint(None, {'meta': {'rng_states': saved}})
    hook.before_train_epoch(SimpleNamespace(iter=0, epoch=3, world_size=1, train_loop=None))
    assert torch.equal(torch.get_rng_state(), saved['torch'])
