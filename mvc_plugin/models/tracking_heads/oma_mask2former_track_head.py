"""Mask2Former-VIS track head whose query self-attention is Object Masked Attention (OMA).

A drop-in for mmdet's :class:`Mask2FormerTrackHead`: same arguments plus ``oma_cfg``, same
parameters and ``state_dict`` keys (checkpoints are interchangeable, swapping is config-only).
Each decoder layer's self-attention is gated by the relevance of the queries predicted by the
previous layer's classifier (the first layer uses the predictions from the initial queries).

The relevance is **detached**: it is a gate computed from the head's own predictions, like
Mask2Former's detached mask attention. Letting gradients through it would let the classifier be
trained to change which queries the decoder listens to, rather than only to classify; the class
loss alone supervises the classifier, as in the plain head.
"""
from typing import List, Tuple

import torch
from torch import Tensor

from mmdet.models.tracking_heads import Mask2FormerTrackHead
from mmdet.registry import MODELS
from mmdet.structures import TrackDataSample
from mmdet.utils import OptConfigType
from ..layers.object_masked_attention import relevance_from_logits, resolve_oma_cfg
from ..layers.oma_decoder_layer import OMATransformerDecoder

__all__ = ['OMAMask2FormerTrackHead']


@MODELS.register_module()
class OMAMask2FormerTrackHead(Mask2FormerTrackHead):
    """:class:`Mask2FormerTrackHead` with OMA in the transformer decoder's self-attention.

    Args:
        oma_cfg (dict, optional): :class:`ObjectMaskedAttention` arguments (``mode``,
            ``threshold``, ``eps``). Defaults to ``dict(mode='hard', threshold=0.5)``;
            ``None`` or ``dict(mode='off')`` = plain self-attention (mmdet's head).
        **kwargs: the arguments of :class:`Mask2FormerTrackHead`, unchanged.
    """

    def __init__(self, *args, oma_cfg: OptConfigType = dict(mode='hard', threshold=0.5),
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.oma_cfg = resolve_oma_cfg(oma_cfg) or dict(mode='off')
        plain = self.transformer_decoder
        # Rebuild the decoder from the plain one's config without consuming the global RNG and
        # give it the plain decoder's initial weights: under one seed both heads start equal.
        with torch.random.fork_rng(devices=[]):
            oma = OMATransformerDecoder(
                num_layers=plain.num_layers, layer_cfg=plain.layer_cfg,
                post_norm_cfg=plain.post_norm_cfg,
                return_intermediate=plain.return_intermediate, init_cfg=plain.init_cfg,
                oma_cfg=self.oma_cfg)
        oma.load_state_dict(plain.state_dict())
        self.transformer_decoder = oma.to(next(plain.parameters()).device)

    def _decoder_inputs(self, multi_scale_memorys: List[Tensor], batch_size: int,
                        t: int) -> Tuple[List[Tensor], List[Tensor]]:
        """Per level: projected features and 3-D positional encodings, ``(bs, t*h*w, c)``."""
        decoder_inputs, decoder_pos = [], []
        for i in range(self.num_transformer_feat_level):
            feat = self.decoder_input_projs[i](multi_scale_memorys[i]).flatten(2)
            feat = feat + self.level_embed.weight[i][None, :, None]
            _, c, hw = feat.shape
            feat = feat.view(batch_size, t, c, hw).permute(0, 1, 3, 2).flatten(1, 2)
            mask = feat.new_zeros((batch_size, t) + multi_scale_memorys[i].shape[-2:],
                                  dtype=torch.bool)
            pos = self.decoder_positional_encoding(mask)
            pos = pos.flatten(3).permute(0, 1, 3, 2).flatten(1, 2)
            decoder_inputs.append(feat)
            decoder_pos.append(pos)
        return decoder_inputs, decoder_pos

    def forward(self, x: List[Tensor],
                data_samples: TrackDataSample) -> Tuple[List[Tensor], List[Tensor]]:
        """As :meth:`Mask2FormerTrackHead.forward`; each layer's query self-attention is gated
        by the (detached) relevance of the previous prediction's classes.

        Returns:
            tuple[list[Tensor], list[Tensor]]: class logits ``(bs, num_queries, C + 1)`` and mask
            logits ``(bs, num_queries, t, h, w)`` of the initial queries and of every layer.
        """
        mask_features, multi_scale_memorys = self.pixel_decoder(x)
        bt, c_m, h_m, w_m = mask_features.shape
        batch_size = bt // self.num_frames if self.training else 1
        t = bt // batch_size
        mask_features = mask_features.view(batch_size, t, c_m, h_m, w_m)
        decoder_inputs, decoder_pos = self._decoder_inputs(multi_scale_memorys, batch_size, t)

        query_feat = self.query_feat.weight.unsqueeze(0).repeat((batch_size, 1, 1))
        query_embed = self.query_embed.weight.unsqueeze(0).repeat((batch_size, 1, 1))

        cls_pred, mask_pred, attn_mask = self._forward_head(
            query_feat, mask_features, multi_scale_memorys[0].shape[-2:])
        cls_pred_list, mask_pred_list = [cls_pred], [mask_pred]
        for i in range(self.num_transformer_decoder_layers):
            level_idx = i % self.num_transformer_feat_level
            # a query whose mask is all background attends to every position (as mmdet does)
            attn_mask[torch.where(attn_mask.sum(-1) == attn_mask.shape[-1])] = False
            query_feat = self.transformer_decoder.layers[i](
                query=query_feat,
                key=decoder_inputs[level_idx],
                value=decoder_inputs[level_idx],
                query_pos=query_embed,
                key_pos=decoder_pos[level_idx],
                cross_attn_mask=attn_mask,
                query_key_padding_mask=None,
                key_padding_mask=None,
                query_relevance=relevance_from_logits(cls_pred.detach()))
            cls_pred, mask_pred, attn_mask = self._forward_head(
                query_feat, mask_features,
                multi_scale_memorys[(i + 1) % self.num_transformer_feat_level].shape[-2:])
            cls_pred_list.append(cls_pred)
            mask_pred_list.append(mask_pred)
        return cls_pred_list, mask_pred_list
