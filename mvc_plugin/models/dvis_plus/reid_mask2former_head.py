"""mmdet's ``Mask2FormerHead`` with DVIS++'s re-identification branch and segmenter training.

DVIS++'s segmenter (official ``dvis_Plus/video_mask2former_transformer_decoder.py``,
``VideoMultiScaleMaskedTransformerDecoder_dvisPlus``) is Mask2Former's per-frame decoder plus a
re-id MLP on the normalised final queries (``NUM_REID_HEAD_LAYERS`` = 3, ``REID_HIDDEN_DIM`` =
256). The video modules read ``[normed queries, reid]`` and ``[queries before the norm, reid]``.
mmdet's head already ports Mask2Former's decoder, so this subclass only adds ``reid_embed``;
the queries are read from the decoder's ``post_norm`` (its input and output) by
:class:`~mvc_plugin.models.video_heads.SegmenterTap`, leaving mmdet's forward untouched.

Training on clips (official ``CTMinVIS`` of ``dvis_Plus/ctvis.py``), inside
:meth:`ReIDMask2FormerHead.clip_context` (the segmenter stage of ``DecoupledVideoSegmentor``):

* every frame is supervised with **all** objects of its clip, those absent from the frame with
  an empty mask (official ``prepare_targets`` + ``frame_decoder_loss_reshape``), by mmdet's
  Mask2Former loss -- the official ``VideoSetCriterion`` on 1-frame videos (checked equal with
  ``tools/dev/dvispp_parity.py --losses``); the decoder layers are evaluated in the official
  order (last layer, then the auxiliary ones) so the random points are drawn in the same order;
* plus the CTVIS re-id loss (:class:`~.ctvis_contrastive.CTVISContrastiveLoss`, ``reid_loss``;
  ``None`` switches it off).
"""
from contextlib import contextmanager
from typing import Dict, Iterator, List, Optional, Tuple

import numpy as np
import torch
from mmengine.structures import InstanceData
from torch import Tensor, nn

from mmdet.models.dense_heads import Mask2FormerHead
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from .attention_layers import mlp

__all__ = ['ReIDMask2FormerHead', 'clip_frame_samples']

OFFICIAL_REID_LOSS = dict(type='CTVISContrastiveLoss', reid_weight=2.0, aux_reid_weight=3.0,
                          num_negatives=99, momentum_embed=True)


def _masks_array(masks, device: torch.device) -> Tensor:
    if hasattr(masks, 'to_tensor'):
        return masks.to_tensor(dtype=torch.bool, device=device)
    return torch.as_tensor(masks, device=device).bool()


def clip_frame_samples(samples: List[DetDataSample], num_frames: int) -> List[DetDataSample]:
    """Per-frame samples whose ``gt_instances`` hold every object of their clip (ascending
    ``instances_ids``; absent: empty mask, id -1), as the official segmenter targets. Frames
    ``v * num_frames + t`` are frame ``t`` of clip ``v``."""
    out = []
    for v in range(len(samples) // num_frames):
        frames = samples[v * num_frames:(v + 1) * num_frames]
        gts = [f.gt_instances for f in frames]
        ids = [torch.as_tensor(g.instances_ids).long().cpu() for g in gts]
        all_ids = torch.unique(torch.cat(ids))
        labels = torch.zeros(len(all_ids), dtype=torch.long)
        masks = [_masks_array(g.masks, torch.device('cpu')) for g in gts]
        h = max(m.shape[-2] for m in masks)
        w = max(m.shape[-1] for m in masks)
        for g, fid in zip(gts, ids):
            labels[torch.searchsorted(all_ids, fid)] = torch.as_tensor(g.labels).long().cpu()
        for frame, g, m, fid in zip(frames, gts, masks, ids):
            rows = torch.searchsorted(all_ids, fid)
            full = np.zeros((len(all_ids), h, w), dtype=np.uint8)
            full[rows.numpy(), :m.shape[-2], :m.shape[-1]] = m.numpy()
            frame_ids = torch.full((len(all_ids),), -1, dtype=torch.long)
            frame_ids[rows] = fid
            sample = DetDataSample(metainfo=frame.metainfo)
            sample.gt_instances = InstanceData(
                labels=labels.to(g.labels.device) if isinstance(g.labels, Tensor) else labels,
                masks=BitmapMasks(full, h, w), instances_ids=frame_ids)
            out.append(sample)
    return out


@MODELS.register_module()
class ReIDMask2FormerHead(Mask2FormerHead):
    """``Mask2FormerHead`` + ``reid_embed`` + the segmenter's clip losses (module docstring).

    Args:
        num_reid_head_layers: layers of the re-id MLP; 0 = identity (no parameters).
        reid_hidden_dims: hidden width of the re-id MLP.
        reid_loss: config of the clip re-id loss (default: the official CTVIS loss; its
            matcher, unless given, has the costs 2 / 5 / 5 and the head's ``num_points``, as the
            official ``image_matcher``); None = no re-id loss.
        **kwargs: the arguments of mmdet's ``Mask2FormerHead``.
    """

    def __init__(self, *args, num_reid_head_layers: int = 3, reid_hidden_dims: int = 256,
                 reid_loss: Optional[dict] = OFFICIAL_REID_LOSS, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        dims = self.transformer_decoder.embed_dims
        self.reid_embed = mlp(dims, reid_hidden_dims, dims, num_reid_head_layers) \
            if num_reid_head_layers > 0 else nn.Identity()
        self.reid_loss = None
        if reid_loss:
            reid_loss = dict(reid_loss)  # its matcher samples the head's number of points
            reid_loss.setdefault('matcher', dict(
                type='DVISPlusVideoHungarianMatcher', cost_class=2.0, cost_mask=5.0,
                cost_dice=5.0, num_points=getattr(self, 'num_points', 12544)))
            self.reid_loss = MODELS.build(reid_loss)
        self._clip_frames: Optional[int] = None

    def init_weights(self) -> None:
        super().init_weights()
        for layer in self.reid_embed.modules():
            if isinstance(layer, nn.Linear):  # detectron2's c2_xavier_fill, as the official
                nn.init.kaiming_uniform_(layer.weight, a=1)
                nn.init.zeros_(layer.bias)

    def video_embeddings(self, queries: Tensor, queries_no_norm: Tensor) -> Tuple[Tensor, Tensor]:
        """``[normed, reid]`` and ``[no-norm, reid]`` (``2C`` wide) from the final decoder
        queries after and before ``post_norm`` (any leading dims)."""
        reid = self.reid_embed(queries)
        return torch.cat([queries, reid], dim=-1), torch.cat([queries_no_norm, reid], dim=-1)

    # -- training ----------------------------------------------------------------------------
    @contextmanager
    def clip_context(self, num_frames: int) -> Iterator[None]:
        """Inside, :meth:`loss` takes its samples as clips of ``num_frames`` frames."""
        self._clip_frames = num_frames
        try:
            yield
        finally:
            self._clip_frames = None

    def get_targets(self, cls_scores_list: List[Tensor], mask_preds_list: List[Tensor],
                    batch_gt_instances: List[InstanceData], batch_img_metas: List[dict],
                    return_sampling_results: bool = False) -> tuple:
        """mmdet's, the mask losses normalised by the number of objects as the official
        ``VideoSetCriterion`` (mmdet counts ``max(matched, 1)`` per image: frames without
        objects would count 1)."""
        res = super().get_targets(cls_scores_list, mask_preds_list, batch_gt_instances,
                                  batch_img_metas, return_sampling_results)
        return res[:4] + (sum(len(g.labels) for g in batch_gt_instances),) + res[5:]

    def loss_by_feat(self, all_cls_scores: List[Tensor], all_mask_preds: List[Tensor],
                     batch_gt_instances: List[InstanceData],
                     batch_img_metas: List[dict]) -> Dict[str, Tensor]:
        """mmdet's, the layers evaluated last first (the official order of random draws)."""
        order = [len(all_cls_scores) - 1] + list(range(len(all_cls_scores) - 1))
        per_layer = {i: self._loss_by_feat_single(all_cls_scores[i], all_mask_preds[i],
                                                  batch_gt_instances, batch_img_metas)
                     for i in order}
        names = ('loss_cls', 'loss_mask', 'loss_dice')
        losses = dict(zip(names, per_layer[order[0]]))
        for i in order[1:]:
            losses.update({f'd{i}.{n}': v for n, v in zip(names, per_layer[i])})
        return losses

    def clip_losses(self, all_cls_scores: List[Tensor], all_mask_preds: List[Tensor],
                    queries: Tensor, samples: List[DetDataSample],
                    num_frames: int) -> Dict[str, Tensor]:
        """Per-frame Mask2Former losses + re-id loss of ``samples`` (clip-wide targets, see
        :func:`clip_frame_samples`), ``queries (F, Q, C)`` the normed final queries."""
        gts = self.preprocess_gt([s.gt_instances for s in samples], [None] * len(samples))
        losses = self.loss_by_feat(all_cls_scores, all_mask_preds, gts,
                                   [s.metainfo for s in samples])
        if self.reid_loss is None:
            return losses
        clips = (-1, num_frames)
        targets = []
        for v in range(len(samples) // num_frames):
            frames = range(v * num_frames, (v + 1) * num_frames)
            targets.append(dict(
                labels=gts[frames[0]].labels,
                masks=torch.stack([gts[f].masks for f in frames], dim=1),
                ids=torch.stack([torch.as_tensor(samples[f].gt_instances.instances_ids)
                                 for f in frames], dim=1)))
        losses.update(self.reid_loss(self.reid_embed(queries).unflatten(0, clips),
                                     all_cls_scores[-1].unflatten(0, clips),
                                     all_mask_preds[-1].unflatten(0, clips), targets))
        return losses

    def loss(self, x: Tuple[Tensor], batch_data_samples: List[DetDataSample]
             ) -> Dict[str, Tensor]:
        """mmdet's loss; inside :meth:`clip_context`, the official clip losses."""
        if self._clip_frames is None:
            return super().loss(x, batch_data_samples)
        samples = clip_frame_samples(batch_data_samples, self._clip_frames)
        captured: List[Tensor] = []
        hook = self.transformer_decoder.post_norm.register_forward_hook(
            lambda module, args, output: captured.append(output))
        try:
            all_cls_scores, all_mask_preds = self(x, samples)
        finally:
            hook.remove()
        return self.clip_losses(all_cls_scores, all_mask_preds, captured[-1], samples,
                                self._clip_frames)
