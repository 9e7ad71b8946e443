"""Per-frame semantic (VSS) and panoptic (VPS) maps from tracked objects.

The decoupled model's objects are the same for every task: an object has class probabilities
(its mean over the frames seen so far, see ``StreamState.video_scores``) and a mask on each frame.
What differs is how a frame's objects become the task's output, in mmdet's data structures:

* **VSS** -- ``pred_sem_seg``: the class map ``argmax_c sum_i p_i(c) sigmoid(m_i)`` (Mask2Former's
  semantic inference, on objects instead of per-frame queries);
* **VPS** -- ``pred_panoptic_seg``: the panoptic fusion of mmdet's ``MaskFormerFusionHead``
  with ``filter_low_score=True`` (objects whose best class probability exceeds
  ``object_mask_thr`` compete for pixels by ``p_i sigmoid(m_i)``; an object whose won area is
  below ``overlap_thr`` times its own area ``sigmoid(m_i) >= 0.5`` is dropped; it writes the
  pixels it won within its own area), encoded as mmdet does
  (``label + id * INSTANCE_OFFSET`` for things, ``label`` for stuff, ``num_classes`` for void).
  The instance id of a thing is its tracked object's index + 1, so ids are **consistent across
  frames** -- which is what VPQ for k > 1 and STQ measure.
"""
import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from torch import Tensor

from mmdet.evaluation.functional import INSTANCE_OFFSET

__all__ = ['frame_mask_logits', 'panoptic_from_objects', 'semantic_from_objects']


def frame_mask_logits(mask_logits: Tensor, meta: dict, rescale: bool = True) -> Tensor:
    """``(N, h, w)`` stride-4 mask logits -> logits at the original (or input) frame size."""
    pad_h, pad_w = meta.get('batch_input_shape', meta.get('pad_shape', meta['img_shape']))[:2]
    masks = F.interpolate(mask_logits[None], size=(pad_h, pad_w), mode='bilinear',
                          align_corners=False)
    img_h, img_w = meta['img_shape'][:2]
    masks = masks[..., :img_h, :img_w]
    if rescale:
        ori_h, ori_w = meta['ori_shape'][:2]
        masks = F.interpolate(masks, size=(ori_h, ori_w), mode='bilinear', align_corners=False)
    return masks[0]


def semantic_from_objects(class_probs: Tensor, mask_logits: Tensor, meta: dict,
                          rescale: bool = True) -> PixelData:
    """``pred_sem_seg`` of one frame from ``(N, K)`` object class probabilities (no-object
    excluded) and ``(N, h, w)`` mask logits."""
    masks = frame_mask_logits(mask_logits, meta, rescale).sigmoid()
    seg_logits = torch.einsum('nk,nhw->khw', class_probs.to(masks), masks)
    # only the class map: K x H x W scores per frame would make a video's output grow by
    # hundreds of MB per frame
    return PixelData(data=seg_logits.argmax(0)[None])


def panoptic_from_objects(class_probs: Tensor, mask_logits: Tensor, meta: dict,
                          num_thing_classes: int, object_mask_thr: float = 0.8,
                          overlap_thr: float = 0.8, rescale: bool = True) -> PixelData:
    """``pred_panoptic_seg`` of one frame (see the module docstring); classes below
    ``num_thing_classes`` are things (VIPSegVideoDataset puts things first)."""
    num_classes = class_probs.shape[-1]
    masks = frame_mask_logits(mask_logits, meta, rescale).sigmoid()
    scores, labels = class_probs.max(-1)
    pan = torch.full(masks.shape[-2:], num_classes, dtype=torch.int64, device=masks.device)
    keep = torch.nonzero(scores > object_mask_thr).flatten()
    if keep.numel():
        owner = (scores[keep, None, None] * masks[keep]).argmax(0)
        for rank, obj in enumerate(keep.tolist()):
            won = owner == rank
            own = masks[obj] >= 0.5
            # as mmdet's MaskFormerFusionHead (filter_low_score=True): the share is the area
            # won over the object's own area; the pixels written are those won and its own
            area, original = int(won.sum()), int(own.sum())
            if area == 0 or original == 0 or area / original < overlap_thr:
                continue
            label = int(labels[obj])
            pan[won & own] = label + (obj + 1) * INSTANCE_OFFSET if label < num_thing_classes \
                else label
    return PixelData(sem_seg=pan[None])
