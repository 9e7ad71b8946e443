"""``VideoClipSample``: T frames of a video with a fixed or random stride, for training clips.

mmdet's ``UniformRefFrameSample`` draws reference frames *anywhere* within a range around a key
frame, so the clip's frame gaps are irregular. Video heads that model motion (the referring
tracker, the temporal refiner's temporal convolution) want **T frames at a regular stride**, as
DVIS / DVIS++ sample them. This transform picks a start frame and a stride and returns the frames
``start, start + s, ..., start + (T - 1) s`` in mmdet's video-pipeline layout (dict of lists, one
entry per frame), so it replaces ``UniformRefFrameSample`` in any mmdet video config.
"""
import random
from typing import Dict, List, Optional, Sequence, Tuple, Union

from mmdet.datasets.transforms import BaseFrameSample
from mmdet.registry import TRANSFORMS

__all__ = ['VideoClipSample']


@TRANSFORMS.register_module()
class VideoClipSample(BaseFrameSample):
    """Sample ``num_frames`` frames of a video at a regular stride.

    Args:
        num_frames: frames per clip (``T``).
        stride: frame step; an int, or ``(low, high)`` to draw it uniformly per clip.
        short_video: what to do when the video has fewer frames than the clip needs at stride
            1: ``'repeat'`` (the last frame is repeated, as DVIS does) or ``'error'``.
        collect_video_keys: video-level keys copied to every frame (mmdet's convention).

    When the dataset passes ``key_frame_id`` (index ``(video, frame)``, e.g. mmdet's
    ``TrackImgSampler``), the clip is centred on it (shifted to stay inside the video) and that
    frame is flagged as the key frame; otherwise the start is uniform and the middle frame is the
    key. A video too short for the drawn stride uses the largest stride that fits; a video with
    no frame left (all filtered out by the dataset) gives ``None``, so another is drawn.
    """

    def __init__(self, num_frames: int = 2, stride: Union[int, Sequence[int]] = 1,
                 short_video: str = 'repeat',
                 collect_video_keys: Sequence[str] = ('video_id', 'video_length')) -> None:
        if not isinstance(num_frames, int) or num_frames < 1:
            raise ValueError(f'VideoClipSample: num_frames must be an int >= 1, got {num_frames!r}')
        self.stride_range = self._stride_range(stride)
        if short_video not in ('repeat', 'error'):
            raise ValueError(f"VideoClipSample: short_video must be 'repeat' or 'error', got "
                             f'{short_video!r}')
        self.num_frames = num_frames
        self.short_video = short_video
        super().__init__(collect_video_keys=list(collect_video_keys))

    @staticmethod
    def _stride_range(stride: Union[int, Sequence[int]]) -> Tuple[int, int]:
        low_high = (stride, stride) if isinstance(stride, int) else tuple(stride)
        if len(low_high) != 2 or not all(isinstance(s, int) and s >= 1 for s in low_high) \
                or low_high[0] > low_high[1]:
            raise ValueError('VideoClipSample: stride must be an int >= 1 or (low, high) with '
                             f'1 <= low <= high, got {stride!r}')
        return low_high

    def sample_indices(self, video_length: int, key_frame: Optional[int] = None) -> List[int]:
        """Frame indices of one clip of a video of ``video_length`` frames (centred on
        ``key_frame`` when given)."""
        if video_length < 1:
            raise ValueError('VideoClipSample: the video has no frames')
        t = self.num_frames
        if video_length < t:
            if self.short_video == 'error':
                raise ValueError(f'VideoClipSample: a clip of {t} frames needs a video of at '
                                 f'least {t} frames, got {video_length}')
            frames = list(range(video_length))
            return frames + [video_length - 1] * (t - video_length)
        stride = random.randint(*self.stride_range)
        if t > 1:
            stride = min(stride, (video_length - 1) // (t - 1))
        span = (t - 1) * stride + 1
        last_start = video_length - span
        if key_frame is None:
            start = random.randint(0, last_start)
        else:
            start = min(max(key_frame - (t // 2) * stride, 0), last_start)
        return [start + i * stride for i in range(t)]

    def transform(self, video_infos: dict) -> Optional[Dict[str, List]]:
        if video_infos['video_length'] < 1:
            return None
        key_frame = video_infos.get('key_frame_id')
        indices = self.sample_indices(video_infos['video_length'], key_frame)
        # prepare_data writes video-level keys (video_length = clip length) into the frame
        # dicts: work on copies, leaving the dataset's video info as it was
        frames = [dict(f) for f in video_infos['images']]
        results = self.prepare_data(dict(video_infos, images=frames), indices)
        key = len(indices) // 2 if key_frame is None else \
            min(range(len(indices)), key=lambda i: abs(indices[i] - key_frame))
        results['key_frame_flags'] = [i == key for i in range(len(indices))]
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_frames={self.num_frames}, '
                f'stride={self.stride_range}, short_video={self.short_video!r})')
