"""YouTube-VIS / OVIS metric scored by the local, numpy-2-safe evaluator.

``VideoInstanceMetric`` keeps mmdet's ``YouTubeVISMetric`` collection and
formatting (``process_video`` -> official GT JSON + results list) and
replaces the scoring: mmdet 3.3's ``YTVISeval`` crashes under numpy 2 and its
GT areas are box areas, whereas the official benchmark uses mask areas.
"""
from __future__ import annotations

import os
import os.path as osp
import zipfile
from collections import defaultdict
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import mmengine
from mmengine.logging import MMLogger

from mmdet.evaluation.metrics import YouTubeVISMetric
from mmdet.registry import METRICS

from ..functional import YTVIS_STAT_KEYS, evaluate_ytvis, to_percent
from ..functional.ovis_occlusion import OVIS_OCCLUSION_KEYS
from .outfile_prefix import WorkDirOutfilePrefix

__all__ = ['VideoInstanceMetric']

# mmdet's YouTubeVISMetric item names -> ours, so old configs keep working.
_LEGACY_ITEMS = {
    'mAP': 'AP',
    'mAP_50': 'AP50',
    'mAP_75': 'AP75',
    'mAP_s': 'APs',
    'mAP_m': 'APm',
    'mAP_l': 'APl',
    'AR@1': 'AR1',
    'AR@10': 'AR10',
    'AR@100': 'AR100',
    'AR_s@100': 'ARs',
    'AR_m@100': 'ARm',
    'AR_l@100': 'ARl',
}


@METRICS.register_module()
class VideoInstanceMetric(YouTubeVISMetric):
    """Official YouTube-VIS AP/AR (in percent, -1 where undefined).

    Args:
        metric: only ``'youtube_vis_ap'`` (kept for config compatibility).
        metric_items: reported keys, among ``AP, AP50, AP75, APs, APm, APl,
            AR1, AR10, AR100, ARs, ARm, ARl`` (mmdet's names such as
            ``'mAP_50'`` are accepted), plus ``APso, APmo, APho`` with
            ``occlusion_split``. Defaults to ``AP`` .. ``AR10`` (then
            ``APso, APmo, APho`` with ``occlusion_split``).
        outfile_prefix: ``<prefix>.json`` (official results list) and
            ``<prefix>.submission_file.zip`` (holding ``results.json``) are
            written there when given. With ``format_only`` and no prefix they
            go to the run's log dir (see :class:`WorkDirOutfilePrefix`). Nothing
            is ever written into the cwd by default.
        collect_device / prefix: as in mmengine's ``BaseMetric``.
        format_only: only write the submission files, return ``{}``.
        occlusion_split: also report the official OVIS occlusion split
            (AP on slightly / moderately / heavily occluded objects). The GT
            JSON then carries each track's per-frame ``occlusion`` labels,
            read from the ``occlusion`` that :class:`OVISDataset` keeps on
            every instance; a dataset without them raises a ``ValueError``.
        class_groups: ours, off by default: ``{name: [class names]}`` also
            reports ``AP_<name>``, the AP over those classes only (the GT,
            the detections and COCOeval's class average restricted to them),
            e.g. rare vs frequent classes. ``-1`` when no GT of the group.
    """

    default_prefix: Optional[str] = 'ytvis'
    outfile_prefix = WorkDirOutfilePrefix()
    DEFAULT_ITEMS: Tuple[str, ...] = ('AP', 'AP50', 'AP75', 'APs', 'APm',
                                      'APl', 'AR1', 'AR10')

    def __init__(self,
                 metric: Union[str, List[str]] = 'youtube_vis_ap',
                 metric_items: Optional[Sequence[str]] = None,
                 outfile_prefix: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 format_only: bool = False,
                 occlusion_split: bool = False,
                 class_groups: Optional[Dict[str, Sequence[str]]] = None) -> None:
        super().__init__(
            metric=metric,
            metric_items=metric_items,
            outfile_prefix=outfile_prefix,
            collect_device=collect_device,
            prefix=prefix,
            format_only=format_only)
        self.occlusion_split = bool(occlusion_split)
        self.items = self._resolve_items(metric_items, self.occlusion_split)
        self.class_groups = {str(k): list(v) for k, v in (class_groups or {}).items()}
        for name, classes in self.class_groups.items():
            if not classes or not all(isinstance(c, str) for c in classes):
                raise ValueError(f'class_groups[{name!r}] must be a non-empty list of class '
                                 f'names, got {classes!r}')
        # frames of videos fed frame by frame (image-based sampler)
        self._frame_buffer: Dict[Any, list] = defaultdict(list)

    @staticmethod
    def _resolve_items(metric_items: Optional[Sequence[str]],
                       occlusion_split: bool = False) -> List[str]:
        """Map requested item names (ours or mmdet's) to our stat keys."""
        extra = list(OVIS_OCCLUSION_KEYS) if occlusion_split else []
        if metric_items is None:
            return list(VideoInstanceMetric.DEFAULT_ITEMS) + extra
        allowed = list(YTVIS_STAT_KEYS) + extra
        items = []
        for item in metric_items:
            key = _LEGACY_ITEMS.get(item, item)
            if key not in allowed:
                hint = (' (APso/APmo/APho need occlusion_split=True)'
                        if key in OVIS_OCCLUSION_KEYS else '')
                raise KeyError(f'metric item "{item}" is not supported'
                               f'{hint}; choose from {allowed}')
            items.append(key)
        return items

    def process_image(self, data_samples: Sequence, video_len: int) -> None:
        """Buffer frames fed one by one; score the video once complete.

        mmdet's ``YouTubeVISMetric`` has no ``process_image``, so an
        image-based sampler (``ori_video_length`` > frames per sample) would
        crash there.
        """
        sample = data_samples[0]
        video_id = sample.metainfo['video_id']
        buffer = self._frame_buffer[video_id]
        buffer.append(sample)
        if len(buffer) == video_len:
            buffer.sort(key=lambda s: s.metainfo.get('frame_id', 0))
            del self._frame_buffer[video_id]
            self.process_video(buffer)

    def _format_one_video_gts(self, gt_dicts: Tuple[dict]) -> List:
        """Parent's GT formatting + video ``length``, minus box ``areas``.

        The parent records videos without ``length`` and fills ``areas`` with
        box areas; without them :func:`evaluate_ytvis` uses mask areas. With
        ``occlusion_split``, each track also gets its per-frame
        ``occlusion`` labels (``None`` on frames without the instance).
        """
        num_before = len(self._vis_meta_info['videos'])
        anns = super()._format_one_video_gts(gt_dicts)
        for video in self._vis_meta_info['videos'][num_before:]:
            video['length'] = gt_dicts[0]['video_length']
        for ann in anns:
            ann.pop('areas', None)
        if self.occlusion_split:
            self._add_occlusion(anns, gt_dicts)
        return anns

    @staticmethod
    def _add_occlusion(anns: List[dict], gt_dicts: Tuple[dict]) -> None:
        """Per-frame ``occlusion`` of every track from its instances."""
        labels: Dict[Any, list] = {}
        for gt in gt_dicts:
            for inst in gt['anns']:
                iid = inst['instance_id']
                if 'occlusion' not in inst and inst.get('ignore_flag'):
                    continue  # crowd: ignored by the evaluation, needs no level
                if 'occlusion' not in inst:
                    raise ValueError(
                        f'video {gt["video_id"]!r}, frame {gt["frame_id"]}: '
                        f'instance {iid!r} has no "occlusion"; '
                        'VideoInstanceMetric(occlusion_split=True) needs a '
                        'dataset that keeps the OVIS occlusion level on '
                        'every instance (OVISDataset)')
                per_frame = labels.setdefault(iid,
                                              [None] * gt['video_length'])
                per_frame[gt['frame_id']] = inst['occlusion']
        for ann in anns:
            if ann['id'] in labels:
                ann['occlusion'] = labels[ann['id']]

    def compute_metrics(self, results: List) -> Dict[str, float]:
        """Score the gathered videos with :func:`evaluate_ytvis`."""
        if not results:
            raise ValueError('VideoInstanceMetric got no processed videos.')
        tmp_pred_results, tmp_gt_results = zip(*results)
        gt_results = self.format_gts(tmp_gt_results)
        pred_results = self.format_preds(tmp_pred_results)
        if self.outfile_prefix:
            self.save_pred_results(pred_results)
        if self.format_only:
            return dict()
        stats = evaluate_ytvis(gt_results, pred_results, verbose=False,
                               occlusion_split=self.occlusion_split)
        logger: MMLogger = MMLogger.get_current_instance()
        logger.info('YouTube-VIS evaluation:\n' + stats['summary'])
        percent = to_percent(stats)
        out = {key: round(percent[key], 4) for key in self.items}
        for name, classes in self.class_groups.items():
            out[f'AP_{name}'] = round(self._group_ap(gt_results, pred_results, classes), 4)
        return out

    @staticmethod
    def _group_ap(gt: dict, preds: List[dict], classes: Sequence[str]) -> float:
        """AP (%) over the classes named ``classes`` only; -1 without GT of them."""
        by_name = {c['name']: c['id'] for c in gt['categories']}
        unknown = [c for c in classes if c not in by_name]
        if unknown:
            raise KeyError(f'class_groups: {unknown} are not classes of the dataset '
                           f'{sorted(by_name)}')
        ids = {by_name[c] for c in classes}
        anns = [a for a in gt['annotations'] if a['category_id'] in ids]
        if not anns:
            return -1.0
        sub = dict(gt, annotations=anns,
                   categories=[c for c in gt['categories'] if c['id'] in ids])
        stats = evaluate_ytvis(sub, [p for p in preds if p['category_id'] in ids],
                               verbose=False)
        return to_percent(stats)['AP']

    def save_pred_results(self, pred_results: List) -> None:
        """Write ``<prefix>.json`` and ``<prefix>.submission_file.zip``."""
        if not self.outfile_prefix:
            raise ValueError('`outfile_prefix` is needed to save results.')
        prefix = str(self.outfile_prefix)
        out_dir = osp.dirname(osp.abspath(prefix))
        os.makedirs(out_dir, exist_ok=True)
        json_path = f'{prefix}.json'
        mmengine.dump(pred_results, json_path)
        zip_path = f'{prefix}.submission_file.zip'
        with zipfile.ZipFile(zip_path, 'w', zipfile.ZIP_DEFLATED) as zf:
            zf.write(json_path, 'results.json')
        MMLogger.get_current_instance().info(
            f'YouTube-VIS results written to {json_path}; submit {zip_path} '
            'to the test server.')

    def evaluate(self, size: int = 1) -> dict:
        """Parent's gather + score, then reset the per-round state.

        The parent leaves ``_vis_meta_info`` as a plain ``dict`` after
        evaluating, so a second validation round would hit ``KeyError:
        'images'``; it is reset to a ``defaultdict`` here.
        """
        if self._frame_buffer:
            pending = {k: len(v) for k, v in self._frame_buffer.items()}
            self._frame_buffer.clear()
            raise ValueError('incomplete videos fed frame by frame '
                             f'(video_id: frames received): {pending}')
        try:
            return super().evaluate(size)
        finally:
            self.results.clear()
            self._vis_meta_info = defaultdict(list)
