from .atomic_checkpoint_hook import AtomicCheckpointHook
from .nan_loss_guard_hook import NaNLossGuardHook, NonFiniteLossError
from .param_digest_hook import (ParamDigestHook, compare_param_digests, load_param_digests,
                                param_digest)
from .progress_bar_hook import ProgressBarHook
from .rng_state_hook import RNGStateHook
from .safe_checkpoint_load_hook import SafeCheckpointLoadHook

__all__ = ['AtomicCheckpointHook', 'compare_param_digests', 'load_param_digests',
           'NaNLossGuardHook', 'NonFiniteLossError', 'param_digest', 'ParamDigestHook',
           'ProgressBarHook', 'RNGStateHook', 'SafeCheckpointLoadHook']
