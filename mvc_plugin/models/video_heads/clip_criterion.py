"""Clip-level matching and losses for the video heads (tracker and refiner stages).

A tracked object must keep its identity through the whole clip, so the ``N`` objects are matched
to the ground-truth *tracks* **once per clip** (not per frame): the Hungarian cost of object ``i``
vs track ``g`` is summed over frames -- class (mean object probability of the track's class over
the frames) + mask BCE + mask dice on the ``T`` frames' masks taken together, where a frame in
which the track is absent (occluded, out of view) contributes an empty target. Each matched object
is then supervised on **every** frame with its track (the track's class, the track's mask or an
empty mask), unmatched objects with no-object; so an object cannot swap tracks at an occlusion
without paying for it on every frame.

mmdet's :class:`HungarianAssigner` with its ``ClassificationCost`` / ``CrossEntropyLossCost`` /
``DiceCost`` does the matching on the flattened ``T x P`` point masks (as mmdet's
``Mask2FormerTrackHead`` does); the losses are mmdet's ``CrossEntropyLoss`` / ``DiceLoss``.
Masks are compared on ``num_points`` uniformly random points per frame (shared by predictions
and targets), not on full masks.
"""
from dataclasses import dataclass
from typing import Dict, List, Tuple

import torch
from mmcv.ops import point_sample
from mmengine.structures import InstanceData
from torch import Tensor, nn

from mmdet.registry import MODELS, TASK_UTILS

__all__ = ['ClipMatchingCriterion', 'ClipTargets', 'clip_targets']


@dataclass
class ClipTargets:
    """Ground-truth tracks of one clip."""

    labels: Tensor        #: ``(G,)`` class of each track
    masks: Tensor         #: ``(G, T, H, W)`` bool, empty where the track is absent
    instance_ids: Tensor  #: ``(G,)`` the dataset's track ids


def _frame_masks(gt_instances: InstanceData, device: torch.device) -> Tensor:
    masks = gt_instances.masks
    if hasattr(masks, 'to_tensor'):  # BitmapMasks / PolygonMasks
        return masks.to_tensor(dtype=torch.bool, device=device)
    return torch.as_tensor(masks, device=device).bool()


def clip_targets(track_sample, device: torch.device) -> ClipTargets:
    """Group a ``TrackDataSample``'s per-frame ``gt_instances`` by ``instances_ids``."""
    frames = [f.gt_instances for f in track_sample.video_data_samples]
    masks = [_frame_masks(g, device) for g in frames]
    h = max(m.shape[-2] for m in masks)
    w = max(m.shape[-1] for m in masks)
    ids = [torch.as_tensor(g.instances_ids, device=device).long() for g in frames]
    all_ids = torch.unique(torch.cat(ids)) if ids else torch.zeros(0, dtype=torch.long)
    labels = torch.full((len(all_ids),), -1, dtype=torch.long, device=device)
    out = torch.zeros((len(all_ids), len(frames), h, w), dtype=torch.bool, device=device)
    for t, (g, m, fid) in enumerate(zip(frames, masks, ids)):
        rows = torch.searchsorted(all_ids, fid)
        out[rows, t, :m.shape[-2], :m.shape[-1]] = m
        labels[rows] = torch.as_tensor(g.labels, device=device).long()
    return ClipTargets(labels=labels, masks=out, instance_ids=all_ids)


@MODELS.register_module()
class ClipMatchingCriterion(nn.Module):
    """Once-per-clip Hungarian matching + per-frame class / mask losses.

    Args:
        num_classes: object classes (the no-object class is ``num_classes``).
        no_object_weight: class-loss weight of the no-object class.
        class_weight / mask_weight / dice_weight: weights of the three losses and match costs.
        num_points: sampled points per frame for mask costs and losses.
    """

    def __init__(self, num_classes: int, no_object_weight: float = 0.1,
                 class_weight: float = 2.0, mask_weight: float = 5.0,
                 dice_weight: float = 5.0, num_points: int = 1024) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.num_points = num_points
        self.class_weight = [1.0] * num_classes + [no_object_weight]
        self.loss_cls = MODELS.build(dict(type='CrossEntropyLoss', use_sigmoid=False,
                                          loss_weight=class_weight, reduction='mean',
                                          class_weight=self.class_weight))
        self.loss_mask = MODELS.build(dict(type='CrossEntropyLoss', use_sigmoid=True,
                                           reduction='mean', loss_weight=mask_weight))
        self.loss_dice = MODELS.build(dict(type='DiceLoss', use_sigmoid=True, activate=True,
                                           reduction='mean', naive_dice=True, eps=1.0,
                                           loss_weight=dice_weight))
        self.assigner = TASK_UTILS.build(dict(type='HungarianAssigner', match_costs=[
            dict(type='ClassificationCost', weight=class_weight),
            dict(type='CrossEntropyLossCost', weight=mask_weight, use_sigmoid=True),
            dict(type='DiceCost', weight=dice_weight, pred_act=True, eps=1.0)]))

    def _points(self, pred_masks: Tensor, target: ClipTargets) -> Tuple[Tensor, Tensor]:
        """``(N, T*P)`` predicted logits and ``(G, T*P)`` targets at shared random points."""
        t = pred_masks.shape[0]
        coords = torch.rand(t, self.num_points, 2, device=pred_masks.device)
        pred = point_sample(pred_masks, coords, align_corners=False)       # (T, N, P)
        gt = point_sample(target.masks.transpose(0, 1).float(), coords,
                          align_corners=False)                              # (T, G, P)
        return pred.transpose(0, 1).flatten(1), gt.transpose(0, 1).flatten(1)

    @torch.no_grad()
    def match(self, cls_logits: Tensor, pred_points: Tensor, target: ClipTargets,
              gt_points: Tensor) -> Tensor:
        """Track index matched to each object, ``(N,)``, -1 for unmatched.

        ``cls_logits`` ``(T', N, K + 1)`` (``T' = 1`` for video-level logits)."""
        probs = cls_logits.softmax(-1).mean(0)
        preds = InstanceData(scores=probs.clamp_min(1e-8).log(), masks=pred_points)
        gts = InstanceData(labels=target.labels, masks=gt_points)
        return self.assigner.assign(preds, gts).gt_inds - 1

    def forward(self, cls_logits: Tensor, mask_logits: Tensor,
                targets: List[ClipTargets]) -> Dict[str, Tensor]:
        """Losses of a batch of clips.

        Args:
            cls_logits: ``(B, T, N, K + 1)`` per-frame or ``(B, 1, N, K + 1)`` video-level.
            mask_logits: ``(B, T, N, h, w)``.
            targets: one :class:`ClipTargets` per clip.
        """
        cls_targets, pred_pts, gt_pts = [], [], []
        for b, target in enumerate(targets):
            pred_b, gt_b = self._points(mask_logits[b], target)
            assigned = self.match(cls_logits[b], pred_b, target, gt_b)
            labels = torch.full(assigned.shape, self.num_classes, dtype=torch.long,
                                device=assigned.device)
            hit = assigned >= 0
            labels[hit] = target.labels[assigned[hit]]
            cls_targets.append(labels.expand(cls_logits.shape[1], -1))
            pred_pts.append(pred_b[hit])
            gt_pts.append(gt_b[assigned[hit]])
        cls_targets = torch.stack(cls_targets)                              # (B, T', N)
        weights = cls_logits.new_tensor(self.class_weight)[cls_targets]
        loss_cls = self.loss_cls(cls_logits.flatten(0, 2), cls_targets.flatten(),
                                 avg_factor=weights.sum())
        pred_pts, gt_pts = torch.cat(pred_pts), torch.cat(gt_pts)
        num_masks = pred_pts.shape[0]
        if num_masks == 0:
            zero = mask_logits.sum() * 0
            return dict(loss_cls=loss_cls, loss_mask=zero, loss_dice=zero)
        loss_mask = self.loss_mask(pred_pts.reshape(-1), gt_pts.reshape(-1),
                                   avg_factor=pred_pts.numel())
        loss_dice = self.loss_dice(pred_pts, gt_pts, avg_factor=num_masks)
        return dict(loss_cls=loss_cls, loss_mask=loss_mask, loss_dice=loss_dice)

    @staticmethod
    def targets(data_samples: List, device: torch.device) -> List[ClipTargets]:
        """:func:`clip_targets` of each ``TrackDataSample``."""
        return [clip_targets(s, device) for s in data_samples]
