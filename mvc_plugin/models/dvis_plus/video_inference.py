"""DVIS++'s video-level inference for VIS, VSS and VPS (official ``dvis_Plus/meta_architecture.py``:
``post_processing``, ``inference_video_vis`` / ``_vss`` / ``_vps``).

* Video class: the mean over frames of the per-frame class **logits**, then softmax. Offline,
  the refiner's and the tracker's (online) probabilities are combined by an element-wise max.
* Masks: stride-4 logits upsampled to the padded input size, cropped to the image, resized to the
  original size (bilinear), as ``first_resize_size`` / ``img_size`` / ``(height, width)``.
* VIS: top-``max_num`` (object, class) pairs over all objects x classes (10 YouTube-VIS, 20 OVIS
  in the official configs); a mask is ``logit > 0``.
* VSS: ``argmax_c sum_q p(c|q) sigmoid(mask_q)``.
* VPS: :class:`~.video_panoptic_fusion.VideoPanopticFusion` (whole-video rule, frame by frame).
"""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ['resize_video_masks', 'video_class_probs', 'vis_video_results', 'vss_video_results']


def video_class_probs(frame_logits: Tensor, online_logits: Optional[Tensor] = None) -> Tensor:
    """``(T, Q, K + 1)`` logits -> ``(Q, K + 1)`` probabilities of the video; with
    ``online_logits`` (offline model) the first ``K`` are the max of both models'."""
    probs = F.softmax(frame_logits.mean(dim=0), dim=-1)
    if online_logits is not None:
        online = F.softmax(online_logits.mean(dim=0), dim=-1)[:, :-1]
        probs = torch.cat([torch.maximum(probs[:, :-1], online.to(probs)), probs[:, -1:]], -1)
    return probs


def resize_video_masks(mask_logits: Tensor, pad_shape: Tuple[int, int],
                       img_shape: Tuple[int, int], ori_shape: Tuple[int, int],
                       sigmoid: bool = False) -> Tensor:
    """``(Q, T, h, w)`` logits -> ``(Q, T, H, W)`` at the original size (official order:
    resize to the padded input, crop, [sigmoid], resize)."""
    masks = F.interpolate(mask_logits, size=tuple(pad_shape), mode='bilinear',
                          align_corners=False)
    masks = masks[:, :, :img_shape[0], :img_shape[1]]
    if sigmoid:
        masks = masks.sigmoid()
    return F.interpolate(masks, size=tuple(ori_shape), mode='bilinear', align_corners=False)


def vis_video_results(class_probs: Tensor, max_num: int) -> Tuple[Tensor, Tensor, Tensor]:
    """Top-``max_num`` (object, class) pairs: ``(scores, labels, object indices)``, by
    decreasing score (ties: lower flat index first)."""
    scores = class_probs[:, :-1]
    num_classes = scores.shape[1]
    flat = scores.flatten()
    k = min(max_num, flat.numel())
    order = torch.argsort(-flat, stable=True)[:k]
    return flat[order], order % num_classes, order // num_classes


def vss_video_results(class_probs: Tensor, mask_probs: Tensor) -> Tensor:
    """``(Q, K + 1)`` probabilities and ``(Q, T, H, W)`` mask probabilities -> ``(T, H, W)``
    class map."""
    semseg = torch.einsum('qc,qthw->cthw', class_probs[:, :-1], mask_probs)
    return semseg.max(0)[1]
