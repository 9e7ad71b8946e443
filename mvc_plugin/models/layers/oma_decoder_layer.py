"""Mask2Former decoder layer / decoder whose query self-attention is Object Masked Attention.

Only the self-attention over object queries changes (it becomes :class:`ObjectMaskedAttention`,
gated by ``query_relevance``); cross-attention, FFN and norms are mmdet's, built in the same
order, so parameter names, shapes and (under one seed) initial values match the plain layer.
"""
from typing import Optional

from mmcv.cnn import build_norm_layer
from mmcv.cnn.bricks.transformer import FFN, MultiheadAttention
from mmengine.model import ModuleList
from torch import Tensor

from mmdet.models.layers.transformer import (Mask2FormerTransformerDecoder,
                                             Mask2FormerTransformerDecoderLayer)
from mmdet.registry import MODELS
from mmdet.utils import OptConfigType
from .object_masked_attention import ObjectMaskedAttention, resolve_oma_cfg

__all__ = ['OMATransformerDecoderLayer', 'OMATransformerDecoder']


@MODELS.register_module()
class OMATransformerDecoderLayer(Mask2FormerTransformerDecoderLayer):
    """:class:`Mask2FormerTransformerDecoderLayer` with OMA query self-attention.

    Args:
        oma_cfg (dict, optional): extra arguments of :class:`ObjectMaskedAttention`
            (``mode``, ``threshold``, ``eps``). ``None`` or ``dict(mode='off')``: plain
            self-attention (same parameters). Defaults to None.
        **kwargs: the arguments of :class:`Mask2FormerTransformerDecoderLayer`.
    """

    def __init__(self, *args, oma_cfg: OptConfigType = None, **kwargs) -> None:
        # set before the parent's __init__, which calls _init_layers
        self.oma_cfg = resolve_oma_cfg(oma_cfg) or dict(mode='off')
        super().__init__(*args, **kwargs)

    def _init_layers(self) -> None:
        """Same modules, in the same order, as the parent; self-attention is OMA."""
        self.self_attn = ObjectMaskedAttention(**self.self_attn_cfg, **self.oma_cfg)
        self.cross_attn = MultiheadAttention(**self.cross_attn_cfg)
        self.embed_dims = self.self_attn.embed_dims
        self.ffn = FFN(**self.ffn_cfg)
        self.norms = ModuleList(
            [build_norm_layer(self.norm_cfg, self.embed_dims)[1] for _ in range(3)])

    def forward(self,
                query: Tensor,
                key: Tensor = None,
                value: Tensor = None,
                query_pos: Tensor = None,
                key_pos: Tensor = None,
                self_attn_mask: Tensor = None,
                cross_attn_mask: Tensor = None,
                key_padding_mask: Tensor = None,
                query_relevance: Optional[Tensor] = None,
                **kwargs) -> Tensor:
        """Cross-attention, OMA self-attention, FFN (Mask2Former order).

        Args:
            query_relevance (Tensor, optional): ``(bs, num_queries)`` relevance of each query as
                a key of the self-attention. None gives the plain layer.
            Others: as in :meth:`Mask2FormerTransformerDecoderLayer.forward`.
        """
        query = self.cross_attn(
            query=query,
            key=key,
            value=value,
            query_pos=query_pos,
            key_pos=key_pos,
            attn_mask=cross_attn_mask,
            key_padding_mask=key_padding_mask,
            **kwargs)
        query = self.norms[0](query)
        query = self.self_attn(
            query=query,
            key=query,
            value=query,
            query_pos=query_pos,
            key_pos=query_pos,
            attn_mask=self_attn_mask,
            key_relevance=query_relevance,
            **kwargs)
        query = self.norms[1](query)
        query = self.ffn(query)
        return self.norms[2](query)


@MODELS.register_module()
class OMATransformerDecoder(Mask2FormerTransformerDecoder):
    """:class:`Mask2FormerTransformerDecoder` made of :class:`OMATransformerDecoderLayer`.

    Args:
        oma_cfg (dict, optional): passed to every layer (``None`` / ``mode='off'``: plain).
        **kwargs: the arguments of :class:`Mask2FormerTransformerDecoder`.
    """

    def __init__(self, *args, oma_cfg: OptConfigType = None, **kwargs) -> None:
        self.oma_cfg = resolve_oma_cfg(oma_cfg) or dict(mode='off')
        super().__init__(*args, **kwargs)

    def _init_layers(self) -> None:
        self.layers = ModuleList([
            OMATransformerDecoderLayer(**self.layer_cfg, oma_cfg=self.oma_cfg)
            for _ in range(self.num_layers)
        ])
        self.embed_dims = self.layers[0].embed_dims
        self.post_norm = build_norm_layer(self.post_norm_cfg, self.embed_dims)[1]
