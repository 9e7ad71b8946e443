"""``DVISPlusVideoSegmentor``: DVIS++ (segmenter -> referring tracker -> temporal refiner).

The stages, freezing, checkpoint checks and data handling are those of
:class:`~mvc_plugin.models.video_heads.DecoupledVideoSegmentor`; the modules and the inference
are DVIS++'s (checked against the official code by ``tools/dev/dvispp_parity.py``):

* segmenter: mmdet ``Mask2Former`` with :class:`ReIDMask2FormerHead`; the video modules read
  ``[queries, reid]`` after and before the decoder's final norm;
* :class:`DVISPlusReferringTracker` (online) and :class:`DVISPlusTemporalRefiner` (offline);
* inference as the official ``run_window_inference`` + ``inference_video_*``
  (:class:`DVISPlusStreamingInference`: windows of ``window_size`` frames, tracker state carried
  over, whole-video scores, per-frame masks kept in a temporary file so memory stays flat).

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
from torch import Tensor

from mmdet.registry import MODELS
from mmdet.structures import TrackDataSample
from ..layers import relevance_from_logits
from ..video_heads import DecoupledVideoSegmentor
from .video_stream_inference import DVISPlusStreamingInference

__all__ = ['DVISPlusVideoSegmentor']


@MODELS.register_module()
class DVISPlusVideoSegmentor(DVISPlusStreamingInference, DecoupledVideoSegmentor):
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
            ``overlap_thr`` (VPS, official 0.8 / 0.8), ``spill_to_disk`` (default True: the
            per-frame mask logits wait in a temporary file, memory flat in video length;
            False keeps them in memory as the official code does).
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
