from .atomic_io import AtomicLocalBackend, atomic_write
from .checkpoint_safety import MMENGINE_CHECKPOINT_GLOBALS, checkpoint_globals
from .cpu_distributed import prepare_cpu_distributed
from .hooks import (AtomicCheckpointHook, NaNLossGuardHook, NonFiniteLossError,
                    ParamDigestHook, ProgressBarHook, RNGStateHook, SafeCheckpointLoadHook)
from .rng_state import capture_rng_states, restore_rng_states
from .stage_checkpoint import STAGE_PREFIX, StageCheckpointError, resolve_stage_checkpoint
from .safe_checkpoint import UnsafeCheckpointError, safe_load_checkpoint

__all__ = ['AtomicCheckpointHook', 'AtomicLocalBackend', 'atomic_write', 'capture_rng_states',
           'checkpoint_globals',
           'MMENGINE_CHECKPOINT_GLOBALS', 'NaNLossGuardHook', 'NonFiniteLossError',
           'ParamDigestHook', 'prepare_cpu_distributed', 'ProgressBarHook',
           'resolve_stage_checkpoint', 'restore_rng_states', 'RNGStateHook',
           'SafeCheckpointLoadHook', 'safe_load_checkpoint', 'STAGE_PREFIX', 'StageCheckpointError',
           'UnsafeCheckpointError']
