"""Streaming inference for :class:`DecoupledVideoSegmentor`: frames in, per-frame results out.

``stream(frames)`` runs the segmenter on ``window`` frames at a time and advances the tracker
frame by frame; what survives from one frame to the next is only a :class:`StreamState`:

* ``objects`` -- ``O_{t-1}``, the tracked embeddings ``(B, N, C)``;
* ``score_sum`` / ``num_frames`` -- the running sum of each object's class probabilities
  ``(B, N, K)``, whose mean is the video-level score used to rank objects at the end;
* in offline mode, the current window's buffer (at most ``window`` frames), refined and emitted
  when full.

So the state's size does not depend on the video's length; each frame's masks are yielded and
not kept (the caller decides -- ``predict`` keeps them RLE-encoded, see ``video_results``).
With ``stage='segmenter'`` (no trained tracker yet) objects are associated between consecutive
frames by Hungarian matching of query-embedding cosine similarity (MinVIS-style), so the
segmenter stage can be validated with the same code path.
"""
from dataclasses import dataclass, field
from itertools import islice
from typing import Iterable, Iterator, List, Optional

import torch
import torch.nn.functional as F
from scipy.optimize import linear_sum_assignment
from torch import Tensor

from .segmenter_tap import SegmenterFrames

__all__ = ['FrameResult', 'StreamState', 'VideoStreamingMixin']


@dataclass
class FrameResult:
    """One frame's output for a batch of ``B`` videos."""

    index: int           #: frame index in the video
    cls_logits: Tensor   #: ``(B, N, K + 1)`` per-frame (online) or window-level (offline) logits
    mask_logits: Tensor  #: ``(B, N, h, w)`` stride-4 mask logits of the tracked objects


@dataclass
class StreamState:
    """Everything streaming inference keeps between frames (see the module docstring)."""

    objects: Optional[Tensor] = None
    score_sum: Optional[Tensor] = None
    num_frames: int = 0
    frame_shape: Optional[tuple] = None
    buffer: List[tuple] = field(default_factory=list)

    def tensors(self) -> List[Tensor]:
        """All tensors held by the state."""
        held = [self.objects, self.score_sum] + [x for item in self.buffer for x in item]
        return [x for x in held if isinstance(x, Tensor)]

    def nbytes(self) -> int:
        return sum(x.numel() * x.element_size() for x in self.tensors())

    def add_scores(self, cls_logits: Tensor, frames: int = 1) -> None:
        probs = cls_logits.detach().softmax(-1)[..., :-1] * frames
        self.score_sum = probs if self.score_sum is None else self.score_sum + probs
        self.num_frames += frames

    def video_scores(self) -> Tensor:
        """``(B, N, K)`` mean class probabilities over the frames seen."""
        if self.score_sum is None:
            raise ValueError('StreamState: no frame has been processed')
        return self.score_sum / max(self.num_frames, 1)


def _as_frame_batch(frame: Tensor) -> Tensor:
    if frame.dim() == 3:
        return frame[None]
    if frame.dim() != 4:
        raise ValueError(f'a frame must be (C, H, W) or (B, C, H, W), got {tuple(frame.shape)}')
    return frame


class VideoStreamingMixin:
    """``stream`` / ``stream_features`` for a model with ``tap``, ``tracker``, ``refiner``,
    ``stage``, ``mode`` and ``test_cfg``."""

    def _segment(self, frames: Iterable[Tensor], state: StreamState,
                 window: int) -> Iterator[SegmenterFrames]:
        """Segmenter outputs frame by frame, computed ``window`` frames at a time."""
        frames = iter(frames)
        while True:
            chunk = [_as_frame_batch(f) for f in islice(frames, window)]
            if not chunk:
                return
            for frame in chunk:
                if state.frame_shape is None:
                    state.frame_shape = tuple(frame.shape)
                elif tuple(frame.shape) != state.frame_shape:
                    raise ValueError(f'DecoupledVideoSegmentor.stream: all frames of a video '
                                     f'must have the same size, got {tuple(frame.shape)} after '
                                     f'{state.frame_shape}')
            b = chunk[0].shape[0]
            out = self.tap(torch.stack(chunk, dim=1).flatten(0, 1))
            for t in range(len(chunk)):
                yield SegmenterFrames(*(x.unflatten(0, (b, len(chunk)))[:, t] for x in (
                    out.queries, out.cls_logits, out.mask_logits, out.mask_features)))

    def stream(self, frames: Iterable[Tensor], state: Optional[StreamState] = None,
               window: Optional[int] = None) -> Iterator[FrameResult]:
        """Preprocessed frames (each ``(C, H, W)`` or ``(B, C, H, W)``) -> per-frame results.

        ``window``: frames per refiner window offline (``None``: the whole video) and, unless
        ``test_cfg['frame_batch']`` says otherwise, per segmenter batch (default
        ``test_cfg['window']``).
        """
        state = StreamState() if state is None else state
        window = self._window(window)
        frame_batch = self.test_cfg.get('frame_batch') or window or 1
        yield from self.stream_features(self._segment(frames, state, frame_batch), state, window)

    def _window(self, window: Optional[int]) -> Optional[int]:
        window = self.test_cfg.get('window') if window is None else window
        if window is not None and window < 1:
            raise ValueError(f'window must be >= 1 or None, got {window}')
        return window

    @torch.no_grad()
    def stream_features(self, frames: Iterable[SegmenterFrames],
                        state: Optional[StreamState] = None,
                        window: Optional[int] = None) -> Iterator[FrameResult]:
        """Segmenter outputs of successive frames (each with a leading batch dim) -> results."""
        state = StreamState() if state is None else state
        window = self._window(window)
        index = state.num_frames + len(state.buffer)
        for frame in frames:
            if self.stage == 'segmenter':
                result = self._associate(frame, state, index)
            else:
                state.objects = self.tracker.step(state.objects, frame.queries,
                                                  frame.cls_logits)
                if self.mode == 'offline':
                    state.buffer.append((state.objects, frame.queries, frame.cls_logits,
                                         frame.mask_features))
                    if window is not None and len(state.buffer) >= window:
                        yield from self._refine_window(state)
                    index += 1
                    continue
                cls_logits, masks = self.tracker.predict_heads(state.objects,
                                                               frame.mask_features)
                result = FrameResult(index, cls_logits, masks)
            state.add_scores(result.cls_logits)
            index += 1
            yield result
        if state.buffer:
            yield from self._refine_window(state)

    def _refine_window(self, state: StreamState) -> Iterator[FrameResult]:
        objects, queries, logits, features = (torch.stack(x, dim=1) for x in zip(*state.buffer))
        state.buffer.clear()
        refined = self.refiner(objects, queries, logits)
        video_logits, masks = self.refiner.predict_heads(refined, features)
        first = state.num_frames
        state.add_scores(video_logits, frames=masks.shape[1])
        for t in range(masks.shape[1]):
            yield FrameResult(first + t, video_logits, masks[:, t])

    @staticmethod
    def _associate(frame: SegmenterFrames, state: StreamState, index: int) -> FrameResult:
        """Segmenter-only tracking: reorder this frame's queries to best match the previous
        frame's (cosine similarity, Hungarian)."""
        queries, cls_logits, masks = frame.queries, frame.cls_logits, frame.mask_logits
        if state.objects is not None:
            prev = F.normalize(state.objects, dim=-1)
            sim = torch.einsum('bnc,bmc->bnm', prev, F.normalize(queries, dim=-1)).cpu()
            order = torch.stack([torch.as_tensor(linear_sum_assignment(-s.numpy())[1])
                                 for s in sim]).to(queries.device)
            queries, cls_logits, masks = (_take(x, order) for x in (queries, cls_logits, masks))
        state.objects = queries
        return FrameResult(index, cls_logits, masks)


def _take(x: Tensor, order: Tensor) -> Tensor:
    """``x[b, order[b]]`` along dim 1 for every batch element ``b``."""
    index = order.view(*order.shape, *[1] * (x.dim() - 2)).expand(-1, -1, *x.shape[2:])
    return x.gather(1, index)
