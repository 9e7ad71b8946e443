"""Frames of a video-level data sample, as the dicts the per-frame metrics read."""
from typing import Iterator

from mmengine.structures import BaseDataElement

__all__ = ['video_frames']


def video_frames(sample: dict) -> Iterator[dict]:
    """Per-frame dicts of a ``TrackDataSample`` (as mmengine's evaluator hands it over: a dict
    whose ``video_data_samples`` are still ``DetDataSample`` objects), in frame order."""
    frames = sample['video_data_samples']
    for frame in frames:
        yield frame.to_dict() if isinstance(frame, BaseDataElement) else frame
