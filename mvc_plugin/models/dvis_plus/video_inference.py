"""DVIS++'s video-level inference for VIS, VSS and VPS (official ``dvis_Plus/meta_architecture.py``:
``post_processing``, ``inference_video_vis`` / ``_vss`` / ``_vps``).

* Video class: the mean over frames of the per-frame class **logits**, then softmax. Offline,
  the refiner's and the tracker's (online) probabilities are combined by an element-wise max.
* Masks: stride-4 logits upsampled to the padded input size, cropped to the image, resized to the
  original size (bilinear), as ``first_resize_size`` / ``img_size`` / ``(height, width)``.
* VIS: top-``max_num`` (object, class) pairs over all objects x classes (10 YouTube-VIS, 20 OVIS
  in the official configs); a mask is ``logit > 0``.
* VSS: ``argmax_c sum_q p(c|q) sigmoid(mask_q)``.
* VPS: objects with ``max p > object_mask_threshold`` (not no-object), ``p * sigmoid(mask)``
  argmax over the **whole video**, a segment kept when its won area over its own ``>= 0.5``
  area is ``>= overlap_threshold`` (both areas over all frames); stuff segments of one class
  merged; ids ``1..n`` in order of the kept objects.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ['resize_video_masks', 'video_class_probs', 'vis_video_results',
           'vps_video_results', 'vss_video_results']


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


def vps_video_results(class_probs: Tensor, mask_probs: Tensor, num_thing_classes: int,
                      object_mask_thr: float = 0.8, overlap_thr: float = 0.8
                      ) -> Tuple[Tensor, List[Dict], List[int]]:
    """Panoptic fusion over the whole video (see the module docstring).

    Returns:
        ``(T, H, W)`` int32 segment ids (0 = void), ``segments_info`` (``id``, ``isthing``,
        ``category_id``) and the object index of each segment.
    """
    scores, labels = class_probs.max(-1)
    keep = labels.ne(class_probs.shape[-1] - 1) & (scores > object_mask_thr)
    objects = torch.nonzero(keep).flatten().tolist()
    masks = mask_probs[keep]
    panoptic = torch.zeros(mask_probs.shape[1:], dtype=torch.int32, device=mask_probs.device)
    infos: List[Dict] = []
    ids: List[int] = []
    if masks.shape[0] == 0:
        return panoptic, infos, ids
    winner = (scores[keep].view(-1, 1, 1, 1).to(masks) * masks).argmax(0)
    stuff_ids: Dict[int, int] = {}
    next_id = 0
    for k, obj in enumerate(objects):
        label = int(labels[obj])
        isthing = label < num_thing_classes
        won = winner == k
        own = masks[k] >= 0.5
        mask = won & own
        won_area, own_area = int(won.sum()), int(own.sum())
        if won_area == 0 or own_area == 0 or not bool(mask.any()):
            continue
        if won_area / own_area < overlap_thr:
            continue
        if not isthing:
            if label in stuff_ids:
                panoptic[mask] = stuff_ids[label]
                continue
            stuff_ids[label] = next_id + 1
        next_id += 1
        panoptic[mask] = next_id
        infos.append(dict(id=next_id, isthing=bool(isthing), category_id=label))
        ids.append(obj)
    return panoptic, infos, ids

