"""DVIS++'s training of the tracker (online) and refiner (offline) stages.

Mirrors the training branches of the official ``dvis_Plus/meta_architecture.py``
(``DVIS_Plus_online.forward`` / ``DVIS_Plus_offline.forward`` with ``prepare_targets``,
``frame_decoder_loss_reshape``, ``reset_image_output_order``), written anew, on the frozen
segmenter's outputs of a clip (:class:`ClipFrames`):

* targets (:func:`video_targets`): every object visible in at least one frame of the clip, its
  class, its id per frame (-1 where absent) and its masks (empty where absent), padded to the
  input size.
* tracker stage (:func:`tracker_stage_losses`): the tracker runs in training mode (query
  noise, all layers predicted); the losses are per frame -- the ``B * T`` frames are separate
  entries with the clip's objects, and the consistent matcher matches every object on the frame
  where it first appears, one matching for the whole clip; every layer is supervised (the last
  as ``loss_*``, the others as auxiliary). *Guided matching*: early in training the matching is
  computed on the segmenter's own predictions (reordered to the tracker's slots by the
  tracker's frame matching) instead of the tracker's, for all layers. Plus the reference
  contrastive loss on the matching returned by the criterion.
* refiner stage (:func:`refiner_stage_losses`): the tracker (eval mode, no gradients) tracks the
  clip; the refiner refines it; the losses are per video with the ``T`` frames' masks stacked
  into one ``(T*H, W)`` image (hence ``num_points * T`` points) and the video-level class;
  guided matching on the tracker's predictions (mean class logits over the frames); plus the
  contrastive loss with the per-class memory.

Loss names: those of the criterion, ``loss_reid`` for the contrastive loss (weighted).
"""
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
from torch import Tensor, nn

from ..video_heads.clip_criterion import clip_targets
from .contrastive_losses import (ClassEmbeddingMemory, memory_contrastive_loss,
                                 reference_contrastive_loss)

__all__ = ['ClipFrames', 'refiner_stage_losses', 'tracker_stage_losses', 'video_targets']

#: ``(embeds, embeds_no_norm) -> (embeds, embeds_no_norm)``: MVC's query masking (or identity).
QueryMask = Callable[[Tensor, Tensor], Tuple[Tensor, Tensor]]


@dataclass
class ClipFrames:
    """The frozen segmenter's outputs for ``B`` clips of ``T`` frames."""

    embeds: Tensor          #: ``(B, T, Q, C)`` normalised queries + re-id
    embeds_no_norm: Tensor  #: ``(B, T, Q, C)`` the same before the decoder norm
    mask_features: Tensor   #: ``(B, T, Cm, h, w)``
    cls_logits: Tensor      #: ``(B, T, Q, K + 1)`` the segmenter's class logits
    mask_logits: Tensor     #: ``(B, T, Q, h, w)`` the segmenter's mask logits
    relevance: Optional[Tensor] = None  #: ``(B, T, Q)`` object probability (OMA)


def video_targets(track_samples: Sequence, pad_shape: Tuple[int, int],
                  device: torch.device) -> List[Dict[str, Tensor]]:
    """Official-layout targets of ``TrackDataSample`` clips (``prepare_targets``): ``labels``
    ``(G,)``, ``ids`` ``(G, T)`` (the dataset's track id, -1 where absent) and float ``masks``
    ``(G, T, H, W)`` padded to ``pad_shape`` (the batch input size)."""
    out = []
    for sample in track_samples:
        clip = clip_targets(sample, device)
        frames = [torch.as_tensor(f.gt_instances.instances_ids, device=device).long()
                  for f in sample.video_data_samples]
        ids = torch.full((len(clip.labels), len(frames)), -1, dtype=torch.long, device=device)
        for t, fid in enumerate(frames):
            rows = torch.searchsorted(clip.instance_ids, fid)
            ids[rows, t] = fid
        h, w = max(pad_shape[0], clip.masks.shape[-2]), max(pad_shape[1], clip.masks.shape[-1])
        masks = clip.masks.new_zeros(clip.masks.shape[:2] + (h, w), dtype=torch.float)
        masks[..., :clip.masks.shape[-2], :clip.masks.shape[-1]] = clip.masks.float()
        out.append(dict(labels=clip.labels, ids=ids, masks=masks))
    return out


def _per_frame(out: Dict) -> Dict:
    """``(B, T, Q, K+1)`` logits / ``(B, Q, T, h, w)`` masks -> ``B * T`` frame entries:
    ``(B*T, Q, K+1)`` and ``(B*T, Q, 1, h, w)``."""
    def one(o):
        return dict(pred_logits=o['pred_logits'].flatten(0, 1),
                    pred_masks=o['pred_masks'].transpose(1, 2).flatten(0, 1)[:, :, None])
    res = one(out)
    if 'aux_outputs' in out:
        res['aux_outputs'] = [one(a) for a in out['aux_outputs']]
    return res


def _per_video(out: Dict, video_logits: Callable[[Tensor], Tensor]) -> Dict:
    """``(B, Q, T, h, w)`` masks -> ``(B, Q, 1, T*h, w)``; logits by ``video_logits``."""
    def one(o):
        return dict(pred_logits=video_logits(o['pred_logits']),
                    pred_masks=o['pred_masks'].flatten(2, 3)[:, :, None])
    res = one(out)
    if 'aux_outputs' in out:
        res['aux_outputs'] = [one(a) for a in out['aux_outputs']]
    return res


def _identity(embeds: Tensor, no_norm: Tensor) -> Tuple[Tensor, Tensor]:
    return embeds, no_norm


def tracker_stage_losses(tracker: nn.Module, criterion: nn.Module, frames: ClipFrames,
                         targets: Sequence[Dict[str, Tensor]], guided: bool,
                         contrastive_weight: float = 2.0,
                         query_mask: QueryMask = _identity) -> Tuple[Dict[str, Tensor], List]:
    """Tracker-stage losses (official ``DVIS_Plus_online.forward``, training) and the matching.

    Args:
        tracker: :class:`DVISPlusReferringTracker` (in training mode).
        criterion: ``DVISPlusVideoSetCriterion`` with the consistent matcher (``frames = T``).
        frames: the segmenter's outputs.
        targets: :func:`video_targets` of the clips.
        guided: match on the segmenter's predictions (early training).
        contrastive_weight: weight of ``loss_reid`` (0 = off).
        query_mask: MVC's masking of the tracker's input queries.
    """
    b, t = frames.embeds.shape[:2]
    embeds, no_norm = query_mask(frames.embeds, frames.embeds_no_norm)
    out, _ = tracker(embeds, no_norm, frames.mask_features, frames.relevance)
    frame_targets = [dict(labels=tg['labels'], ids=tg['ids'][:, [f]], masks=tg['masks'][:, [f]])
                     for tg in targets for f in range(t)]
    guide = None
    if guided:  # the segmenter's predictions in the tracker's slot order
        idx = out['indices']  # (B, T, Q)
        logits = torch.gather(frames.cls_logits, 2, idx[..., None].expand(
            -1, -1, -1, frames.cls_logits.shape[-1]))
        masks = torch.stack([frames.mask_logits[v, f, idx[v, f]] for v in range(b)
                             for f in range(t)])
        guide = dict(pred_logits=logits.flatten(0, 1), pred_masks=masks[:, :, None])
    losses, matches = criterion(_per_frame(out), frame_targets, matcher_outputs=guide,
                                ret_match_result=True)
    if contrastive_weight:
        losses['loss_reid'] = contrastive_weight * reference_contrastive_loss(
            out['pred_references'], matches)
    return losses, matches


def refiner_stage_losses(tracker: nn.Module, refiner: nn.Module, criterion: nn.Module,
                         frames: ClipFrames, targets: Sequence[Dict[str, Tensor]],
                         guided: bool, memory: Optional[ClassEmbeddingMemory],
                         contrastive_weight: float = 2.0,
                         query_mask: QueryMask = _identity) -> Tuple[Dict[str, Tensor], List]:
    """Refiner-stage losses (official ``DVIS_Plus_offline.forward``, training) and the matching.

    Args:
        tracker: the frozen tracker (run in eval mode, no gradients).
        refiner: :class:`DVISPlusTemporalRefiner` (training mode).
        criterion: ``DVISPlusVideoSetCriterion`` with the video matcher; its ``num_points``
            (and its matcher's) already multiplied by ``T``.
        memory: the per-class memory of the contrastive loss (None = no contrastive loss).
        Others: as :func:`tracker_stage_losses`.
    """
    with torch.no_grad():
        tracked, _ = tracker(frames.embeds, frames.embeds_no_norm, frames.mask_features,
                             frames.relevance)
    out = refiner(tracked['pred_embds'], query_mask(frames.embeds, frames.embeds_no_norm)[1],
                  frames.mask_features, frames.relevance)
    stacked = [dict(tg, masks=tg['masks'].flatten(1, 2)[:, None]) for tg in targets]
    guide = _per_video(tracked, lambda x: x.mean(dim=1)) if guided else None
    losses, matches = criterion(_per_video(out, lambda x: x[:, 0]), stacked,
                                matcher_outputs=guide, ret_match_result=True)
    if contrastive_weight and memory is not None:
        losses['loss_reid'] = contrastive_weight * memory_contrastive_loss(
            out['pred_embds'], matches, [tg['labels'] for tg in targets], memory)
    return losses, matches
