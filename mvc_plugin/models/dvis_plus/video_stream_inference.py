"""DVIS++'s official video inference, streamed: flat memory in video length.

The official ``run_window_inference`` runs the segmenter and the tracker ``window_size`` frames
at a time (tracker state carried over) and, offline, the refiner over the whole video's object
embeddings; the video class is the softmax of the mean logits (offline: max with the online
model's); masks become VIS / VSS / VPS results once the video scores are known. It keeps every
frame's stride-4 mask logits (and the mask features, offline) until then; here they go to a
:class:`FrameSpill` (a temporary file, same bytes) and come back one frame at a time, so resident
memory does not grow with the video beyond the small per-frame object embeddings the refiner
attends over (``Q x 2C`` floats per frame, offline) and the per-frame class logits.
``test_cfg['spill_to_disk'] = False`` keeps them in memory (the official behaviour).
"""
from typing import Iterable, Iterator, List, Optional, Tuple, Union

import torch
from mmengine.structures import InstanceData, PixelData
from torch import Tensor

from mmdet.evaluation.functional import INSTANCE_OFFSET
from mmdet.structures import TrackDataSample
from mmdet.structures.mask import mask2bbox
from ..video_heads.segmentation_outputs import frame_mask_logits
from ..video_heads.video_results import check_frame_sizes
from ..video_heads.video_streaming import FrameResult, StreamState
from .frame_spill import FrameSpill
from .video_inference import video_class_probs, vis_video_results, vss_video_results
from .video_panoptic_fusion import VideoPanopticFusion

__all__ = ['DVISPlusStreamingInference']

Frames = Union[Tensor, Iterable[Tensor]]


class DVISPlusStreamingInference:
    """Inference methods of :class:`DVISPlusVideoSegmentor` (see the module docstring); the
    host provides ``_frames``, ``tracker``, ``refiner``, ``mode``, ``task``, ``test_cfg``."""

    def _windows(self, frames: Frames, window: int) -> Iterator[Tensor]:
        """``(T, C, H, W)`` or an iterable of ``(C, H, W)`` frames -> chunks of ``window``."""
        if isinstance(frames, Tensor):
            for s in range(0, frames.shape[0], window):
                yield frames[s:s + window]
            return
        chunk: List[Tensor] = []
        for frame in frames:
            chunk.append(frame)
            if len(chunk) == window:
                yield torch.stack(chunk)
                chunk = []
        if chunk:
            yield torch.stack(chunk)

    @torch.no_grad()
    def video_pass(self, frames: Frames,
                   window: Optional[int] = None) -> Tuple[Tensor, FrameSpill]:
        """One video -> class probabilities ``(Q, K + 1)`` and a :class:`FrameSpill` of each
        frame's stride-4 mask logits ``(Q, h, w)`` (close it when done); ``window``: frames
        per pass (default ``test_cfg['window_size']``)."""
        window = int(window or self.test_cfg['window_size'])
        in_memory = not self.test_cfg.get('spill_to_disk', True)
        memory, logits, kept = None, [], []
        masks, feats = FrameSpill(in_memory), FrameSpill(in_memory)
        for chunk in self._windows(frames, window):
            embeds, no_norm, relevance, features = (x[None] for x in self._frames(chunk))
            out, memory = self.tracker(embeds, no_norm, features, relevance, memory)
            logits.append(out['pred_logits'][0])
            if self.mode == 'online':
                masks.append(out['pred_masks'][0].transpose(0, 1))
            else:
                kept.append((out['pred_embds'][0], no_norm[0], relevance[0]))
                feats.append(features[0])
        online = torch.cat(logits)
        if self.mode == 'online':
            return video_class_probs(online), masks
        with feats:
            inst, frame_embeds, relevance = (torch.cat(x) for x in zip(*kept))
            out = self.refiner(inst[None], frame_embeds[None], None, relevance[None])
            normed = out['pred_embds'][None]
            for s in range(0, inst.shape[0], window):
                chunk = feats.read(s, s + window)[None].to(normed.device)
                masks.append(self.refiner.predict_masks(normed[:, :, s:s + window],
                                                        chunk)[0, 0].transpose(0, 1))
        return video_class_probs(out['pred_logits'][0], online), masks

    def video_outputs(self, video: Tensor) -> Tuple[Tensor, Tensor]:
        """One video ``(T, C, H, W)`` -> class probabilities ``(Q, K + 1)`` and all stride-4
        mask logits ``(Q, T, h, w)`` (tensor mode and tests; grows with the video)."""
        probs, spill = self.video_pass(video)
        with spill:
            return probs, spill.read_all().transpose(0, 1)

    @torch.no_grad()
    def stream(self, frames: Iterable[Tensor], state: Optional[StreamState] = None,
               window: Optional[int] = None) -> Iterator[FrameResult]:
        """Frames ``(C, H, W)`` -> one :class:`FrameResult` per frame (the demo's interface).

        DVIS++'s video scores need the whole video, so results come once every frame has been
        read; ``state.video_scores()`` then holds the video class probabilities.
        """
        probs, spill = self.video_pass(frames, window)
        state = StreamState() if state is None else state
        state.score_sum, state.num_frames = probs[None, :, :-1], 1
        logits = probs.clamp_min(1e-12).log()[None]  # softmax gives back ``probs``
        with spill:
            for t in range(len(spill)):
                yield FrameResult(t, logits, spill.read(t).to(probs.device))

    def predict(self, inputs: Tensor, data_samples: List[TrackDataSample],
                rescale: bool = True) -> List[TrackDataSample]:
        if inputs.dim() != 5:
            raise ValueError(f'inputs must be (B, T, C, H, W), got {tuple(inputs.shape)}')
        results = []
        for video, sample in zip(inputs, data_samples):
            frames = list(sample.video_data_samples)
            check_frame_sizes([f.metainfo for f in frames])
            probs, spill = self.video_pass(video)
            with spill:
                getattr(self, f'_set_{self.task}')(frames, probs.cpu(), spill, rescale)
            out = TrackDataSample()
            out.video_data_samples = frames
            results.append(out)
        return results

    @staticmethod
    def _frame_logits(spill: FrameSpill, frame, t: int, rescale: bool,
                      objects: Optional[Tensor] = None) -> Tensor:
        logits = spill.read(t)[0]
        return frame_mask_logits(logits if objects is None else logits[objects],
                                 frame.metainfo, rescale)

    def _set_vis(self, frames, probs: Tensor, spill: FrameSpill, rescale: bool) -> None:
        """Official VIS: the top ``max_num`` (object, class) pairs, masks ``logit > 0``."""
        scores, labels, objects = vis_video_results(probs, int(self.test_cfg['max_num']))
        for t, frame in enumerate(frames):
            masks = self._frame_logits(spill, frame, t, rescale, objects) > 0
            frame.pred_track_instances = InstanceData(
                masks=masks, bboxes=mask2bbox(masks), scores=scores, labels=labels,
                instances_id=torch.arange(len(objects)))

    def _set_vss(self, frames, probs: Tensor, spill: FrameSpill, rescale: bool) -> None:
        for t, frame in enumerate(frames):
            mask_probs = self._frame_logits(spill, frame, t, rescale).sigmoid()[:, None]
            semseg = vss_video_results(probs.to(mask_probs), mask_probs)  # (1, H, W)
            frame.pred_sem_seg = PixelData(data=semseg.to(torch.int32))

    def _set_vps(self, frames, probs: Tensor, spill: FrameSpill, rescale: bool) -> None:
        fusion = VideoPanopticFusion(probs, self.num_thing_classes,
                                     self.test_cfg['object_mask_thr'],
                                     self.test_cfg['overlap_thr'])
        for t, frame in enumerate(frames):
            fusion.count(self._frame_logits(spill, frame, t, rescale).sigmoid())
        segments = fusion.segments()
        codes = torch.full((len(segments) + 1,), probs.shape[-1] - 1, dtype=torch.int64)
        for info in segments:
            codes[info['id']] = info['category_id'] + (info['object'] + 1) * INSTANCE_OFFSET \
                if info['isthing'] else info['category_id']
        for t, frame in enumerate(frames):
            ids = fusion.paint(self._frame_logits(spill, frame, t, rescale).sigmoid())
            frame.pred_panoptic_seg = PixelData(sem_seg=codes[ids.long()][None].to(torch.int32))

    def _forward(self, inputs: Tensor, data_samples=None):
        """Video class probabilities and mask logits of each video (tensor mode)."""
        return [self.video_outputs(video) for video in inputs]
