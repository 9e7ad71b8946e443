"""``DVISPlusClipSample``: the official DVIS++ training-clip sampler (frames of one clip).

Reimplements the frame selection of the official mappers (``dvis_Plus/data_video/
dataset_mapper.py`` ``YTVISDatasetMapper.select_frames`` for VIS, ``dataset_mapper_vps.py`` /
``dataset_mapper_vss.py`` for VPS / VSS), driven by ``INPUT.SAMPLING_FRAME_NUM`` (``num_frames``),
``INPUT.SAMPLING_FRAME_RANGE`` (``frame_range``), ``INPUT.REVERSE_AGU`` (``reverse``) and
``INPUT.SAMPLING_FRAME_SHUFFLE`` (``shuffle``):

* ``num_frames == 2 * frame_range + 1`` -- **consecutive** frames: a start drawn uniformly from
  ``[0, L - T)`` (``random.randrange(L - T)``: the last possible start is never drawn, start 0
  when ``L == T``), then frames ``start .. start + T - 1``; with ``reverse`` the clip is played
  backwards with probability 0.5. A video **shorter than the clip** (``L < T``) gives all its
  frames in order followed by ``T - L`` frames drawn at random (with replacement) from the video,
  in draw order (the official code calls ``sorted`` without using its result, so the padding is
  not sorted; we match it).
* otherwise -- a **reference frame** drawn uniformly, and ``T - 1`` other frames drawn from the
  window ``[ref - frame_range, ref + frame_range]`` (clipped to the video, ``ref`` excluded), the
  clip sorted by time. VIS draws *without* replacement when the window holds enough frames and
  with replacement otherwise (``replace='auto'``); the VPS / VSS mappers always draw with
  replacement (``replace='always'``). ``reverse`` does not apply here (official).
* ``shuffle``: the selected frames are shuffled (after the above).

One divergence, documented: a 1-frame video with a windowed sampler makes the official
``np.random.choice`` fail on an empty window; here the clip repeats that frame.
"""
import random
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmdet.datasets.transforms import BaseFrameSample
from mmdet.registry import TRANSFORMS

__all__ = ['DVISPlusClipSample']


@TRANSFORMS.register_module()
class DVISPlusClipSample(BaseFrameSample):
    """Sample one training clip of a video as the official DVIS++ mappers do.

    Args:
        num_frames: frames per clip (official ``INPUT.SAMPLING_FRAME_NUM``).
        frame_range: half-width of the sampling window (``INPUT.SAMPLING_FRAME_RANGE``);
            ``num_frames == 2 * frame_range + 1`` selects consecutive frames.
        reverse: reverse consecutive clips with probability 0.5 (``INPUT.REVERSE_AGU``).
        shuffle: shuffle the selected frames (``INPUT.SAMPLING_FRAME_SHUFFLE``).
        replace: windowed sampling with replacement ``'auto'`` (only when the window is too
            small: VIS) or ``'always'`` (VPS / VSS).
        collect_video_keys: video-level keys copied to every frame (mmdet's convention).
    """

    def __init__(self, num_frames: int, frame_range: int, reverse: bool = False,
                 shuffle: bool = False, replace: str = 'auto',
                 collect_video_keys: Sequence[str] = ('video_id', 'video_length')) -> None:
        if not isinstance(num_frames, int) or num_frames < 1:
            raise ValueError(f'DVISPlusClipSample: num_frames must be an int >= 1, got '
                             f'{num_frames!r}')
        if not isinstance(frame_range, int) or frame_range < 0:
            raise ValueError(f'DVISPlusClipSample: frame_range must be an int >= 0, got '
                             f'{frame_range!r}')
        if replace not in ('auto', 'always'):
            raise ValueError(f"DVISPlusClipSample: replace must be 'auto' or 'always', got "
                             f'{replace!r}')
        self.num_frames, self.frame_range = num_frames, frame_range
        self.reverse, self.shuffle, self.replace = bool(reverse), bool(shuffle), replace
        super().__init__(collect_video_keys=list(collect_video_keys))

    @property
    def consecutive(self) -> bool:
        """Whether clips are consecutive frames (``num_frames == 2 * frame_range + 1``)."""
        return self.num_frames == 2 * self.frame_range + 1

    def sample_indices(self, video_length: int) -> List[int]:
        """Frame indices of one clip of a video of ``video_length`` frames."""
        if video_length < 1:
            raise ValueError('DVISPlusClipSample: the video has no frames')
        t = self.num_frames
        if self.consecutive:
            if t > video_length:
                extra = np.random.choice(video_length, t - video_length).tolist()
                indices = list(range(video_length)) + [int(i) for i in extra]
            else:
                start = 0 if video_length == t else random.randrange(video_length - t)
                indices = list(range(start, start + t))
            if self.reverse and random.random() < 0.5:
                indices = indices[::-1]
        else:
            ref = random.randrange(video_length)
            low = max(0, ref - self.frame_range)
            high = min(video_length, ref + self.frame_range + 1)
            window = [i for i in range(low, high) if i != ref]
            if window:
                replace = self.replace == 'always' or high - low < t
                others = np.random.choice(np.array(window), t - 1, replace=replace).tolist()
            else:
                others = [ref] * (t - 1)
            indices = sorted([int(i) for i in others] + [ref])
        if self.shuffle:
            random.shuffle(indices)
        return indices

    def transform(self, video_infos: dict) -> Optional[Dict[str, List]]:
        """Select the clip's frames: mmdet's dict of per-frame lists (``None``: no frames)."""
        if video_infos['video_length'] < 1:
            return None
        indices = self.sample_indices(video_infos['video_length'])
        # prepare_data writes video-level keys into the frame dicts: work on copies
        frames = [dict(f) for f in video_infos['images']]
        results = self.prepare_data(dict(video_infos, images=frames), indices)
        results['key_frame_flags'] = [i == len(indices) // 2 for i in range(len(indices))]
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_frames={self.num_frames}, '
                f'frame_range={self.frame_range}, reverse={self.reverse}, '
                f'shuffle={self.shuffle}, replace={self.replace!r})')
