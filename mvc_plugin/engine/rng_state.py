"""Capture and restore the global random number generators as checkpoint-safe values.

Checkpoints load with torch's weights-only unpickler (:mod:`.checkpoint_safety`), so the states
are stored as tensors, ints, floats, strings and lists only -- no numpy arrays and no new
allow-listed globals: python's ``random`` state as ``[version, [625 ints], gauss_next]``,
numpy's legacy MT19937 state with its key as an int64 tensor, torch's CPU (and CUDA) state as
the uint8 tensors torch itself returns.
"""
import random
from typing import Any, Dict

import numpy as np
import torch

__all__ = ['capture_rng_states', 'restore_rng_states']


def capture_rng_states() -> Dict[str, Any]:
    """The python, numpy and torch (CPU and, if initialised, CUDA) generator states."""
    version, internal, gauss_next = random.getstate()
    name, keys, pos, has_gauss, cached = np.random.get_state(legacy=True)
    states: Dict[str, Any] = dict(
        python=[int(version), [int(x) for x in internal], gauss_next],
        numpy=dict(name=str(name), keys=torch.from_numpy(np.asarray(keys, np.int64).copy()),
                   pos=int(pos), has_gauss=int(has_gauss), cached_gaussian=float(cached)),
        torch=torch.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states['cuda'] = [s.cpu() for s in torch.cuda.get_rng_state_all()]
    return states


def restore_rng_states(states: Dict[str, Any]) -> None:
    """Inverse of :func:`capture_rng_states` (``ValueError`` on a malformed record)."""
    try:
        version, internal, gauss_next = states['python']
        random.setstate((int(version), tuple(int(x) for x in internal), gauss_next))
        n = states['numpy']
        keys = np.asarray(torch.as_tensor(n['keys']).cpu().numpy(), dtype=np.uint32)
        np.random.set_state((n['name'], keys, int(n['pos']), int(n['has_gauss']),
                             float(n['cached_gaussian'])))
        torch.set_rng_state(torch.as_tensor(states['torch']).cpu().to(torch.uint8))
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f'malformed RNG state record in the checkpoint ({e})') from None
    cuda = states.get('cuda')
    if cuda and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all([torch.as_tensor(s).cpu() for s in cuda])
