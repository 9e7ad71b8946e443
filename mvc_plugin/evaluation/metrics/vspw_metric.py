"""``VSPWMetric``: VSPW mIoU and video consistency (VC8 / VC16) inside mmseg's test loop."""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.dist import get_world_size
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmdet.registry import METRICS as MMDET_METRICS
from mmseg.registry import METRICS
from PIL import Image

from ..functional.vspw_eval import VSPWEvaluator, score_video
from .video_samples import FrameOrder, video_frames

__all__ = ['VSPWMetric']


def _video_and_frame(img_path: str) -> tuple:
    """``.../data/<video>/origin/<frame>.jpg`` -> (video, frame stem)."""
    frame = osp.splitext(osp.basename(img_path))[0]
    return osp.basename(osp.dirname(osp.dirname(img_path))), frame


@MMDET_METRICS.register_module()
@METRICS.register_module()
class VSPWMetric(BaseMetric):
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

    def __init__(self, num_classes: int = 124, miou_classes: str = 'gt',
                 vc_windows: Sequence[int] = (8, 16), format_only: bool = False,
                 outfile_prefix: Optional[str] = None, **kwargs) -> None:
        super().__init__(**kwargs)
        if format_only and not outfile_prefix:
            raise ValueError('VSPWMetric: format_only=True needs outfile_prefix')
        self.num_classes = num_classes
        self.vc_windows = tuple(vc_windows)
        self.format_only = format_only
        self.outfile_prefix = outfile_prefix
        self._evaluator_args = dict(num_classes=num_classes, miou_classes=miou_classes,
                                    vc_windows=self.vc_windows)
        VSPWEvaluator(**self._evaluator_args)  # validates the arguments now
        self._video: Optional[str] = None
        self._frames: List[tuple] = []
        self._order = FrameOrder('VSPWMetric')

    def _flush(self) -> None:
        if self._video is None or not self._frames:
            return
        names, gts, preds = zip(*self._frames)
        self.results.append(score_video(self._video, gts, preds, len(names), self.num_classes,
                                        self.vc_windows, frame_names=names))
        self._video, self._frames = None, []

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            if 'video_data_samples' in sample:  # a whole video (VSPWVideoDataset, test mode)
                self._flush()
                for frame in video_frames(sample):
                    self._add_frame(frame)
                self._flush()
                continue
            if get_world_size() > 1 and not self.format_only:
                raise RuntimeError('VSPWMetric cannot compute VC in distributed evaluation of '
                                   'single frames (frames of a video are split across ranks); '
                                   'test on whole videos (VSPWVideoDataset), or use '
                                   'format_only=True and tools/eval_offline.py vspw')
            self._add_frame(sample)

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
        if self._order.is_new_video(video, frame):
            self._flush()
            self._video = video
        self._frames.append((frame, raw, pred))

    def evaluate(self, size: int) -> dict:
        self._flush()
        self._order.reset()
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
