"""Frames of a video given as a file (mp4, avi, ...), a folder of images or a glob pattern."""
import glob
import os
import os.path as osp
from dataclasses import dataclass
from typing import Iterator, List, Optional, Tuple

import mmcv
import numpy as np

__all__ = ['VideoSource', 'open_video_source', 'IMAGE_EXTS']

IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.bmp')


@dataclass
class VideoSource:
    """Lazily read BGR frames; ``names`` are used for the per-frame outputs."""

    path: str
    names: List[str]
    fps: float
    size: Tuple[int, int]  # (height, width)
    reader: Optional[mmcv.VideoReader] = None
    files: Optional[List[str]] = None

    def __len__(self) -> int:
        return len(self.names)

    def frames(self, limit: Optional[int] = None) -> Iterator[Tuple[str, np.ndarray]]:
        n = len(self) if limit is None else min(limit, len(self))
        for i in range(n):
            if self.reader is not None:
                frame = self.reader.get_frame(i)
                where = f'{self.path} frame {i}'
            else:
                frame = mmcv.imread(self.files[i])
                where = self.files[i]
            if frame is None:
                raise ValueError(f'{where}: frame cannot be read')
            if frame.shape[:2] != self.size:
                raise ValueError(f'{where}: frame size {frame.shape[:2]} differs from the first '
                                 f'frame {self.size}; all frames of a video must have one size')
            yield self.names[i], frame


def open_video_source(source: str, fps: float = 10.0) -> VideoSource:
    """Open ``source``; a clear ``ValueError`` when it is missing, unreadable or empty."""
    if osp.isfile(source):
        try:
            reader = mmcv.VideoReader(source)
        except Exception as e:  # noqa: BLE001 - OpenCV reports bad files in many ways
            raise ValueError(f'{source}: cannot open as a video ({e})') from None
        if reader.frame_cnt <= 0 or reader.get_frame(0) is None:
            raise ValueError(f'{source}: the video has no readable frame')
        return VideoSource(source, [f'{i:06d}' for i in range(reader.frame_cnt)],
                           reader.fps or fps, (reader.height, reader.width), reader=reader)
    if osp.isdir(source):
        files = sorted(osp.join(source, n) for n in os.listdir(source)
                       if n.lower().endswith(IMAGE_EXTS))
    else:
        files = sorted(f for f in glob.glob(source) if f.lower().endswith(IMAGE_EXTS))
        if not files and not any(c in source for c in '*?['):
            raise ValueError(f'{source}: no such file or folder')
    if not files:
        raise ValueError(f'{source}: no image frames found (looked for {IMAGE_EXTS})')
    first = mmcv.imread(files[0])
    if first is None:
        raise ValueError(f'{files[0]}: frame cannot be read')
    return VideoSource(source, [osp.splitext(osp.basename(f))[0] for f in files], fps,
                       first.shape[:2], files=files)
