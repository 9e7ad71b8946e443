"""NaNLossGuardHook: a NaN loss or gradient stops training; weights and checkpoints stay finite."""
import pytest
import torch

import mvc_plugin  # noqa: F401  (registers the hooks)
from mvc_plugin.engine import NaNLossGuardHook, NonFiniteLossError, safe_load_checkpoint

from ..toy_runner import Recorder, toy_runner

EVERY_ITER = dict(type='AtomicCheckpointHook', interval=1, by_epoch=False)


def test_nan_loss_stops_with_iteration_and_terms_and_spares_the_weights(tmp_path):
    rec = Recorder()
    runner = toy_runner(tmp_path, poison={3: 'nan'}, checkpoint=EVERY_ITER,
                        hooks=[rec, dict(type='NaNLossGuardHook')])
    with pytest.raises(NonFiniteLossError) as e:
        runner.train()
    msg = str(e.value)
    assert 'iteration 3' in msg and 'loss_aux=nan' in msg and 'loss=nan' in msg
    assert 'loss_main' not in msg.split('Training stopped')[0]  # only the non-finite terms
    assert 'optimizer step was skipped' in msg
    weights = runner.model.linear.weight.detach()
    assert torch.isfinite(weights).all()
    assert torch.equal(weights, rec.weights[1]), 'the NaN step changed the weights'
    assert sorted(p.name for p in tmp_path.glob('iter_*.pth')) == ['iter_1.pth', 'iter_2.pth']
    assert (tmp_path / 'last_checkpoint').read_text().endswith('iter_2.pth')
    saved = safe_load_checkpoint(tmp_path / 'iter_2.pth')['state_dict']['linear.weight']
    assert torch.isfinite(saved).all()


def test_non_finite_gradient_with_finite_loss_is_stopped_too(tmp_path):
    rec = Recorder()
    runner = toy_runner(tmp_path, poison={2: 'grad'}, checkpoint=EVERY_ITER,
                        hooks=[rec, dict(type='NaNLossGuardHook')])
    with pytest.raises(NonFiniteLossError, match='non-finite gradients at iteration 2'):
        runner.train()
    assert torch.equal(runner.model.linear.weight.detach(), rec.weights[0])
    assert not (tmp_path / 'iter_2.pth').exists()


def test_refuses_to_save_non_finite_weights_or_after_a_nan():
    hook = NaNLossGuardHook()
    hook.before_save_checkpoint(None, {'state_dict': {'w': torch.ones(2)}})  # fine
    with pytest.raises(NonFiniteLossError, match=r"non-finite weights in \['w'\]"):
        hook.before_save_checkpoint(None, {'state_dict': {'w': torch.tensor([1.0, float('inf')]),
                                                          'n': torch.tensor([3])}})
    hook._tripped = 'non-finite loss at iteration 7'
    with pytest.raises(NonFiniteLossError, match='refusing to save.*iteration 7'):
        hook.before_save_checkpoint(None, {'state_dict': {}})


def test_finite_training_is_unchanged(tmp_path):
    """The guard neither alters losses nor weights when everything is finite."""
    plain, guarded = Recorder(), Recorder()
    toy_runner(tmp_path / 'a', max_iters=4, hooks=[plain]).train()
    toy_runner(tmp_path / 'b', max_iters=4, hooks=[guarded, NaNLossGuardHook()]).train()
    assert plain.losses == guarded.losses
    assert all(torch.equal(a, b) for a, b in zip(plain.weights, guarded.weights))
