"""``VIPSegMetric``: VPQ and STQ of per-frame panoptic predictions inside mmdet's test loop."""
import json
import os
import os.path as osp
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
from mmdet.evaluation.functional import INSTANCE_OFFSET
from mmdet.registry import METRICS
from mmengine.dist import all_gather_object, get_rank
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from PIL import Image

from ..functional.vipseg_eval import VIPSegEvaluator, id2rgb, rgb2id
from .video_samples import VideoBufferMixin
from .outfile_prefix import WorkDirOutfilePrefix

__all__ = ['VIPSegMetric']


@METRICS.register_module()
class VIPSegMetric(VideoBufferMixin, BaseMetric):
    """VPQ (k = 1, 2, 4, 6, 8) and STQ of a VIPSeg split (definitions:
    :mod:`mvc_plugin.evaluation.functional.vipseg_eval`).

    Predictions are mmdet's ``pred_panoptic_seg`` (``label + instance * INSTANCE_OFFSET``,
    ``num_classes`` = void). Segment ids are taken as they are, so a model whose instance ids
    are consistent across frames is scored as tracking; a per-frame model's ids restart every
    frame (which VPQ for k > 1 and STQ rightly penalise). Samples are whole videos
    (``TrackDataSample`` of a video model on ``VIPSegVideoDataset``: any number of processes) or
    single frames, which must then arrive video by video, in order (single-process test loop;
    for distributed runs of per-frame models use ``format_only`` and
    ``tools/eval_offline.py vipseg``).

    Args:
        ann_file: the split's panoptic JSON (ground truth ``segments_info`` and categories).
        seg_prefix: folder of the ground-truth RGB PNGs (``<seg_prefix>/<video>/<file>.png``).
        windows, stq_official_quirk: see :class:`VIPSegEvaluator`.
        vpq_tube_key, vpq_crowd, vpq_gt_area: the VPQ tube rules, official by default
            (``'id'``, ``'last'``, ``'json'``); ``'category_id'``, ``'all'``, ``'pixels'`` give
            the plug-in's earlier variants (docs/metrics.md).
        format_only / outfile_prefix: write ``<prefix>/pan_pred/<video>/<frame>.png`` and
            ``<prefix>/pred.json`` in the official format (also when evaluating, if a prefix is
            given).
    """

    default_prefix: Optional[str] = 'vipseg'
    outfile_prefix = WorkDirOutfilePrefix()
    whole_video_dataset = 'VIPSegVideoDataset'
    offline_task = 'vipseg'

    def __init__(self, ann_file: str, seg_prefix: str, windows: Sequence[int] = (1, 2, 4, 6, 8),
                 stq_official_quirk: bool = True, format_only: bool = False,
                 outfile_prefix: Optional[str] = None, vpq_tube_key: str = 'id',
                 vpq_crowd: str = 'last', vpq_gt_area: str = 'json', **kwargs) -> None:
        super().__init__(**kwargs)
        with open(ann_file) as f:
            gt = json.load(f)
        self.categories = gt['categories']
        self.gt_frames = {(a['video_id'], osp.splitext(f['file_name'])[0]): (t, f)
                          for a in gt['annotations'] for t, f in enumerate(a['annotations'])}
        self.seg_prefix = seg_prefix
        self.format_only = format_only
        self.outfile_prefix = outfile_prefix
        self._eval_args = dict(categories=self.categories, windows=tuple(windows),
                               stq_official_quirk=stq_official_quirk,
                               vpq_tube_key=vpq_tube_key, vpq_crowd=vpq_crowd,
                               vpq_gt_area=vpq_gt_area)
        VIPSegEvaluator(**self._eval_args)  # checks the arguments now
        self._init_buffer()
        self._pred_json: Dict[str, list] = {}

    def _label_to_category(self) -> List[int]:
        """Category id of each dataset label (built once per dataset)."""
        classes = tuple(self.dataset_meta['classes'])
        if getattr(self, '_cat_of', (None,))[0] != classes:
            by_name = {c['name']: c['id'] for c in self.categories}
            missing = [n for n in classes if n not in by_name]
            if missing:
                raise ValueError(f'VIPSegMetric: classes {missing[:5]} of the dataset are not '
                                 'categories of the annotation file')
            self._cat_of = (classes, [by_name[n] for n in classes])
        return self._cat_of[1]

    def _to_vipseg(self, pan: np.ndarray) -> tuple:
        """mmdet panoptic map -> (segment id map, segments_info)."""
        cat_of = self._label_to_category()
        void = len(cat_of)
        values, inverse = np.unique(pan, return_inverse=True)
        labels = values % INSTANCE_OFFSET
        inst = values.astype(np.int64) // INSTANCE_OFFSET
        # a thing's id is its instance (track) id alone, as DVIS++ writes its VPS output: an
        # object whose running-mean class changes keeps its id (the official VPQ gives the
        # tube the class of its first frame in the window); stuff: label + 1
        seg_ids = np.where(labels == void, 0, np.where(inst > 0, inst * INSTANCE_OFFSET,
                                                       values.astype(np.int64)) + 1)
        things = seg_ids[inst > 0]
        if len(np.unique(things)) < len(things):  # one instance id with two labels
            seg_ids = np.where(labels == void, 0, values.astype(np.int64) + 1)
        ids = seg_ids[inverse].reshape(pan.shape)  # one pass, not one per segment
        segments = [dict(id=int(i), category_id=cat_of[int(label)], iscrowd=0)
                    for i, label in zip(seg_ids, labels) if label != void]
        return ids, segments

    def _score_video(self, video: str, frames: list) -> Any:
        names, gts, gt_segs, preds, pred_segs = zip(*frames)
        return VIPSegEvaluator(**self._eval_args).video_stats(video, gts, gt_segs, preds,
                                                              pred_segs)

    def _add_frame(self, sample: dict) -> None:
        video = osp.basename(osp.dirname(sample['img_path']))
        frame = osp.splitext(osp.basename(sample['img_path']))[0]
        pan = sample['pred_panoptic_seg']['sem_seg'][0].cpu().numpy()
        pred_ids, pred_segs = self._to_vipseg(pan)
        if self.outfile_prefix:
            out_dir = osp.join(self.outfile_prefix, 'pan_pred', video)
            os.makedirs(out_dir, exist_ok=True)
            Image.fromarray(id2rgb(pred_ids)).save(osp.join(out_dir, frame + '.png'))
            self._pred_json.setdefault(video, []).append(dict(
                image_id=frame, file_name=frame + '.png', segments_info=pred_segs))
        if self.format_only:
            return
        if (video, frame) not in self.gt_frames:
            raise ValueError(f'VIPSegMetric: video {video!r} frame {frame!r} is not in the '
                             'annotation file')
        index, gt = self.gt_frames[(video, frame)]
        with Image.open(osp.join(self.seg_prefix, video, gt['file_name'])) as png:
            gt_ids = rgb2id(np.array(png.convert('RGB')))
        if gt_ids.shape != pred_ids.shape:
            raise ValueError(f'VIPSegMetric: video {video!r} frame {frame!r}: prediction of '
                             f'size {pred_ids.shape} but ground truth of size {gt_ids.shape}')
        # position: the frame's place in the GT
        self._buffer(video, index, (frame, gt_ids, gt['segments_info'], pred_ids, pred_segs))

    def evaluate(self, size: int) -> dict:
        self._finish_videos()
        # every process's predicted frames, gathered before the results are: the main
        # process writes one pred.json holding every video (no shared filesystem needed)
        parts = all_gather_object(self._pred_json) if self.outfile_prefix else []
        self._pred_json = {}
        metrics = super().evaluate(size)
        if self.outfile_prefix and get_rank() == 0:
            self._write_pred_json(parts)
        return metrics

    def _write_pred_json(self, parts: List[Dict[str, list]]) -> None:
        """``pred.json`` from the processes' frames: frames of a video joined and ordered by
        name, duplicates (the sampler's padding) dropped."""
        videos: Dict[str, Dict[str, dict]] = {}
        for part in parts:
            for video, frames in part.items():
                for frame in frames:
                    videos.setdefault(video, {})[frame['image_id']] = frame
        os.makedirs(self.outfile_prefix, exist_ok=True)
        with open(osp.join(self.outfile_prefix, 'pred.json'), 'w') as f:
            json.dump(dict(annotations=[
                dict(video_id=v, annotations=[frames[k] for k in sorted(frames)])
                for v, frames in sorted(videos.items())]), f)
        print_log(f'VIPSeg predictions written to {self.outfile_prefix}', 'current')

    def compute_metrics(self, results: list) -> Dict[str, float]:
        if self.format_only:
            return {}
        evaluator = VIPSegEvaluator(**self._eval_args)
        for acc in results:
            evaluator.merge(acc)
        summary = evaluator.summary()
        keys = ('VPQ', 'VPQ_thing', 'VPQ_stuff', 'VPQ@1', 'VPQ@2', 'VPQ@4', 'VPQ@6', 'VPQ@8',
                'STQ', 'AQ', 'SQ')
        return {k: (summary[k] * 100 if summary[k] >= 0 else -1.0) for k in keys if k in summary}
