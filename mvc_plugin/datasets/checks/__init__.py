"""Dataset checkers, one per on-disk format, behind ``tools/check_dataset.py``.

Each ``check_<format>`` looks at everything and returns a :class:`CheckReport` listing every
problem (file, video, frame, kind) instead of stopping at the first; ``full=True`` decodes
every frame and mask on top of the cheap checks. See docs/reliability.md.
"""
from .common import CheckReport
from .vipseg import check_vipseg, check_vipseg_json
from .vspw import check_vspw
from .ytvis import check_ytvis

__all__ = ['CheckReport', 'check_vipseg', 'check_vipseg_json', 'check_vspw', 'check_ytvis']
