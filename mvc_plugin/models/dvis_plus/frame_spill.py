"""``FrameSpill``: per-frame tensors kept in a temporary file instead of memory.

The official DVIS++ inference (``run_window_inference``) keeps every frame's stride-4 mask logits
(and, offline, the segmenter's mask features) in memory until the video ends, because the video
class scores -- needed to turn masks into VIS / VSS / VPS results -- are known only then. That is
``Q x H/4 x W/4`` floats per frame (about 23 MB at 720p with 100 queries): memory grows with the
video. :class:`DVISPlusVideoSegmentor` writes them here instead and reads one frame (or one
window) back at a time, so its resident memory stays flat in video length; the values are the
same bytes (exact). The file lives in the system temporary directory and is deleted on close.
"""
import tempfile
from typing import List, Optional, Tuple

import numpy as np
import torch
from torch import Tensor

__all__ = ['FrameSpill']


class FrameSpill:
    """Append-only store of same-shaped per-frame tensors, read back by frame index.

    Args:
        in_memory: keep the tensors in a list instead (the official behaviour; for short
            videos or tests).
    """

    def __init__(self, in_memory: bool = False) -> None:
        self._file = None if in_memory else tempfile.TemporaryFile(prefix='mvc_plugin_spill_')
        self._kept: List[Tensor] = []
        self._shape: Optional[Tuple[int, ...]] = None
        self._dtype: Optional[torch.dtype] = None
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def append(self, frames: Tensor) -> None:
        """Store ``(F, ...)`` tensors of ``F`` successive frames."""
        frames = frames.detach().cpu().contiguous()
        if self._shape is None:
            self._shape, self._dtype = tuple(frames.shape[1:]), frames.dtype
        if tuple(frames.shape[1:]) != self._shape or frames.dtype != self._dtype:
            raise ValueError(f'FrameSpill: frames of shape {tuple(frames.shape[1:])} / '
                             f'{frames.dtype} after {self._shape} / {self._dtype}')
        if self._file is None:
            self._kept.extend(frames.unbind(0))
        else:
            self._file.seek(0, 2)
            self._file.write(frames.numpy().tobytes())
        self._count += frames.shape[0]

    def read(self, start: int, stop: Optional[int] = None) -> Tensor:
        """Frames ``start:stop`` as one ``(F, ...)`` tensor (``stop`` defaults to ``start + 1``)."""
        stop = start + 1 if stop is None else stop
        if not 0 <= start < min(stop, self._count):
            raise IndexError(f'FrameSpill: frames {start}:{stop} of {self._count}')
        stop = min(stop, self._count)
        if self._file is None:
            return torch.stack(self._kept[start:stop])
        itemsize = torch.empty((), dtype=self._dtype).element_size()
        frame_bytes = int(np.prod(self._shape)) * itemsize
        self._file.seek(start * frame_bytes)
        data = bytearray(self._file.read((stop - start) * frame_bytes))
        return torch.frombuffer(data, dtype=self._dtype).view(stop - start, *self._shape)

    def read_all(self) -> Tensor:
        """Every frame, ``(T, ...)`` (memory grows with the video: tests / tensor mode)."""
        return self.read(0, self._count)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        self._kept.clear()

    def __enter__(self) -> 'FrameSpill':
        return self

    def __exit__(self, *exc) -> None:
        self.close()
