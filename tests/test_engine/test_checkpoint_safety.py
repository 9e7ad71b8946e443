"""mmengine checkpoints load under torch's weights-only loader; anything else is refused."""
import os
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import MessageHub

import mvc_plugin  # noqa: F401  (registers the allow-list)


def _message_hub_state():
    hub = MessageHub.get_instance('test_checkpoint_safety')
    for v in (3.0, 2.0, 1.0):
        hub.update_scalar('train/loss', v)
    hub.update_info('iter', np.int64(7))
    return hub.state_dict()


def test_mmengine_message_hub_loads_weights_only(tmp_path):
    path = tmp_path / 'ckpt.pth'
    torch.save({'state_dict': {'w': torch.ones(2)}, 'message_hub': _message_hub_state(),
                'meta': {'seed': np.int64(3), 'arr': np.zeros(3, np.float32)}}, path)
    ckpt = torch.load(path, map_location='cpu', weights_only=True)
    assert ckpt['message_hub']['log_scalars']['train/loss'].min() == 1.0
    assert ckpt['message_hub']['log_scalars']['train/loss'].mean() == 2.0


class _Evil:
    def __reduce__(self):
        return (os.system, ('echo pwned',))


def test_foreign_globals_are_refused(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'payload': _Evil()}, path)
    with pytest.raises(pickle.UnpicklingError, match='system'):
        torch.load(path, map_location='cpu', weights_only=True)


class _GetattrEvil:
    def __reduce__(self):
        return (getattr, (np.ndarray, 'tofile'))  # an allowed class, a disallowed attribute


def test_getattr_is_restricted_to_history_buffer(tmp_path):
    path = tmp_path / 'getattr.pth'
    torch.save({'payload': _GetattrEvil()}, path)
    with pytest.raises(pickle.UnpicklingError, match='only HistoryBuffer statistics'):
        torch.load(path, map_location='cpu', weights_only=True)
