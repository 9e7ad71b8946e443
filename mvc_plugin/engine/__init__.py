from .checkpoint_safety import MMENGINE_CHECKPOINT_GLOBALS, register_checkpoint_globals
from .hooks import ProgressBarHook

__all__ = ['MMENGINE_CHECKPOINT_GLOBALS', 'register_checkpoint_globals', 'ProgressBarHook']
