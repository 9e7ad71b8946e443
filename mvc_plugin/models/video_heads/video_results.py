"""Turning streamed per-frame object masks into mmdet's VIS output.

The output mmdet's ``Mask2FormerVideo`` produces -- and ``VideoInstanceMetric`` scores -- is one
``TrackDataSample`` per video whose ``video_data_samples[t].pred_track_instances`` holds the
video's top-k objects on frame ``t`` (``masks`` bool at the original size, ``bboxes``, ``scores``,
``labels``, ``instances_id``). The top-k is only known once the video has ended (it ranks the
video-level scores), so while streaming every frame's ``N`` object masks are kept run-length
encoded (:class:`RLEMaskStore`, a few bytes per object and frame instead of ``H x W``) and only
the chosen ``k`` are decoded into tensors at the end.
"""
from typing import List, Sequence

import numpy as np
import torch
from mmengine.structures import InstanceData
from pycocotools import mask as mask_utils
from torch import Tensor

from mmdet.structures.mask import mask2bbox
from .segmentation_outputs import frame_mask_logits

__all__ = ['RLEMaskStore', 'check_frame_sizes', 'postprocess_masks', 'select_video_topk']


def check_frame_sizes(metas: Sequence[dict]) -> None:
    """Raise ``ValueError`` unless all frames of a video share ``ori_shape`` and ``img_shape``."""
    for key in ('ori_shape', 'img_shape'):
        shapes = {tuple(m[key][:2]) for m in metas if key in m}
        if len(shapes) > 1:
            raise ValueError(f'DecoupledVideoSegmentor: all frames of a video must have the same '
                             f'size, got {key} {sorted(shapes)} in one video')


def postprocess_masks(mask_logits: Tensor, meta: dict, rescale: bool = True) -> Tensor:
    """``(N, h, w)`` stride-4 mask logits -> bool masks at the original (or input) frame size."""
    return frame_mask_logits(mask_logits, meta, rescale) > 0


class RLEMaskStore:
    """Per-frame bool masks of all ``N`` objects, kept as COCO RLE until the top-k is known."""

    def __init__(self) -> None:
        self.frames: List[list] = []
        self.shapes: List[tuple] = []

    def add(self, masks: Tensor) -> None:
        """Store one frame's ``(N, H, W)`` bool masks."""
        array = np.asfortranarray(masks.permute(1, 2, 0).cpu().numpy().astype(np.uint8))
        self.frames.append(mask_utils.encode(array))
        self.shapes.append(tuple(masks.shape[-2:]))

    def decode(self, frame: int, objects: Tensor) -> Tensor:
        """``(k, H, W)`` bool masks of ``objects`` on ``frame``."""
        h, w = self.shapes[frame]
        if objects.numel() == 0:
            return torch.zeros((0, h, w), dtype=torch.bool)
        rles = [self.frames[frame][i] for i in objects.tolist()]
        return torch.from_numpy(mask_utils.decode(rles)).permute(2, 0, 1).bool()

    def __len__(self) -> int:
        return len(self.frames)


def select_video_topk(video_scores: Tensor, store: RLEMaskStore, k: int) -> List[InstanceData]:
    """Per-frame ``pred_track_instances`` of the ``k`` best (object, class) pairs.

    Args:
        video_scores: ``(N, K)`` video-level class probabilities of the ``N`` objects.
        store: the frames' object masks.
        k: objects kept per video (as in mmdet, an object may appear with two classes).
    """
    num_classes = video_scores.shape[-1]
    k = min(k, video_scores.numel())
    scores, flat = video_scores.flatten().topk(k)
    objects, labels = flat // num_classes, flat % num_classes
    scores, objects, labels = scores.cpu(), objects.cpu(), labels.cpu()
    results = []
    for t in range(len(store)):
        masks = store.decode(t, objects)
        results.append(InstanceData(masks=masks, bboxes=mask2bbox(masks), scores=scores,
                                    labels=labels, instances_id=torch.arange(k)))
    return results
