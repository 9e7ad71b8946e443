"""``DVISPlusVideoSegmentor``: DVIS++ (segmenter -> referring tracker -> temporal refiner).

The stages, freezing, checkpoint checks and data handling are those of
:class:`~mvc_plugin.models.video_heads.DecoupledVideoSegmentor`; the modules and the inference
are DVIS++'s (checked against the official code by ``tools/dev/dvispp_parity.py``):

* segmenter: mmdet ``Mask2Former`` with :class:`ReIDMask2FormerHead`; the video modules read
  ``[queries, reid]`` after and before the decoder's final norm;
* :class:`DVISPlusReferringTracker` (online) and :class:`DVISPlusTemporalRefiner` (offline);
* inference as the official ``run_window_inference`` + ``inference_video_*``: the segmenter and
  tracker run ``window_size`` frames at a time (tracker state carried over); the video class is
  the softmax of the mean logits (offline: max with the online model's); VIS keeps the top
  ``max_num`` (object, class) pairs, VSS / VPS use the official whole-video rules (VPS fused
  frame by frame in two passes, :class:`VideoPanopticFusion`).

MVC (``query_mask_ratio``, and ``MaskedVideoConsistency`` around the segmenter stage) and OMA
(``oma_cfg`` of the tracker / refiner) are the additions; both off = DVIS++.

Training: the segmenter stage is the official CTVIS one (``ReIDMask2FormerHead`` inside
``clip_context``: per-frame Mask2Former losses on clip-wide targets + the CTVIS re-id loss,
checked by ``dvispp_parity.py --losses``). Not yet the official: the tracker / refiner stages
use this package's ``ClipMatchingCriterion`` on the last layer (the official criterion,
:class:`DVISPlusVideoSetCriterion`, is there for them).
"""
from typing import Dict, List, Optional, Tuple

import torch
from mmengine.structures import PixelData
from torch import Tensor

from mmdet.evaluation.functional import INSTANCE_OFFSET
from mmdet.registry import MODELS
from mmdet.structures import TrackDataSample
from ..layers import relevance_from_logits
from ..video_heads import DecoupledVideoSegmentor
from ..video_heads.segmentation_outputs import frame_mask_logits
from ..video_heads.video_results import (RLEMaskStore, check_frame_sizes, postprocess_masks,
                                         select_video_topk)
from .video_inference import video_class_probs, vss_video_results
from .video_panoptic_fusion import VideoPanopticFusion

__all__ = ['DVISPlusVideoSegmentor']


@MODELS.register_module()
class DVISPlusVideoSegmentor(DecoupledVideoSegmentor):
    """DVIS++ on mmdet (see the module docstring).

    Args:
        segmenter / tracker / refiner / stage / mode / task / num_thing_classes / criterion /
            query_mask_ratio / allow_random_init / data_preprocessor / init_cfg: as
            :class:`DecoupledVideoSegmentor`; ``tracker`` / ``refiner`` are configs of
            :class:`DVISPlusReferringTracker` / :class:`DVISPlusTemporalRefiner` (their
            ``embed_dims`` default to twice the segmenter's width, ``mask_dims`` and
            ``num_classes`` to the segmenter's).
        test_cfg: ``max_num`` (VIS top-k; official 10 YouTube-VIS, 20 OVIS),
            ``window_size`` (frames per segmenter pass, official 3), ``object_mask_thr`` /
            ``overlap_thr`` (VPS, official 0.8 / 0.8).
    """

    def __init__(self, *args, test_cfg: Optional[dict] = None, **kwargs) -> None:
        kwargs.setdefault('init_heads_from_previous', False)
        if kwargs['init_heads_from_previous']:
            raise ValueError('DVISPlusVideoSegmentor: init_heads_from_previous is not part of '
                             'DVIS++ (its tracker and refiner heads start from scratch)')
        super().__init__(*args, **kwargs)
        self.test_cfg = dict(max_num=10, window_size=3, object_mask_thr=0.8, overlap_thr=0.8)
        self.test_cfg.update(test_cfg or {})
        if not hasattr(self.segmenter.panoptic_head, 'video_embeddings'):
            raise TypeError('DVISPlusVideoSegmentor: the segmenter head must be a '
                            f'ReIDMask2FormerHead, got {type(self.segmenter.panoptic_head)}')

    @staticmethod
    def _with_dims(cfg: dict, dims: Dict[str, int], name: str) -> dict:
        dims = dict(dims, embed_dims=2 * dims['embed_dims'])
        return DecoupledVideoSegmentor._with_dims(cfg, dims, name)

    # -- segmenter outputs -------------------------------------------------------------------
    def _frames(self, images: Tensor, samples: Optional[List] = None) -> Tuple[Tensor, ...]:
        """``(F, C, H, W)`` frames -> embeds, embeds before the norm, relevance, features."""
        with torch.no_grad():
            out = self.tap(images, samples)
            embeds, no_norm = self.segmenter.panoptic_head.video_embeddings(
                out.queries, out.queries_no_norm)
        return embeds, no_norm, relevance_from_logits(out.cls_logits), out.mask_features

    def _masked(self, embeds: Tensor, no_norm: Tensor) -> Tuple[Tensor, Tensor]:
        """MVC on queries: zero a random share of the frame queries (training only)."""
        if not self.training or self.query_mask_ratio <= 0:
            return embeds, no_norm
        keep = (torch.rand(embeds.shape[:-1], device=embeds.device)
                >= self.query_mask_ratio)[..., None]
        return embeds * keep, no_norm * keep

    # -- training ----------------------------------------------------------------------------
    def loss(self, inputs: Tensor, data_samples: List[TrackDataSample]) -> Dict[str, Tensor]:
        if inputs.dim() != 5:
            raise ValueError(f'inputs must be (B, T, C, H, W), got {tuple(inputs.shape)}')
        if self.stage == 'segmenter':
            return super().loss(inputs, data_samples)
        b, t = inputs.shape[:2]
        frames = [f for s in data_samples for f in s.video_data_samples]
        embeds, no_norm, relevance, feats = (x.unflatten(0, (b, t)) for x in self._frames(
            inputs.flatten(0, 1), frames))
        targets = self.criterion.targets(data_samples, inputs.device)
        if self.stage == 'tracker':
            out, _ = self.tracker(*self._masked(embeds, no_norm), feats, relevance)
            logits = out['pred_logits']
        else:
            with torch.no_grad():
                tracked, _ = self.tracker(embeds, no_norm, None, relevance)
            out = self.refiner(tracked['pred_embds'], self._masked(embeds, no_norm)[1], feats,
                               relevance)
            logits = out['pred_logits'][:, :1]
        return self.criterion(logits, out['pred_masks'].transpose(1, 2), targets)

    # -- inference ---------------------------------------------------------------------------
    @torch.no_grad()
    def video_outputs(self, video: Tensor) -> Tuple[Tensor, Tensor]:
        """One video ``(T, C, H, W)`` -> video class probabilities ``(Q, K + 1)`` and stride-4
        mask logits ``(Q, T, h, w)`` (on the CPU) of the online or offline model."""
        window = int(self.test_cfg['window_size'])
        memory, logits, masks, kept = None, [], [], []
        for s in range(0, video.shape[0], window):
            embeds, no_norm, relevance, feats = (x[None] for x in self._frames(
                video[s:s + window]))
            out, memory = self.tracker(embeds, no_norm, feats, relevance, memory)
            logits.append(out['pred_logits'][0])
            if self.mode == 'online':
                masks.append(out['pred_masks'][0].cpu())
            else:
                kept.append((out['pred_embds'][0], no_norm[0], relevance[0], feats[0].cpu()))
        online = torch.cat(logits)
        if self.mode == 'online':
            return video_class_probs(online), torch.cat(masks, dim=1)
        inst, frames, relevance, feats = (torch.cat(x) for x in zip(*kept))
        out = self.refiner(inst[None], frames[None], None, relevance[None])
        normed = out['pred_embds'][None]
        masks = [self.refiner.predict_masks(normed[:, :, s:s + window],
                                            feats[None, s:s + window].to(normed.device))[0, 0]
                 for s in range(0, inst.shape[0], window)]
        return video_class_probs(out['pred_logits'][0], online), torch.cat(masks, 1).cpu()

    def predict(self, inputs: Tensor, data_samples: List[TrackDataSample],
                rescale: bool = True) -> List[TrackDataSample]:
        if inputs.dim() != 5:
            raise ValueError(f'inputs must be (B, T, C, H, W), got {tuple(inputs.shape)}')
        results = []
        for video, sample in zip(inputs, data_samples):
            frames = list(sample.video_data_samples)
            check_frame_sizes([f.metainfo for f in frames])
            probs, masks = self.video_outputs(video)
            getattr(self, f'_set_{self.task}')(frames, probs, masks, rescale)
            out = TrackDataSample()
            out.video_data_samples = frames
            results.append(out)
        return results

    def _frame_probs(self, masks: Tensor, frame, t: int, rescale: bool) -> Tensor:
        return frame_mask_logits(masks[:, t], frame.metainfo, rescale).sigmoid()

    def _set_vis(self, frames, probs: Tensor, masks: Tensor, rescale: bool) -> None:
        store = RLEMaskStore()
        for t, frame in enumerate(frames):
            store.add(postprocess_masks(masks[:, t], frame.metainfo, rescale))
        for frame, instances in zip(frames, select_video_topk(
                probs[:, :-1].cpu(), store, self.test_cfg['max_num'])):
            frame.pred_track_instances = instances

    def _set_vss(self, frames, probs: Tensor, masks: Tensor, rescale: bool) -> None:
        for t, frame in enumerate(frames):
            mask_probs = self._frame_probs(masks, frame, t, rescale)[:, None]
            semseg = vss_video_results(probs.to(mask_probs), mask_probs)  # (1, H, W)
            frame.pred_sem_seg = PixelData(data=semseg.to(torch.int32))

    def _set_vps(self, frames, probs: Tensor, masks: Tensor, rescale: bool) -> None:
        fusion = VideoPanopticFusion(probs.cpu(), self.num_thing_classes,
                                     self.test_cfg['object_mask_thr'],
                                     self.test_cfg['overlap_thr'])
        for t, frame in enumerate(frames):
            fusion.count(self._frame_probs(masks, frame, t, rescale))
        segments = fusion.segments()
        codes = torch.full((len(segments) + 1,), probs.shape[-1] - 1, dtype=torch.int64)
        for info in segments:
            codes[info['id']] = info['category_id'] + (info['object'] + 1) * INSTANCE_OFFSET \
                if info['isthing'] else info['category_id']
        for t, frame in enumerate(frames):
            ids = fusion.paint(self._frame_probs(masks, frame, t, rescale))
            frame.pred_panoptic_seg = PixelData(sem_seg=codes[ids.long()][None].to(torch.int32))

    def _forward(self, inputs: Tensor, data_samples=None):
        """Video class probabilities and mask logits of each video (tensor mode)."""
        return [self.video_outputs(video) for video in inputs]
