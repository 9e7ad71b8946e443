"""Frames of video-level data samples, and the order video metrics need them in."""
from typing import Any, Iterator, Optional, Set

from mmengine.structures import BaseDataElement

__all__ = ['FrameOrder', 'video_frames']


def video_frames(sample: dict) -> Iterator[dict]:
    """Per-frame dicts of a ``TrackDataSample`` (as mmengine's evaluator hands it over: a dict
    whose ``video_data_samples`` are still ``DetDataSample`` objects), in frame order."""
    frames = sample['video_data_samples']
    for frame in frames:
        yield frame.to_dict() if isinstance(frame, BaseDataElement) else frame


class FrameOrder:
    """Checks that frames arrive video by video and in order within a video.

    VC, VPQ for k > 1 and STQ compare consecutive frames: a video whose frames come back after
    another video's (a shuffled or interleaving sampler), or frames out of order, would be
    scored wrongly without any sign. Here they raise a ``ValueError`` naming video and frame.
    """

    def __init__(self, metric: str) -> None:
        self.metric = metric
        self.video: Optional[str] = None
        self.last: Any = None
        self.done: Set[str] = set()

    def is_new_video(self, video: str, position: Any) -> bool:
        """Record a frame at ``position`` (any increasing key) of ``video``; True when it starts
        a new video."""
        if video == self.video:
            if position <= self.last:
                raise ValueError(f'{self.metric}: video {video!r}: frame {position!r} arrives '
                                 f'after frame {self.last!r}; frames of a video must arrive in '
                                 'order')
            self.last = position
            return False
        if video in self.done:
            raise ValueError(f'{self.metric}: video {video!r} arrives again after other videos; '
                             'frames must arrive video by video (a non-shuffled test '
                             'dataloader, or whole-video samples)')
        if self.video is not None:
            self.done.add(self.video)
        self.video, self.last = video, position
        return True

    def reset(self) -> None:
        self.__init__(self.metric)
