"""mmengine checkpoints load weights-only through the plug-in's scoped allow-list; anything else
is refused; ``import mvc_plugin`` leaves torch's own safe-global list as it was."""
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub

from mvc_plugin.engine import MMENGINE_CHECKPOINT_GLOBALS, checkpoint_globals, \
    safe_load_checkpoint
from mvc_plugin.engine.checkpoint_safety import has_safe_globals_api

needs_api = pytest.mark.skipif(not has_safe_globals_api(),
                               reason='torch < 2.4 has no extensible weights-only allow-list')


def _message_hub_state():
    hub = MessageHub.get_instance('test_checkpoint_safety')
    for v in (3.0, 2.0, 1.0):
        hub.update_scalar('train/loss', v)
    hub.update_info('iter', np.int64(7))
    return hub.state_dict()


def _save_mmengine_like(path):
    torch.save({'state_dict': {'w': torch.ones(2)}, 'message_hub': _message_hub_state(),
                'meta': {'seed': np.int64(3), 'arr': np.zeros(3, np.float32)}}, path)


def test_mmengine_message_hub_loads_weights_only(tmp_path):
    path = tmp_path / 'ckpt.pth'
    _save_mmengine_like(path)
    ckpt = safe_load_checkpoint(path)
    assert ckpt['message_hub']['log_scalars']['train/loss'].min() == 1.0
    assert ckpt['message_hub']['log_scalars']['train/loss'].mean() == 2.0
    assert ckpt['meta']['arr'].dtype == np.float32 and ckpt['meta']['seed'] == 3


@needs_api
def test_allow_list_is_scoped_to_the_with_block(tmp_path):
    path = tmp_path / 'ckpt.pth'
    _save_mmengine_like(path)
    before = set(torch.serialization.get_safe_globals())  # an unordered registry
    with pytest.raises(pickle.UnpicklingError):  # torch alone refuses mmengine's buffers
        torch.load(path, map_location='cpu', weights_only=True)
    with checkpoint_globals():
        ckpt = torch.load(path, map_location='cpu', weights_only=True)
        assert HistoryBuffer in torch.serialization.get_safe_globals()
    assert isinstance(ckpt['message_hub']['log_scalars']['train/loss'], HistoryBuffer)
    assert set(torch.serialization.get_safe_globals()) == before
    with pytest.raises(RuntimeError, match='boom'), checkpoint_globals():
        raise RuntimeError('boom')
    assert set(torch.serialization.get_safe_globals()) == before


def test_import_leaves_torch_safe_globals_unchanged():
    """In a fresh process: the host stack first (torch registers some globals lazily), then
    the plug-in; nothing of the plug-in's allow-list may be in torch's list afterwards."""
    code = '''
import torch, mmengine.runner, mmdet.models, mmseg.models
has_api = hasattr(torch.serialization, 'get_safe_globals')
before = set(torch.serialization.get_safe_globals()) if has_api else None
import mvc_plugin
from mvc_plugin.engine import MMENGINE_CHECKPOINT_GLOBALS
if has_api:
    after = set(torch.serialization.get_safe_globals())
    assert after == before, after ^ before
else:  # the plug-in must not shim torch's API either
    assert not hasattr(torch.serialization, 'add_safe_globals')
print('unchanged', len(MMENGINE_CHECKPOINT_GLOBALS))
'''
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         timeout=120, env={**os.environ, 'PYTHONPATH': os.pathsep.join(
                             p for p in sys.path if p)})
    assert out.returncode == 0, out.stderr[-2000:]
    assert f'unchanged {len(MMENGINE_CHECKPOINT_GLOBALS)}' in out.stdout


class _Evil:
    def __reduce__(self):
        return (os.system, ('echo pwned',))


def test_foreign_globals_are_refused(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'payload': _Evil()}, path)
    with pytest.raises(pickle.UnpicklingError, match='system'):
        safe_load_checkpoint(path)


class _GetattrEvil:
    def __reduce__(self):
        return (getattr, (np.ndarray, 'tofile'))  # an allowed class, a disallowed attribute


def test_getattr_is_restricted_to_history_buffer(tmp_path):
    path = tmp_path / 'getattr.pth'
    torch.save({'payload': _GetattrEvil()}, path)
    with pytest.raises(pickle.UnpicklingError, match='only HistoryBuffer statistics'):
        safe_load_checkpoint(path)
