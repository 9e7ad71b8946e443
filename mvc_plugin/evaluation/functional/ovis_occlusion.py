"""OVIS occlusion split of the video-instance AP: ``APso``, ``APmo``, ``APho``.

Re-implements (no code copied) the definition of the official OVIS evaluation,
``OVISeval`` in ``PythonAPI/pycocotools/oviseval.py`` of the OVIS cocoapi fork
(github.com/qjy981010/cocoapi, the package named by the OVIS challenge):

* every GT track has per-frame occlusion labels (``occlusion``: a list with
  one entry per frame, ``null`` where the object is absent), mapped to scores
  ``no_occlusion`` -> 0, ``slight_occlusion`` -> 0.25, ``severe_occlusion`` ->
  0.75;
* the track's occlusion score is the mean of the highest half of its frame
  scores (the top ``ceil(n / 2)`` of the ``n`` labelled frames);
* three levels, both ends inclusive, so 0.25 and 0.5 belong to two levels:
  slight [0, 0.25], moderate [0.25, 0.5], heavy [0.5, 1];
* AP of a level is computed like a COCO area range (area range "all", at most
  100 detections): GT tracks outside the level are ignored, and so are the
  detections matched to them; an **unmatched** detection is never ignored
  (detections carry no occlusion label), so it is a false positive at every
  level;
* crowd GT are ignored as usual and need no occlusion label.

Our additions, documented in docs/metrics.md: a single label (a string instead
of the per-frame list) is read as the level of the whole track; bad input
(a missing, unknown or empty label, or a list whose length is not the number
of frames) raises a ``ValueError`` naming the video and annotation, where the
official code fails with a ``KeyError`` / ``ZeroDivisionError``.

The matching itself is pycocotools' ``COCOeval.evaluateImg``, reusing the
spatio-temporal IoUs already computed by :func:`evaluate_ytvis`.
"""
from __future__ import annotations

import contextlib
import io
from typing import Any, Mapping, Optional, Sequence

import numpy as np
from pycocotools.coco import COCO

from .ytvis_eval import YTVIS_AREA_RANGES, YTVISCOCOeval

__all__ = [
    'OVIS_OCCLUSION_KEYS', 'OVIS_OCCLUSION_LEVELS', 'OVIS_OCCLUSION_RANGES',
    'OVISOcclusionCOCOeval', 'add_occlusion_scores', 'occlusion_score',
    'occlusion_split_stats'
]

#: Official per-frame occlusion labels of the OVIS JSON and their scores.
OVIS_OCCLUSION_LEVELS: dict[str, float] = {
    'no_occlusion': 0.0,
    'slight_occlusion': 0.25,
    'severe_occlusion': 0.75,
}

#: Stat key -> official occlusion-score range (both ends inclusive).
OVIS_OCCLUSION_RANGES: dict[str, tuple[float, float]] = {
    'APso': (0.0, 0.25),
    'APmo': (0.25, 0.5),
    'APho': (0.5, 1.0),
}

#: Keys added to :func:`evaluate_ytvis`'s output by ``occlusion_split=True``.
OVIS_OCCLUSION_KEYS: tuple[str, ...] = tuple(OVIS_OCCLUSION_RANGES)

_LEVEL_NAMES = {'APso': 'slight', 'APmo': 'moderate', 'APho': 'heavy'}
_OCC_LEGEND = ('  (OVIS occlusion levels, mean of the top half of the '
               'per-frame scores no=0, slight=0.25, severe=0.75: '
               'slight [0, 0.25], moderate [0.25, 0.5], heavy [0.5, 1])')


def occlusion_score(occlusion: Any, num_frames: Optional[int] = None,
                    where: str = 'annotation') -> float:
    """Occlusion score of one GT track, as the official OVIS evaluation.

    Args:
        occlusion: per-frame labels (``None`` for frames without the object)
            or a single label for the whole track.
        num_frames: when given, a per-frame list must have this length.
        where: prefix of error messages (names the video and annotation).

    Returns:
        The mean of the top ``ceil(n / 2)`` scores of the ``n`` labelled
        frames, in [0, 0.75].

    Raises:
        ValueError: no label at all, an unknown label, or a list of the wrong
            length.
    """
    expected = f'one of {sorted(OVIS_OCCLUSION_LEVELS)}'
    if isinstance(occlusion, str):
        labels: Sequence[Any] = [occlusion]
    elif isinstance(occlusion, (list, tuple)):
        labels = occlusion
        if num_frames is not None and len(labels) != num_frames:
            raise ValueError(f'{where}: "occlusion" has {len(labels)} entries '
                             f'but the video has {num_frames} frames')
    else:
        raise ValueError(f'{where}: no usable "occlusion" (got {occlusion!r});'
                         f' occlusion_split needs a per-frame list of labels '
                         f'{expected} (null where the object is absent)')
    scores = []
    for t, label in enumerate(labels):
        if label is None:
            continue
        if not isinstance(label, str) or label not in OVIS_OCCLUSION_LEVELS:
            raise ValueError(f'{where}, frame {t}: unknown occlusion level '
                             f'{label!r}, expected {expected} or null')
        scores.append(OVIS_OCCLUSION_LEVELS[label])
    if not scores:
        raise ValueError(f'{where}: "occlusion" labels no frame (all null); '
                         f'expected {expected} on the frames with the object')
    scores.sort()
    top = scores[len(scores) // 2:]  # the highest ceil(n / 2)
    return sum(top) / len(top)


def add_occlusion_scores(coco_gt: COCO,
                         annotations: Sequence[Mapping]) -> None:
    """Store ``occ_score`` on the GT tracks built by ``ytvis_inputs.build_ytvis_cocos``.

    ``build_ytvis_cocos`` numbers the GT tracks 1..N in the order of ``annotations``
    (the input JSON's list), which is how they are matched here. Crowd tracks
    without a label get ``occ_score=None`` (they are ignored anyway).
    """
    if len(annotations) != len(coco_gt.anns):
        raise RuntimeError('GT tracks and annotations are out of step')
    for i, src in enumerate(annotations):
        ann = coco_gt.anns[i + 1]
        vid = ann['video_id']
        where = f'video {vid!r}: gt annotation #{i} (id {src.get("id")!r})'
        occlusion = src.get('occlusion')
        if ann['iscrowd'] and occlusion is None:
            ann['occ_score'] = None
            continue
        ann['occ_score'] = occlusion_score(
            occlusion, coco_gt.imgs[vid]['length'], where)


class OVISOcclusionCOCOeval(YTVISCOCOeval):
    """COCO matching per occlusion level, reusing precomputed IoUs.

    ``params.areaRng`` holds occlusion-score ranges here: for each range, the
    GT tracks whose ``occ_score`` is outside it are ignored and the matching
    runs with the YouTube-VIS area range "all" (as the official code's
    occlusion rows), so unmatched detections are never ignored.
    """

    def __init__(self, coco_gt: COCO, coco_dt: COCO,
                 ious: Mapping[tuple, Any]) -> None:
        super().__init__(coco_gt, coco_dt, iouType='segm')
        self._given_ious = ious

    def computeIoU(self, imgId: Any, catId: Any) -> Any:  # noqa: N802,N803
        """The IoUs of the main evaluation (same GT / detection order)."""
        return self._given_ious[imgId, catId]

    def evaluateImg(self, imgId: Any, catId: Any, aRng: Sequence[float],
                    maxDet: int) -> Optional[dict]:  # noqa: N802,N803
        """``COCOeval.evaluateImg`` with ``aRng`` read as an occlusion range.

        GT outside the range get ``ignore`` for this call only; the area
        range is "all".
        """
        p = self.params
        cat_ids = [catId] if p.useCats else p.catIds
        gts = [g for c in cat_ids for g in self._gts[imgId, c]]
        saved = [g['ignore'] for g in gts]
        low, high = aRng
        for g in gts:
            score = g.get('occ_score')
            outside = score is None or score < low or score > high
            g['ignore'] = int(bool(g['ignore']) or outside)
        try:
            res = super().evaluateImg(imgId, catId, YTVIS_AREA_RANGES['all'],
                                      maxDet)
        finally:
            for g, ignore in zip(gts, saved):
                g['ignore'] = ignore
        if res is not None:
            res['aRng'] = list(aRng)
        return res


def occlusion_split_stats(evaluator: YTVISCOCOeval) -> tuple[dict, str]:
    """APso / APmo / APho after ``evaluator.evaluate()`` (in [0, 1], -1 where
    a level has no GT) and their summary lines.

    The GT tracks of ``evaluator.cocoGt`` must carry ``occ_score``
    (:func:`add_occlusion_scores`).
    """
    main = evaluator.params
    occ = OVISOcclusionCOCOeval(evaluator.cocoGt, evaluator.cocoDt,
                                evaluator.ious)
    p = occ.params
    p.imgIds = list(main.imgIds)
    p.catIds = list(main.catIds)
    p.maxDets = [main.maxDets[-1]]  # AP rows use 100 detections
    p.areaRng = [list(r) for r in OVIS_OCCLUSION_RANGES.values()]
    p.areaRngLbl = [_LEVEL_NAMES[k] for k in OVIS_OCCLUSION_RANGES]
    with contextlib.redirect_stdout(io.StringIO()):
        occ.evaluate()
        occ.accumulate()
    precision = occ.eval['precision']  # [T, R, K, A, M]
    iou_str = f'{p.iouThrs[0]:0.2f}:{p.iouThrs[-1]:0.2f}'
    stats: dict[str, float] = {}
    lines = []
    for a, key in enumerate(OVIS_OCCLUSION_RANGES):
        s = precision[:, :, :, a, -1]
        valid = s[s > -1]
        stats[key] = float(np.mean(valid)) if valid.size else -1.0
        lines.append(f' Average Precision  (AP) @[ IoU={iou_str:<9} | '
                     f'occ={_LEVEL_NAMES[key]:>8s} | '
                     f'maxDets={p.maxDets[-1]:>3d} ] = {stats[key]:0.3f}')
    lines.append(_OCC_LEGEND)
    return stats, '\n'.join(lines) + '\n'
