"""Per-object prediction heads shared by the referring tracker and the temporal refiner.

Both video heads turn object embeddings into what the segmenter's own head predicts: class logits
(``num_classes + 1``, the last being no-object) and a mask embedding whose dot product with the
segmenter's per-frame mask features gives mask logits. Keeping the same output form lets every
stage be trained with the same criterion and post-processed by the same code.
"""
from typing import Tuple

import torch
from torch import Tensor, nn

__all__ = ['ObjectPredictionHeads', 'mask_logits_from_embeddings']


def mask_logits_from_embeddings(mask_embeds: Tensor, mask_features: Tensor) -> Tensor:
    """Mask logits ``(..., N, h, w)`` from embeddings ``(..., N, Cm)`` and features
    ``(..., Cm, h, w)`` (same leading dimensions)."""
    return torch.einsum('...nc,...chw->...nhw', mask_embeds, mask_features)


class ObjectPredictionHeads(nn.Module):
    """Class logits (linear) and mask embedding (3-layer MLP, Mask2Former's form).

    Args:
        embed_dims: object embedding channels.
        mask_dims: channels of the segmenter's mask features.
        num_classes: number of object classes (one no-object logit is added).
    """

    def __init__(self, embed_dims: int, mask_dims: int, num_classes: int) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.cls_embed = nn.Linear(embed_dims, num_classes + 1)
        self.mask_embed = nn.Sequential(
            nn.Linear(embed_dims, embed_dims), nn.ReLU(inplace=True),
            nn.Linear(embed_dims, embed_dims), nn.ReLU(inplace=True),
            nn.Linear(embed_dims, mask_dims))

    def classify(self, objects: Tensor) -> Tensor:
        """``(..., N, C)`` -> class logits ``(..., N, num_classes + 1)``."""
        return self.cls_embed(objects)

    def forward(self, objects: Tensor, mask_features: Tensor) -> Tuple[Tensor, Tensor]:
        """Class logits ``(..., N, K + 1)`` and mask logits ``(..., N, h, w)``."""
        return self.cls_embed(objects), mask_logits_from_embeddings(
            self.mask_embed(objects), mask_features)
