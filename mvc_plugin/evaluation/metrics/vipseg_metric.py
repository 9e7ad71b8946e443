"""``VIPSegMetric``: VPQ and STQ of per-frame panoptic predictions inside mmdet's test loop."""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmdet.evaluation.functional import INSTANCE_OFFSET
from mmdet.registry import METRICS
from mmengine.dist import get_rank, get_world_size
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from PIL import Image

from ..functional.vipseg_eval import VIPSegEvaluator, id2rgb, rgb2id
from .video_samples import video_frames

__all__ = ['VIPSegMetric']


@METRICS.register_module()
class VIPSegMetric(BaseMetric):
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
        format_only / outfile_prefix: write ``<prefix>/pan_pred/<video>/<frame>.png`` and
            ``<prefix>/pred.json`` in the official format (also when evaluating, if a prefix is
            given).
    """

    default_prefix: Optional[str] = 'vipseg'

    def __init__(self, ann_file: str, seg_prefix: str, windows: Sequence[int] = (1, 2, 4, 6, 8),
                 stq_official_quirk: bool = True, format_only: bool = False,
                 outfile_prefix: Optional[str] = None, **kwargs) -> None:
        super().__init__(**kwargs)
        if format_only and not outfile_prefix:
            raise ValueError('VIPSegMetric: format_only=True needs outfile_prefix')
        with open(ann_file) as f:
            gt = json.load(f)
        self.categories = gt['categories']
        self.gt_frames = {(a['video_id'], osp.splitext(f['file_name'])[0]): f
                          for a in gt['annotations'] for f in a['annotations']}
        self.seg_prefix = seg_prefix
        self.format_only = format_only
        self.outfile_prefix = outfile_prefix
        self._eval_args = dict(categories=self.categories, windows=tuple(windows),
                               stq_official_quirk=stq_official_quirk)
        VIPSegEvaluator(**self._eval_args)
        self._video: Optional[str] = None
        self._frames: List[tuple] = []
        self._pred_json: Dict[str, list] = {}

    def _label_to_category(self) -> List[int]:
        by_name = {c['name']: c['id'] for c in self.categories}
        return [by_name[name] for name in self.dataset_meta['classes']]

    def _to_vipseg(self, pan: np.ndarray) -> tuple:
        """mmdet panoptic map -> (segment id map, segments_info)."""
        cat_of = self._label_to_category()
        void = len(cat_of)
        ids = np.zeros(pan.shape, np.int64)
        segments = []
        for value in np.unique(pan):
            label = int(value % INSTANCE_OFFSET)
            if label == void:
                continue
            seg_id = int(value) + 1
            ids[pan == value] = seg_id
            segments.append(dict(id=seg_id, category_id=cat_of[label], iscrowd=0))
        return ids, segments

    def _flush(self) -> None:
        if self._video is None or not self._frames:
            return
        evaluator = VIPSegEvaluator(**self._eval_args)
        names, gts, gt_segs, preds, pred_segs = zip(*self._frames)
        self.results.append(evaluator.video_stats(self._video, gts, gt_segs, preds, pred_segs))
        self._video, self._frames = None, []

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            if 'video_data_samples' in sample:  # a whole video (VIPSegVideoDataset, test mode)
                self._flush()
                for frame in video_frames(sample):
                    self._add_frame(frame)
                self._flush()
                continue
            if get_world_size() > 1 and not self.format_only:
                raise RuntimeError('VIPSegMetric needs whole videos in one process; test on '
                                   'whole videos (VIPSegVideoDataset), or use format_only=True '
                                   'and tools/eval_offline.py vipseg')
            self._add_frame(sample)

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
        gt = self.gt_frames.get((video, frame))
        if gt is None:
            raise ValueError(f'VIPSegMetric: video {video!r} frame {frame!r} is not in the '
                             'annotation file')
        gt_ids = rgb2id(np.array(Image.open(osp.join(self.seg_prefix, video,
                                                     gt['file_name'])).convert('RGB')))
        if gt_ids.shape != pred_ids.shape:
            raise ValueError(f'VIPSegMetric: video {video!r} frame {frame!r}: prediction of '
                             f'size {pred_ids.shape} but ground truth of size {gt_ids.shape}')
        if video != self._video:
            self._flush()
            self._video = video
        self._frames.append((frame, gt_ids, gt['segments_info'], pred_ids, pred_segs))

    def evaluate(self, size: int) -> dict:
        self._flush()
        if self.outfile_prefix:
            # each process writes its frames; the main process merges them after the results
            # are collected (a synchronisation point), so pred.json holds every video
            os.makedirs(self.outfile_prefix, exist_ok=True)
            with open(self._part_path(get_rank()), 'w') as f:
                json.dump(self._pred_json, f)
            self._pred_json = {}
        metrics = super().evaluate(size)
        if self.outfile_prefix and get_rank() == 0:
            self._merge_prediction_parts(get_world_size())
        return metrics

    def _part_path(self, rank: int) -> str:
        return osp.join(self.outfile_prefix, f'pred.rank{rank}.json')

    def _merge_prediction_parts(self, world_size: int) -> None:
        """``pred.json`` from the processes' parts: frames of a video joined, ordered by name,
        duplicates (the sampler's padding) dropped; the parts are removed."""
        videos: Dict[str, Dict[str, dict]] = {}
        for rank in range(world_size):
            with open(self._part_path(rank)) as f:
                for video, frames in json.load(f).items():
                    for frame in frames:
                        videos.setdefault(video, {})[frame['image_id']] = frame
            os.remove(self._part_path(rank))
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
