"""Check COCO run-length encodings without handing them to pycocotools.

Why: pycocotools trusts its input. Counts that do not add up to ``height * width`` make
``mask.decode`` write past its buffer (a hard crash, or a garbage mask, in the middle of
training) and ``toBbox`` / ``area`` return made-up numbers. Parsing the counts here is cheap
(no mask is materialised), so every RLE is checked when a dataset is loaded.

Compressed counts are the COCO string format: each count is a little-endian sequence of 6-bit
groups stored as ``chr(48 + group)``; bit 0x20 of a group means "more groups follow", bit 0x10
of the last group is the sign, and from the fourth count on, each value is a difference to the
count two places before it.
"""
from numbers import Integral
from typing import Any, Optional, Sequence, Tuple

import numpy as np

__all__ = ['decode_rle_counts', 'rle_problem']

_MAX_COUNT = 2**32 - 1  # pycocotools stores counts as uint32


def decode_rle_counts(counts: Any) -> np.ndarray:
    """Counts of a compressed RLE (``str`` or ``bytes``) as int64; ``ValueError`` if malformed."""
    if isinstance(counts, str):
        try:
            counts = counts.encode('ascii')
        except UnicodeEncodeError:
            raise ValueError('RLE counts string has non-ASCII characters') from None
    if not isinstance(counts, bytes):
        raise ValueError(f'RLE counts must be a string, bytes or a list, got '
                         f'{type(counts).__name__}')
    if not counts:
        return np.zeros(0, np.int64)
    groups = np.frombuffer(counts, np.uint8).astype(np.int64) - 48
    if groups.min() < 0 or groups.max() > 63:
        raise ValueError('RLE counts string has characters outside the COCO alphabet')
    more = (groups & 0x20) != 0
    if more[-1]:
        raise ValueError('RLE counts string is truncated (its last value is unfinished)')
    ends = np.flatnonzero(~more)
    starts = np.concatenate([[0], ends[:-1] + 1])
    lengths = ends - starts + 1
    if lengths.max() > 12:  # 60 bits: far beyond any real count, and keeps int64 exact
        raise ValueError('RLE counts string has an implausibly long value')
    position = np.arange(len(groups)) - np.repeat(starts, lengths)
    values = np.add.reduceat((groups & 0x1F) << (5 * position), starts)
    negative = (groups[ends] & 0x10) != 0
    values[negative] -= np.left_shift(1, 5 * lengths[negative])
    # from index 3 on, a value is relative to the count two places before it
    out = values.copy()
    if len(out) > 3:
        out[3::2] = out[1] + np.cumsum(values[3::2])
        out[4::2] = out[2] + np.cumsum(values[4::2])
    return out


def _size_of(seg: dict) -> Optional[Tuple[int, int]]:
    size = seg.get('size')
    if isinstance(size, (list, tuple)) and len(size) == 2 and all(
            isinstance(s, Integral) and not isinstance(s, bool) and s >= 0 for s in size):
        return int(size[0]), int(size[1])
    return None


def rle_problem(seg: Any, size: Optional[Sequence[int]] = None) -> Optional[Tuple[str, str]]:
    """``(kind, message)`` for a bad RLE dict, ``None`` when it is valid.

    ``kind`` is ``'size-mismatch'`` when the RLE is well formed but its ``size`` differs from
    ``size`` (the video's ``[height, width]``, if given), ``'invalid-rle'`` otherwise.
    """
    if not isinstance(seg, dict) or 'counts' not in seg or 'size' not in seg:
        return 'invalid-rle', 'segmentation is not an RLE dict'
    hw = _size_of(seg)
    if hw is None:
        return 'invalid-rle', f'RLE "size" must be [height, width], got {seg["size"]!r}'
    counts = seg['counts']
    if isinstance(counts, (list, tuple)):
        if not all(isinstance(c, Integral) and not isinstance(c, bool) for c in counts):
            return 'invalid-rle', 'uncompressed RLE counts must be integers'
        values = np.asarray([int(c) for c in counts], dtype=object)
        if len(values) and (min(values) < 0 or max(values) > _MAX_COUNT):
            return 'invalid-rle', 'RLE counts must lie in [0, 2^32)'
        values = values.astype(np.int64)
    else:
        try:
            values = decode_rle_counts(counts)
        except ValueError as e:
            return 'invalid-rle', str(e)
        if len(values) and (values.min() < 0 or values.max() > _MAX_COUNT):
            return 'invalid-rle', 'RLE counts decode to run lengths outside [0, 2^32)'
    total = int(values.sum())  # each count < 2^32: no int64 overflow below 2^31 counts
    if total != hw[0] * hw[1]:
        return 'invalid-rle', (f'RLE counts cover {total} pixels but its size {list(hw)} has '
                               f'{hw[0] * hw[1]}')
    if size is not None and list(hw) != [int(s) for s in size]:
        return 'size-mismatch', f'RLE size {list(hw)} != video size {list(size)}'
    return None
