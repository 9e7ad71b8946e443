"""mmdet's ``Mask2FormerHead`` with DVIS++'s re-identification branch.

DVIS++'s segmenter (official ``dvis_Plus/video_mask2former_transformer_decoder.py``,
``VideoMultiScaleMaskedTransformerDecoder_dvisPlus``) is Mask2Former's per-frame decoder plus a
re-id MLP on the normalised final queries (``NUM_REID_HEAD_LAYERS`` = 3, ``REID_HIDDEN_DIM`` =
256). The video modules read ``[normed queries, reid]`` and ``[queries before the norm, reid]``.
mmdet's head already ports Mask2Former's decoder, so this subclass only adds ``reid_embed``;
the queries are read from the decoder's ``post_norm`` (its input and output) by
:class:`~mvc_plugin.models.video_heads.SegmenterTap`, leaving mmdet's forward untouched.
"""
from typing import Tuple

import torch
from torch import Tensor, nn

from mmdet.models.dense_heads import Mask2FormerHead
from mmdet.registry import MODELS
from .attention_layers import mlp

__all__ = ['ReIDMask2FormerHead']


@MODELS.register_module()
class ReIDMask2FormerHead(Mask2FormerHead):
    """``Mask2FormerHead`` + ``reid_embed`` (see the module docstring).

    Args:
        num_reid_head_layers: layers of the re-id MLP; 0 = identity (no parameters).
        reid_hidden_dims: hidden width of the re-id MLP.
        **kwargs: the arguments of mmdet's ``Mask2FormerHead``.
    """

    def __init__(self, *args, num_reid_head_layers: int = 3, reid_hidden_dims: int = 256,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        dims = self.transformer_decoder.embed_dims
        self.reid_embed = mlp(dims, reid_hidden_dims, dims, num_reid_head_layers) \
            if num_reid_head_layers > 0 else nn.Identity()

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
