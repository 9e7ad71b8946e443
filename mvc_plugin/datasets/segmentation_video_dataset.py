"""Base of the whole-video datasets for video semantic (VSPW) and panoptic (VIPSeg) segmentation.

mmdet's ``BaseVideoDataset`` serves one *video* per index: in training a frame-sampling transform
(``VideoClipSample``) picks the clip's frames, in test mode the whole video passes through the
pipeline at once. That is what a video model needs (the decoupled segmenter's tracker and
refiner are trained on clips and predict whole videos), and it keeps every frame of a video in
one process, so metrics that need whole videos (VC, VPQ, STQ) also work in distributed testing.
mmdet's loader reads a CocoVID JSON; subclasses here read the datasets' own layouts instead.
"""
from typing import List, Tuple

from mmdet.datasets import BaseVideoDataset

from .corrupt_frames import CorruptFrameFallbackMixin
from .validation import frame_check_level

__all__ = ['SegmentationVideoDataset']


class SegmentationVideoDataset(CorruptFrameFallbackMixin, BaseVideoDataset):
    """Videos as mmdet video samples (``dict(video_id, images=[frame, ...], video_length)``).

    Args:
        frame_check: how frame and annotation files are checked at load time
            (``'none' | 'exists' | 'header' | 'decode'``).
        Other arguments as in mmdet's ``BaseVideoDataset``.
    """

    def __init__(self, *args, frame_check: str = 'header', **kwargs) -> None:
        self.frame_check = frame_check_level(frame_check)
        super().__init__(*args, **kwargs)

    def read_videos(self) -> List[Tuple[str, List[dict]]]:
        """``[(video id, [frame info, ...]), ...]``; frame infos need ``img_path``."""
        raise NotImplementedError

    def load_data_list(self) -> List[dict]:
        data_list, img_id = [], 0
        for video, frames in self.read_videos():
            images = []
            for t, frame in enumerate(frames):
                images.append(dict(frame, img_id=img_id, frame_id=t, video_id=video,
                                   video_length=len(frames),
                                   instances=frame.get('instances', [])))
                img_id += 1
            data_list.append(dict(video_id=video, images=images, video_length=len(images)))
        return data_list

    def filter_data(self) -> List[dict]:
        """No filtering: every frame of a segmentation video is annotated (void included)."""
        return self.data_list
