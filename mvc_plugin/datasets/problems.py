"""``Problem``: one finding of a dataset check, a plain string that also knows where and what.

Why a ``str`` subclass: the load-time checks of :mod:`mvc_plugin.datasets.validation` return
lists of strings that ``DatasetError`` joins into its message; the same findings carry the
``kind`` (``'missing-frame'``, ``'invalid-rle'``...), file, video and frame that
``tools/check_dataset.py`` groups in its summary, without a second code path.
"""
from typing import Any, Optional

__all__ = ['PROBLEM_KINDS', 'Problem']

#: Every kind of problem the checks report (see docs/reliability.md for what each means).
PROBLEM_KINDS = (
    'bad-json',            # missing keys, wrong types, duplicate ids, unreadable JSON
    'missing-file',        # a folder, split file or class list that should exist does not
    'missing-frame',       # a frame file listed (or implied) by the annotations is absent
    'unreadable-frame',    # a frame or mask file exists but cannot be read / is truncated
    'missing-mask',        # a frame has no mask / panoptic PNG
    'size-mismatch',       # mask, RLE, JSON and frame sizes disagree
    'empty-video',         # a video without frames
    'length-mismatch',     # per-frame annotation lists shorter / longer than the video
    'unknown-video',       # an annotation refers to a video that is not listed
    'unknown-category',    # a category id not in the class list
    'invalid-rle',         # RLE counts that cannot be decoded or do not fill the mask
    'invalid-polygon',     # a polygon segmentation that is not lists of >= 3 (x, y) numbers
    'segment-mismatch',    # VIPSeg: PNG ids without segments_info entries and the reverse
    'invalid-mask-value',  # VSPW: mask values outside {0..C, 255}
)


class Problem(str):
    """A problem description (``str(problem)`` is the message) with its location and kind."""

    kind: str
    file: str
    video: Optional[Any]
    frame: Optional[int]

    def __new__(cls, message: str, kind: str, file: str = '', video: Any = None,
                frame: Optional[int] = None) -> 'Problem':
        if kind not in PROBLEM_KINDS:
            raise ValueError(f'unknown problem kind {kind!r}; one of {PROBLEM_KINDS}')
        self = super().__new__(cls, message)
        self.kind, self.file, self.video, self.frame = kind, file, video, frame
        return self

    def describe(self) -> str:
        """The message, plus the video / frame when it does not name them, plus the kind."""
        extra = [f'{what} {value}' for what, value in (('video', self.video),
                                                        ('frame', self.frame))
                 if value is not None and f'{what} {value}' not in self]
        where = f' ({", ".join(extra)})' if extra else ''
        return f'{self}{where} [{self.kind}]'

    def __reduce__(self):  # keep the attributes through pickling (DataLoader workers)
        return (Problem, (str(self), self.kind, self.file, self.video, self.frame))
