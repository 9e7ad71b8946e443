"""``VSPWMetric``: VSPW mIoU and video consistency (VC8 / VC16) inside mmseg's test loop."""
import os
import os.path as osp
from typing import Any, Dict, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmdet.registry import METRICS as MMDET_METRICS
from mmseg.registry import METRICS
from PIL import Image

from ..functional.vspw_eval import VSPWEvaluator, score_video
from .video_samples import VideoBufferMixin
from .outfile_prefix import WorkDirOutfilePrefix

__all__ = ['VSPWMetric']


def _video_and_frame(img_path: str) -> tuple:
    """``.../data/<video>/origin/<frame>.jpg`` -> (video, frame stem)."""
    frame = osp.splitext(osp.basename(img_path))[0]
    return osp.basename(osp.dirname(osp.dirname(img_path))), frame


@MMDET_METRICS.register_module()
@METRICS.register_module()
class VSPWMetric(VideoBufferMixin, BaseMetric):
    """mIoU over all frames and VC_n over windows of n consecutive frames (official VSPW
    definitions; see :mod:`mvc_plugin.evaluation.functional.vspw_eval`).

    Samples are either whole videos (``TrackDataSample`` of a video model on
    ``VSPWVideoDataset``: any number of processes) or single frames (mmseg's segmentors on
    ``VSPWDataset``), which must then arrive video by video in order, as a non-shuffled
    single-process test loop delivers them; each video is scored when the next one starts, so
    memory holds one video. Distributed evaluation of single frames interleaves videos across
    ranks and cannot compute VC: use ``format_only`` and ``tools/eval_offline.py vspw``.
    Ground truth is the sample's ``gt_sem_seg`` or else the raw PNG at ``seg_map_path``.

    The data samples carry mmseg's reduced labels (raw 0 and 255 both become 255); VC compares
    raw labels, so reduced labels are mapped back (255 -> raw 0, c -> c + 1). A pixel switching
    between "others" and void therefore counts as constant: a difference from the official
    script, which reads the raw PNGs, that only concerns ignored pixels.

    Args:
        num_classes: number of classes (124 for VSPW).
        miou_classes: ``'gt'`` (classes present in the ground truth) or ``'union'``.
        vc_windows: window lengths for VC.
        format_only: only write predictions (``<outfile_prefix>/<video>/<frame>.png``, class
            ids 0..C-1), the format ``tools/eval_offline.py vspw`` scores.
        outfile_prefix: where predictions are written (also when evaluating, if given).
    """

    default_prefix: Optional[str] = 'vspw'
    outfile_prefix = WorkDirOutfilePrefix()
    whole_video_dataset = 'VSPWVideoDataset'
    offline_task = 'vspw'

    def __init__(self, num_classes: int = 124, miou_classes: str = 'gt',
                 vc_windows: Sequence[int] = (8, 16), format_only: bool = False,
                 outfile_prefix: Optional[str] = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.vc_windows = tuple(vc_windows)
        self.format_only = format_only
        self.outfile_prefix = outfile_prefix
        self._evaluator_args = dict(num_classes=num_classes, miou_classes=miou_classes,
                                    vc_windows=self.vc_windows)
        VSPWEvaluator(**self._evaluator_args)  # validates the arguments now
        self._init_buffer()

    def _score_video(self, video: str, frames: list) -> Any:
        names, gts, preds = zip(*frames)
        return score_video(video, gts, preds, len(names), self.num_classes, self.vc_windows,
                           frame_names=names)

    def _add_frame(self, sample: dict) -> None:
        video, frame = _video_and_frame(sample['img_path'])
        pred = sample['pred_sem_seg']['data'][0].cpu().numpy().astype(np.uint8)
        if self.outfile_prefix:
            os.makedirs(osp.join(self.outfile_prefix, video), exist_ok=True)
            Image.fromarray(pred).save(osp.join(self.outfile_prefix, video, frame + '.png'))
        if self.format_only:
            return
        if 'gt_sem_seg' in sample:
            reduced = sample['gt_sem_seg']['data'][0].cpu().numpy()
            raw = np.where(reduced == 255, 0, reduced.astype(np.int64) + 1).astype(np.uint8)
        elif sample.get('seg_map_path'):
            with Image.open(sample['seg_map_path']) as png:
                raw = np.array(png)
        else:
            raise ValueError(f'VSPWMetric: frame {sample["img_path"]} has neither gt_sem_seg '
                             'nor seg_map_path (add meta_keys=("seg_map_path",) to '
                             'PackTrackInputs)')
        if raw.shape != pred.shape:
            raise ValueError(f'VSPWMetric: video {video!r} frame {frame!r}: prediction of size '
                             f'{pred.shape} but ground truth of size {raw.shape}')
        self._buffer(video, frame, (frame, raw, pred))

    def evaluate(self, size: int) -> dict:
        self._finish_videos()
        return super().evaluate(size)

    def compute_metrics(self, results: list) -> Dict[str, float]:
        if self.format_only:
            print_log(f'VSPW predictions written to {self.outfile_prefix}', 'current')
            return {}
        evaluator = VSPWEvaluator(**self._evaluator_args)
        for score in results:
            evaluator.add_score(score)
        summary = evaluator.summary()
        return {k: (v * 100 if v >= 0 else -1.0) for k, v in summary.items()
                if k != 'per_class_IoU'}
