"""What happens when a frame turns out to be corrupt in the middle of training.

A frame can pass the load-time checks and still fail when it is read (truncated by a copy that
was interrupted after the dataset was indexed, a flaky disk...). :class:`CheckedLoadImageFromFile`
raises :class:`CorruptFrameError` naming the file; with ``on_bad_frame='skip'`` the error is
marked skippable and :class:`CorruptFrameFallbackMixin` (mixed into the plug-in's datasets)
turns it into ``None``, which makes mmengine's ``BaseDataset.__getitem__`` draw another sample
(up to ``max_refetch`` times) -- the same mechanism mmengine uses for broken images.
"""
import logging
from typing import Any, Optional

from mmengine.logging import print_log

__all__ = ['CorruptFrameError', 'CorruptFrameFallbackMixin']


class CorruptFrameError(RuntimeError):
    """A frame file that cannot be read or decoded; ``path`` names it.

    ``skip`` marks an error raised under ``on_bad_frame='skip'``. Built from one string (as
    PyTorch's DataLoader re-raises worker errors), that string is the whole message.
    """

    def __init__(self, path: str, reason: Optional[str] = None, skip: bool = False) -> None:
        self.path, self.reason, self.skip = path, reason, skip
        if reason is None:
            super().__init__(path)
        else:
            super().__init__(f'corrupt frame {path}: {reason}. Replace or re-extract the file '
                             f'(tools/check_dataset.py --full lists every bad frame), or set '
                             f"on_bad_frame='skip' on CheckedLoadImageFromFile to train "
                             f'without it')

    def __reduce__(self):
        return (CorruptFrameError, (self.path, self.reason, self.skip))


class CorruptFrameFallbackMixin:
    """Dataset mixin: a skippable :class:`CorruptFrameError` in training yields ``None``.

    Put it before the mmengine dataset class in the bases. Each bad file is logged once (per
    process); in test mode the error is always raised, as every sample must be evaluated.
    """

    def prepare_data(self, idx: Any) -> Any:
        try:
            return super().prepare_data(idx)  # type: ignore[misc]
        except CorruptFrameError as e:
            if not e.skip or getattr(self, 'test_mode', False):
                raise
            reported = self.__dict__.setdefault('_reported_bad_frames', set())
            if e.path not in reported:
                reported.add(e.path)
                print_log(f'skipping sample {idx!r}: corrupt frame {e.path} ({e.reason}); '
                          f'another sample is drawn instead (on_bad_frame=skip)', 'current',
                          logging.WARNING)
            return None
