"""Frames of video-level data samples, and the order video metrics need them in."""
from typing import Any, Iterator, Optional, Set

from mmengine.dist import get_world_size
from mmengine.structures import BaseDataElement

__all__ = ['FrameOrder', 'VideoBufferMixin', 'video_frames']


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


class VideoBufferMixin:
    """The sample handling VSPWMetric and VIPSegMetric share (mix in before ``BaseMetric``).

    ``process`` takes whole-video samples (any number of processes) or single frames (one
    process, video by video); the subclass turns a frame into an item with ``_add_frame``, which
    calls :meth:`_buffer`, and scores a finished video with ``_score_video``.
    """

    #: the whole-video dataset and ``tools/eval_offline.py`` task named in errors
    whole_video_dataset = ''
    offline_task = ''

    def _init_buffer(self) -> None:
        self._video: Optional[str] = None
        self._frames: list = []
        self._order = FrameOrder(type(self).__name__)

    def _add_frame(self, sample: dict) -> None:
        raise NotImplementedError

    def _score_video(self, video: str, frames: list) -> Any:
        raise NotImplementedError

    def process(self, data_batch, data_samples) -> None:
        for sample in data_samples:
            if 'video_data_samples' in sample:  # a whole video
                self._flush()
                for frame in video_frames(sample):
                    self._add_frame(frame)
                self._flush()
                continue
            if get_world_size() > 1 and not self.format_only:
                raise RuntimeError(
                    f'{type(self).__name__} needs the frames of a video in one process: test on '
                    f'whole videos ({self.whole_video_dataset}), or use format_only=True and '
                    f'tools/eval_offline.py {self.offline_task}')
            self._add_frame(sample)

    def _buffer(self, video: str, position: Any, item: tuple) -> None:
        """Keep one frame's item; a new video first scores the previous one."""
        if self._order.is_new_video(video, position):
            self._flush()
            self._video = video
        self._frames.append(item)

    def _flush(self) -> None:
        if self._video is not None and self._frames:
            self.results.append(self._score_video(self._video, self._frames))
        self._video, self._frames = None, []

    def _finish_videos(self) -> None:
        """Score the last video and forget the order (before ``BaseMetric.evaluate``)."""
        self._flush()
        self._order.reset()
