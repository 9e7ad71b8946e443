from .checkpoint_safety import MMENGINE_CHECKPOINT_GLOBALS, register_checkpoint_globals
from .cpu_distributed import prepare_cpu_distributed
from .hooks import ParamDigestHook, ProgressBarHook

__all__ = ['MMENGINE_CHECKPOINT_GLOBALS', 'register_checkpoint_globals', 'ProgressBarHook',
           'ParamDigestHook', 'prepare_cpu_distributed']

from .atomic_io import AtomicLocalBackend, atomic_write  # noqa: E402
from .hooks import (AtomicCheckpointHook, NaNLossGuardHook, NonFiniteLossError,  # noqa: E402
                    RNGStateHook)
from .rng_state import capture_rng_states, restore_rng_states  # noqa: E402
from .safe_checkpoint import UnsafeCheckpointError, safe_load_checkpoint  # noqa: E402

__all__ += ['AtomicCheckpointHook', 'AtomicLocalBackend', 'atomic_write', 'capture_rng_states',
            'NaNLossGuardHook', 'NonFiniteLossError', 'restore_rng_states', 'RNGStateHook',
            'safe_load_checkpoint', 'UnsafeCheckpointError']
