"""Helpers shared by the test suite and the development tools (not needed to train or test
models)."""
from .dvispp_parity import (LOOSE_VPS, PARITY_SIZES, build_ours, compare_outputs, load_official_weights,
                            run_ours)

__all__ = ['LOOSE_VPS', 'PARITY_SIZES', 'build_ours', 'compare_outputs', 'load_official_weights', 'run_ours']
