from .param_digest_hook import (ParamDigestHook, compare_param_digests, load_param_digests,
                                param_digest)
from .progress_bar_hook import ProgressBarHook

__all__ = ['ProgressBarHook', 'ParamDigestHook', 'compare_param_digests', 'load_param_digests',
           'param_digest']

from .atomic_checkpoint_hook import AtomicCheckpointHook  # noqa: E402
from .nan_loss_guard_hook import NaNLossGuardHook, NonFiniteLossError  # noqa: E402
from .rng_state_hook import RNGStateHook  # noqa: E402

__all__ += ['AtomicCheckpointHook', 'NaNLossGuardHook', 'NonFiniteLossError', 'RNGStateHook']
