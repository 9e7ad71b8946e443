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
checked by ``dvispp_parity.py --losses``). The tracker / refiner stages are the official
recipe (:mod:`.stage_training`, checked by ``tools/dev/dvispp_video_loss_parity.py``):
:class:`DVISPlusVideoSetCriterion` on every layer (consistent matcher for the tracker, video
matcher on ``T``-stacked masks for the refiner), segmenter- / tracker-guided matching during
the first ``guided_matching`` share of the iterations, and the contrastive losses
(:mod:`.contrastive_losses`). ``criterion=dict(type='ClipMatchingCriterion', ...)`` keeps this
package's older last-layer clip criterion (opt-in, not DVIS++).
"""
from typing import Dict, List, Optional, Tuple

import torch
from mmengine.logging import MessageHub
from torch import Tensor

from mmdet.registry import MODELS, TASK_UTILS
from mmdet.structures import TrackDataSample
from ..layers import relevance_from_logits
from ..video_heads import DecoupledVideoSegmentor
from .contrastive_losses import ClassEmbeddingMemory
from .stage_training import ClipFrames, refiner_stage_losses, tracker_stage_losses, video_targets
from .video_stream_inference import DVISPlusStreamingInference

__all__ = ['DVISPlusVideoSegmentor', 'OFFICIAL_CRITERION']

#: The official loss settings (``configs/dvis_Plus/*/MinVIS_R50.yaml`` over
#: ``mask2former/config.py``): CLASS_WEIGHT 2, MASK_WEIGHT 5, DICE_WEIGHT 5, NO_OBJECT_WEIGHT 0.1,
#: TRAIN_NUM_POINTS 12544, OVERSAMPLE_RATIO 3, IMPORTANCE_SAMPLE_RATIO 0.75; the matcher costs
#: are the loss weights.
OFFICIAL_CRITERION = dict(type='DVISPlusVideoSetCriterion', class_weight=2.0, mask_weight=5.0,
                          dice_weight=5.0, eos_coef=0.1, num_points=12544, oversample_ratio=3.0,
                          importance_sample_ratio=0.75)


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
        criterion: the tracker / refiner stages' criterion: ``DVISPlusVideoSetCriterion``
            arguments (defaults :data:`OFFICIAL_CRITERION`; the matcher is chosen by the stage,
            its costs are the loss weights), or ``dict(type='ClipMatchingCriterion', ...)``
            for the older last-layer clip criterion.
        contrastive_weight: weight of ``loss_reid`` (official 2 with ``TRACKER.USE_CL`` /
            ``REFINER.USE_CL``; 0 = off, as the official VIPSeg / OVIS offline configs).
        contrastive_memory: per-class memory length of the refiner's contrastive loss
            (official 20).
        guided_matching: share of the training iterations (mmengine ``MessageHub`` infos
            ``iter`` / ``max_iters``) with guided matching (official: ``iter < MAX_ITER // 2``).
    """

    def __init__(self, *args, test_cfg: Optional[dict] = None,
                 criterion: Optional[dict] = None, contrastive_weight: float = 2.0,
                 contrastive_memory: int = 20, guided_matching: float = 0.5,
                 **kwargs) -> None:
        kwargs.setdefault('init_heads_from_previous', False)
        if kwargs['init_heads_from_previous']:
            raise ValueError('DVISPlusVideoSegmentor: init_heads_from_previous is not part of '
                             'DVIS++ (its tracker and refiner heads start from scratch)')
        criterion = dict(criterion or {})
        legacy = criterion.get('type') == 'ClipMatchingCriterion'
        if legacy:
            criterion.pop('type')
        super().__init__(*args, criterion=criterion if legacy else None, **kwargs)
        self.legacy_criterion = legacy
        if not legacy:
            self.criterion = self._build_criterion(criterion)
        self.contrastive_weight = float(contrastive_weight)
        self.contrastive_memory = ClassEmbeddingMemory(contrastive_memory)
        if not 0.0 <= guided_matching <= 1.0:
            raise ValueError(f'guided_matching must be in [0, 1], got {guided_matching}')
        self.guided_matching = float(guided_matching)
        self.test_cfg = dict(max_num=10, window_size=3, object_mask_thr=0.8, overlap_thr=0.8)
        self.test_cfg.update(test_cfg or {})
        if not hasattr(self.segmenter.panoptic_head, 'video_embeddings'):
            raise TypeError('DVISPlusVideoSegmentor: the segmenter head must be a '
                            f'ReIDMask2FormerHead, got {type(self.segmenter.panoptic_head)}')

    @staticmethod
    def _with_dims(cfg: dict, dims: Dict[str, int], name: str) -> dict:
        dims = dict(dims, embed_dims=2 * dims['embed_dims'])
        return DecoupledVideoSegmentor._with_dims(cfg, dims, name)

    def _build_criterion(self, cfg: dict) -> torch.nn.Module:
        """``DVISPlusVideoSetCriterion`` with the stage's matcher (tracker: consistent,
        matched on each object's first frame; refiner: video)."""
        cfg = dict(cfg)
        if 'no_object_weight' in cfg:  # ClipMatchingCriterion's name (configs/dvis/ bases)
            cfg['eos_coef'] = cfg.pop('no_object_weight')
        cfg = dict(OFFICIAL_CRITERION, **cfg)
        if 'matcher' not in cfg:
            kind = ('DVISPlusVideoHungarianMatcher' if self.stage == 'refiner'
                    else 'DVISPlusConsistentVideoMatcher')
            cfg['matcher'] = TASK_UTILS.build(dict(
                type=kind, cost_class=cfg['class_weight'], cost_mask=cfg['mask_weight'],
                cost_dice=cfg['dice_weight'], num_points=cfg['num_points']))
        cfg.setdefault('num_classes', self.segmenter.panoptic_head.num_classes)
        criterion = MODELS.build(cfg)
        self._base_points = (criterion.num_points, criterion.matcher.num_points)
        return criterion

    def guided(self) -> bool:
        """Whether this iteration matches on the previous stage's predictions: ``iter <
        max_iters * guided_matching`` from mmengine's ``MessageHub`` (set by the runner's
        ``RuntimeInfoHook``; the official counts its forward calls against
        ``SOLVER.MAX_ITER // 2``). Without a runner (no ``max_iters``): not guided."""
        hub = MessageHub.get_current_instance()
        it, max_iters = hub.get_info('iter'), hub.get_info('max_iters')
        if it is None or max_iters is None:
            return False
        return it < int(max_iters * self.guided_matching)

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

    def _clip_frames(self, inputs: Tensor, data_samples: List[TrackDataSample]) -> ClipFrames:
        b, t = inputs.shape[:2]
        frames = [f for s in data_samples for f in s.video_data_samples]
        with torch.no_grad():
            out = self.tap(inputs.flatten(0, 1), frames)
            embeds, no_norm = self.segmenter.panoptic_head.video_embeddings(
                out.queries, out.queries_no_norm)
        return ClipFrames(*(x.unflatten(0, (b, t)) for x in (
            embeds, no_norm, out.mask_features, out.cls_logits, out.mask_logits,
            relevance_from_logits(out.cls_logits))))

    # -- training ----------------------------------------------------------------------------
    def loss(self, inputs: Tensor, data_samples: List[TrackDataSample]) -> Dict[str, Tensor]:
        if inputs.dim() != 5:
            raise ValueError(f'inputs must be (B, T, C, H, W), got {tuple(inputs.shape)}')
        if self.stage == 'segmenter':
            return super().loss(inputs, data_samples)
        if self.legacy_criterion:
            return self._legacy_loss(inputs, data_samples)
        t = inputs.shape[1]
        frames = self._clip_frames(inputs, data_samples)
        targets = video_targets(data_samples, tuple(inputs.shape[-2:]), inputs.device)
        if self.stage == 'tracker':
            self.criterion.matcher.frames = t
            losses, _ = tracker_stage_losses(self.tracker, self.criterion, frames, targets,
                                             self.guided(), self.contrastive_weight,
                                             self._masked)
        else:
            self.criterion.num_points = self._base_points[0] * t
            self.criterion.matcher.num_points = self._base_points[1] * t
            losses, _ = refiner_stage_losses(self.tracker, self.refiner, self.criterion, frames,
                                             targets, self.guided(), self.contrastive_memory,
                                             self.contrastive_weight, self._masked)
        return losses

    def _legacy_loss(self, inputs: Tensor, data_samples: List[TrackDataSample]
                     ) -> Dict[str, Tensor]:
        """The older last-layer ``ClipMatchingCriterion`` (opt-in)."""
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
