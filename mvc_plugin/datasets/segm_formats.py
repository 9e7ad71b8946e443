"""YouTube-VIS / OVIS per-frame segmentations in every form the official ``ytvos`` API reads.

Why: the official ``YTVOS.annToRLE`` accepts a polygon list (parts merged into one mask), an
uncompressed RLE (``counts`` a list) or a compressed RLE, converting the first two with
pycocotools' ``frPyObjects``; user-made and converted datasets often carry polygons. An empty
polygon list is no mask (the official code skips falsy segmentations), like ``None``.
"""
import math
from numbers import Real
from typing import Any, Optional, Sequence

import numpy as np
from pycocotools import mask as mask_utils

__all__ = ['is_empty_segm', 'is_polygon', 'polygon_problem', 'segm_to_rle']


def is_polygon(seg: Any) -> bool:
    """A polygon segmentation is a list (of polygons); an RLE is a dict."""
    return isinstance(seg, (list, tuple))


def is_empty_segm(seg: Any) -> bool:
    """``None`` or an empty polygon list: no mask on this frame."""
    return seg is None or (is_polygon(seg) and len(seg) == 0)


def _finite_number(c: Any) -> bool:
    if type(c) is float:  # the common case first: JSON numbers are float or int
        return math.isfinite(c)
    return type(c) is int or (isinstance(c, Real) and not isinstance(c, bool)
                              and math.isfinite(c))


def polygon_problem(seg: Any) -> Optional[str]:
    """Why ``seg`` is not a usable polygon list, or ``None``.

    Each polygon is a flat list ``[x1, y1, x2, y2, ...]`` of finite numbers with at least 3
    points (pycocotools would read a 4-number list as a box).
    """
    if not is_polygon(seg):
        return f'expected a list of polygons, got {type(seg).__name__}'
    for j, poly in enumerate(seg):
        if not isinstance(poly, (list, tuple)):
            return f'polygon {j} must be a list [x1, y1, x2, y2, ...], got {type(poly).__name__}'
        if len(poly) < 6 or len(poly) % 2:
            return (f'polygon {j} has {len(poly)} coordinates; expected an even number, at '
                    'least 6 (3 points)')
        if not all(_finite_number(c) for c in poly):
            return f'polygon {j} has a coordinate that is not a finite number'
    return None


def segm_to_rle(seg: Any, height: int, width: int) -> Optional[dict]:
    """Compressed RLE (``bytes`` counts) of one frame's segmentation; ``None`` for no mask.

    Polygons are rasterised at (height, width) and merged as the official ``annToRLE`` does;
    uncompressed RLEs are compressed; compressed RLEs (``str`` or ``bytes``) pass through.
    Callers check the input first (:func:`polygon_problem`, ``rle_problem``).
    """
    if is_empty_segm(seg):
        return None
    if is_polygon(seg):
        polys: Sequence[list] = [[float(c) for c in p] for p in seg]
        return mask_utils.merge(mask_utils.frPyObjects(polys, int(height), int(width)))
    counts = seg['counts']
    size = [int(s) for s in seg['size']]
    if isinstance(counts, (list, tuple, np.ndarray)):
        return mask_utils.frPyObjects({'size': size, 'counts': [int(c) for c in counts]},
                                      size[0], size[1])
    if isinstance(counts, str):
        counts = counts.encode('ascii')
    return {'size': size, 'counts': counts}
