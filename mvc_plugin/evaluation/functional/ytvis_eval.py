"""Local, numpy-2-safe YouTube-VIS / OVIS evaluation.

mmdet 3.3's ``YTVISeval`` crashes under numpy 2 (``np.float``) and its metric
fills GT areas with box areas. This module computes the official YouTube-VIS
AP (as defined by the youtubevos cocoapi ``ytvoseval.py``) by reusing
pycocotools: videos play the role of COCO "images", tracks the role of
annotations, and only the IoU is replaced by the spatio-temporal mask IoU

    IoU(D, G) = sum_t |D_t & G_t| / sum_t |D_t | G_t|

over the frames of the video (a frame where only one side has a mask adds its
area to the union; an empty union gives IoU 0). Matching, accumulation and
the summary table are pycocotools' own ``COCOeval`` code.

Deliberate choices (the first and last follow the official code):

* a track's area is the mean of its per-frame mask areas over the frames where
  it has a non-empty mask (0 if none), the official ``avg_area``; GT ``areas``
  given in the JSON are used as the official code does, otherwise they are
  computed from the masks;
* GT and detection tracks are renumbered 1..N internally: COCOeval reads a
  match with id 0 as "unmatched", and ids given in the inputs may repeat
  across videos (mmdet's metric uses per-video instance ids);
* crowd GT (``iscrowd=1``) are ignored in matching exactly like COCO, but the
  IoU with them is the plain spatio-temporal IoU (the official ``ytvoseval``
  does not use COCO's intersection-over-detection for crowds).

``evaluate_ytvis(..., occlusion_split=True)`` adds the official OVIS
occlusion split (APso / APmo / APho), implemented in ``ovis_occlusion.py``.
"""
from __future__ import annotations

import contextlib
import io
from collections import defaultdict
from numbers import Real
from typing import Any, Mapping, Optional, Sequence

import numpy as np
from pycocotools import mask as mask_utils
from pycocotools.cocoeval import COCOeval

from .ytvis_inputs import build_ytvis_cocos

__all__ = [
    'YTVIS_AREA_RANGES', 'YTVIS_STAT_KEYS', 'YTVISCOCOeval', 'evaluate_ytvis',
    'spatio_temporal_iou', 'to_percent'
]

#: Official YouTube-VIS area ranges (mean per-frame mask area, in pixels).
YTVIS_AREA_RANGES: dict[str, list[float]] = {
    'all': [0.0, 1e5**2],
    'small': [0.0, 128.0**2],
    'medium': [128.0**2, 256.0**2],
    'large': [256.0**2, 1e5**2],
}

#: Names of the 12 numbers of ``COCOeval.stats``, in order.
YTVIS_STAT_KEYS: tuple[str, ...] = ('AP', 'AP50', 'AP75', 'APs', 'APm', 'APl',
                                    'AR1', 'AR10', 'AR100', 'ARs', 'ARm',
                                    'ARl')

_AREA_LEGEND = ('  (YouTube-VIS area ranges, mean per-frame mask area in px: '
                'small [0, 128^2], medium [128^2, 256^2], '
                'large [256^2, 1e10])')


class YTVISCOCOeval(COCOeval):
    """``COCOeval`` over videos with the spatio-temporal mask IoU.

    Expects COCO objects built by :func:`evaluate_ytvis`: "images" are videos
    (with ``length``), annotations are tracks with normalised per-frame RLEs
    in ``segmentations`` (compressed, ``bytes`` counts, or ``None``), the
    per-frame areas in ``_frame_areas`` and the track area in ``area``.
    """

    def _prepare(self) -> None:
        """Group tracks by (video, category); no ``annToRLE`` conversion.

        Same as ``COCOeval._prepare`` except that the masks were already
        normalised when the COCO objects were built.
        """
        p = self.params
        cat_ids = p.catIds if p.useCats else []
        gts = self.cocoGt.loadAnns(
            self.cocoGt.getAnnIds(imgIds=p.imgIds, catIds=cat_ids))
        dts = self.cocoDt.loadAnns(
            self.cocoDt.getAnnIds(imgIds=p.imgIds, catIds=cat_ids))
        for gt in gts:
            # Identical to COCOeval / ytvoseval: crowd GT are ignored.
            gt['ignore'] = int(bool(gt.get('iscrowd', 0)))
        self._gts = defaultdict(list)
        self._dts = defaultdict(list)
        for gt in gts:
            self._gts[gt['image_id'], gt['category_id']].append(gt)
        for dt in dts:
            self._dts[dt['image_id'], dt['category_id']].append(dt)
        self.evalImgs = defaultdict(list)
        self.eval = {}

    def computeIoU(self, imgId: Any, catId: Any) -> Any:  # noqa: N802,N803
        """Spatio-temporal mask IoU between the detections and GT tracks of
        one video (rows: detections sorted by score, at most maxDets[-1])."""
        p = self.params
        if p.useCats:
            gt = self._gts[imgId, catId]
            dt = self._dts[imgId, catId]
        else:
            gt = [g for c in p.catIds for g in self._gts[imgId, c]]
            dt = [d for c in p.catIds for d in self._dts[imgId, c]]
        if len(gt) == 0 and len(dt) == 0:
            return []
        order = np.argsort([-d['score'] for d in dt], kind='mergesort')
        dt = [dt[i] for i in order][:p.maxDets[-1]]
        if len(gt) == 0 or len(dt) == 0:
            return np.zeros((len(dt), len(gt)))
        return spatio_temporal_iou(
            [d['segmentations'] for d in dt], [g['segmentations'] for g in gt],
            np.stack([d['_frame_areas'] for d in dt]),
            np.stack([g['_frame_areas'] for g in gt]))

    def summarize(self) -> None:
        """COCOeval's summary plus a legend line with the YouTube-VIS area
        thresholds (COCOeval hard-codes the labels 'small'/'medium'/'large')."""
        super().summarize()
        print(_AREA_LEGEND)


def spatio_temporal_iou(dt_segms: Sequence[Sequence[Optional[dict]]],
                        gt_segms: Sequence[Sequence[Optional[dict]]],
                        dt_areas: np.ndarray,
                        gt_areas: np.ndarray) -> np.ndarray:
    """IoU matrix (D, G) of tracks given as per-frame compressed RLE or None.

    ``dt_areas`` (D, T) and ``gt_areas`` (G, T) are the per-frame mask areas
    (0 where there is no mask). One ``pycocotools.mask.iou`` call per frame;
    the intersection is recovered exactly as I = iou * (A + B) / (1 + iou).
    """
    num_dt, num_frames = dt_areas.shape
    inter = np.zeros((num_dt, gt_areas.shape[0]), dtype=np.float64)
    for t in range(num_frames):
        d_idx = [i for i, s in enumerate(dt_segms) if s[t] is not None]
        g_idx = [j for j, s in enumerate(gt_segms) if s[t] is not None]
        if not d_idx or not g_idx:
            continue
        ious = np.asarray(
            mask_utils.iou([dt_segms[i][t] for i in d_idx],
                           [gt_segms[j][t] for j in g_idx], [0] * len(g_idx)),
            dtype=np.float64).reshape(len(d_idx), len(g_idx))
        a = dt_areas[d_idx, t][:, None]
        b = gt_areas[g_idx, t][None, :]
        inter[np.ix_(d_idx, g_idx)] += np.rint(ious * (a + b) / (1.0 + ious))
    union = dt_areas.sum(1)[:, None] + gt_areas.sum(1)[None, :] - inter
    out = np.zeros_like(inter)
    np.divide(inter, union, out=out, where=union > 0)
    return out


def evaluate_ytvis(gt: dict,
                   results: list[dict],
                   max_dets: Sequence[int] = (1, 10, 100),
                   verbose: bool = True,
                   occlusion_split: bool = False) -> dict:
    """Official YouTube-VIS / OVIS segmentation AP/AR, computed locally.

    Args:
        gt: official YouTube-VIS JSON dict (``videos``, ``annotations``,
            ``categories``). Per-frame GT masks are RLE dicts (compressed
            ``str``/``bytes`` counts or uncompressed list counts) or None.
        results: official results list: dicts with ``video_id``,
            ``category_id``, ``score`` and per-frame ``segmentations``.
        max_dets: the three maxDets thresholds (detections per video and
            category). COCOeval's summary computes AP at maxDets=100, so the
            last one must be 100.
        verbose: print the summary table.
        occlusion_split: also compute the official OVIS occlusion split
            ``APso, APmo, APho`` from the GT annotations' ``occlusion``
            labels (see :mod:`.ovis_occlusion`).

    Returns:
        dict with ``AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm,
        ARl`` (then ``APso, APmo, APho`` with ``occlusion_split``) as floats
        in [0, 1] (-1.0 where undefined, as COCOeval) and ``summary`` (the
        printed table).

    Raises:
        ValueError: malformed input (unknown video or category, wrong number
            of frames, RLE size different from the video's, missing keys; with
            ``occlusion_split``, a non-crowd GT annotation without a usable
            ``occlusion`` label).
    """
    max_dets = [int(m) for m in max_dets]
    if len(max_dets) != 3 or max_dets != sorted(set(max_dets)) \
            or max_dets[0] < 1 or max_dets[-1] != 100:
        raise ValueError('max_dets must be 3 increasing positive ints ending '
                         f'with 100 (COCOeval summarises AP@100), got '
                         f'{max_dets}')
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        coco_gt, coco_dt = build_ytvis_cocos(gt, results)
    if occlusion_split:
        # imported here: ovis_occlusion builds on this module
        from .ovis_occlusion import add_occlusion_scores, occlusion_split_stats
        add_occlusion_scores(coco_gt, gt['annotations'])
    with contextlib.redirect_stdout(io.StringIO()):
        evaluator = YTVISCOCOeval(coco_gt, coco_dt, iouType='segm')
        p = evaluator.params
        p.imgIds = sorted(coco_gt.getImgIds())
        p.catIds = sorted(coco_gt.getCatIds())
        # iouThrs (.50:.05:.95) and recThrs (101 points) are COCOeval's
        # defaults, identical to the official ytvoseval settings.
        p.maxDets = max_dets
        p.areaRng = [list(YTVIS_AREA_RANGES[k]) for k in
                     ('all', 'small', 'medium', 'large')]
        p.areaRngLbl = ['all', 'small', 'medium', 'large']
        evaluator.evaluate()
        evaluator.accumulate()
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        evaluator.summarize()
    summary = buf.getvalue()
    stats: dict[str, Any] = {
        k: float(v) for k, v in zip(YTVIS_STAT_KEYS, evaluator.stats)
    }
    if occlusion_split:
        occ_stats, occ_summary = occlusion_split_stats(evaluator)
        stats.update(occ_stats)
        summary += occ_summary
    if verbose:
        print(summary, end='')
    stats['summary'] = summary
    return stats


def to_percent(stats: Mapping[str, Any]) -> dict:
    """Scale numeric values to 0-100, keeping undefined (-1) as -1.0.

    Non-numeric values (e.g. ``summary``) are passed through unchanged.
    """
    out: dict[str, Any] = {}
    for key, val in stats.items():
        if isinstance(val, Real) and not isinstance(val, bool):
            out[key] = -1.0 if val < 0 else float(val) * 100.0
        else:
            out[key] = val
    return out
