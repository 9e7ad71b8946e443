"""DVIS++'s temporal refiner (official ``dvis_Plus/refiner.py``, ``TemporalRefiner``).

The tracked object embeddings of a whole video (or training clip) are refined by ``L`` layers of

1. long-term temporal self-attention (each object over the frames);
2. short-term temporal convolution: ``norm(x + conv3(relu(conv5(x))))`` over the frames,
   replicate-padded;
3. self-attention among the objects of a frame;
4. cross-attention from the objects to the frame's segmenter queries (before the decoder norm);
5. FFN (all post-norm).

Heads: ``decoder_norm``; one class per object for the whole video from the ``activation_proj``
softmax-weighted mean over the frames; masks per frame. At test time only the last layer is
predicted and masks are computed ``windows`` frames at a time (:meth:`predict_masks` lets a
caller do that window by window).

OMA (``oma_cfg``, ours, off by default): the keys of the cross-attention (the frame queries) are
gated by the segmenter's object probability.
"""
from typing import Dict, Optional

import torch
from mmengine.model import BaseModule, ModuleList
from torch import Tensor, nn

from mmdet.registry import MODELS
from .attention_layers import KeyAttentionLayer, PostNormFFN, PostNormSelfAttention, mlp

__all__ = ['DVISPlusTemporalRefiner']


class _ShortTermConv(BaseModule):
    """``norm(x + conv_k3(relu(conv_k5(x))))`` along time, on ``(N, C, T)``."""

    def __init__(self, embed_dims: int) -> None:
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv1d(embed_dims, embed_dims, 5, padding='same', padding_mode='replicate'),
            nn.ReLU(inplace=True),
            nn.Conv1d(embed_dims, embed_dims, 3, padding='same', padding_mode='replicate'))
        self.norm = nn.LayerNorm(embed_dims)

    def forward(self, x: Tensor) -> Tensor:
        return self.norm((self.conv(x) + x).transpose(1, 2)).transpose(1, 2)


class _RefinerLayer(BaseModule):

    def __init__(self, embed_dims: int, num_heads: int, ffn_channels: int,
                 oma_cfg: Optional[dict]) -> None:
        super().__init__()
        self.time_attn = PostNormSelfAttention(embed_dims, num_heads)
        self.short_conv = _ShortTermConv(embed_dims)
        self.obj_attn = PostNormSelfAttention(embed_dims, num_heads)
        self.cross_attn = KeyAttentionLayer(embed_dims, num_heads, oma_cfg)
        self.ffn = PostNormFFN(embed_dims, ffn_channels)

    def forward(self, x: Tensor, frames: Tensor, relevance: Optional[Tensor]) -> Tensor:
        """``x`` objects ``(B, T, Q, C)``, ``frames`` ``(B*T, Q, C)``, ``relevance``
        ``(B*T, Q)`` -> ``(B, T, Q, C)``."""
        b, t, q, c = x.shape
        x = x.permute(0, 2, 1, 3).reshape(b * q, t, c)           # objects over time
        x = self.time_attn(x)
        x = self.short_conv(x.transpose(1, 2)).transpose(1, 2)
        x = x.reshape(b, q, t, c).permute(0, 2, 1, 3).reshape(b * t, q, c)  # frames
        x = self.obj_attn(x)
        x = self.cross_attn(x, frames, frames, key_relevance=relevance)
        return self.ffn(x).reshape(b, t, q, c)


@MODELS.register_module()
class DVISPlusTemporalRefiner(BaseModule):
    """Offline refiner of DVIS++ (see the module docstring).

    Args:
        embed_dims: width of the tracked embeddings (= the tracker's).
        num_layers: refiner layers (official ``MODEL.REFINER.DECODER_LAYERS`` = 6).
        num_heads / ffn_channels: attention heads and FFN width (8 / 2048).
        mask_dims: channels of the mask features (256).
        num_classes: classes, without no-object.
        windows: frames per mask computation at test time (``TEST.WINDOW_SIZE`` = 3).
        oma_cfg: Object Masked Attention on the cross-attention's keys; ``None`` or
            ``dict(mode='off')`` = plain attention (DVIS++).
    """

    def __init__(self, embed_dims: int = 512, num_layers: int = 6, num_heads: int = 8,
                 ffn_channels: int = 2048, mask_dims: int = 256, num_classes: int = 40,
                 windows: int = 3, oma_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.embed_dims, self.num_classes, self.windows = embed_dims, num_classes, windows
        self.layers = ModuleList([_RefinerLayer(embed_dims, num_heads, ffn_channels, oma_cfg)
                                  for _ in range(num_layers)])
        self.decoder_norm = nn.LayerNorm(embed_dims)
        self.cls_embed = nn.Linear(embed_dims, num_classes + 1)
        self.mask_embed = mlp(embed_dims, embed_dims, mask_dims, 3)
        self.activation_proj = nn.Linear(embed_dims, 1)

    def forward(self, instance_embeds: Tensor, frame_embeds: Tensor,
                mask_features: Optional[Tensor] = None,
                frame_relevance: Optional[Tensor] = None) -> Dict:
        """Refine a video.

        Args:
            instance_embeds: ``(B, T, Q, C)`` the tracker's ``pred_embds``.
            frame_embeds: ``(B, T, Q, C)`` segmenter queries before the decoder norm.
            mask_features: ``(B, T, Cm, H, W)``; None to skip the masks (test time: use
                :meth:`predict_masks` window by window).
            frame_relevance: ``(B, T, Q)`` object probability of each frame query (OMA).

        Returns:
            ``pred_embds`` ``(B, T, Q, C)`` (normalised, last layer), ``pred_logits``
            ``(B, T, Q, K + 1)`` (the video's class repeated over T), with mask features
            ``pred_masks`` ``(B, Q, T, H, W)``, and in training ``aux_outputs``.
        """
        b, t, q, c = instance_embeds.shape
        frames = frame_embeds.reshape(b * t, q, c)
        relevance = None if frame_relevance is None else frame_relevance.reshape(b * t, q)
        x, layers = instance_embeds, []
        for layer in self.layers:
            x = layer(x, frames, relevance)
            layers.append(x)
        normed = self.decoder_norm(torch.stack(layers if self.training else layers[-1:]))
        logits = self.class_logits(normed)
        result = dict(pred_embds=normed[-1], pred_logits=logits[-1])
        if mask_features is not None:
            step = t if self.training else self.windows
            masks = [self.predict_masks(normed[:, :, s:s + step], mask_features[:, s:s + step])
                     for s in range(0, t, step)]
            masks = torch.cat(masks, dim=3)
            result['pred_masks'] = masks[-1]
            result['aux_outputs'] = [dict(pred_logits=c, pred_masks=m)
                                     for c, m in zip(logits[:-1], masks[:-1])]
        return result

    def class_logits(self, normed: Tensor) -> Tensor:
        """``(L, B, T, Q, C)`` normalised embeddings -> ``(L, B, T, Q, K + 1)``: one class per
        object from the activation-weighted mean over T, repeated over T."""
        weights = self.activation_proj(normed).softmax(dim=2)
        pooled = (normed * weights).sum(dim=2, keepdim=True)
        return self.cls_embed(pooled).expand(-1, -1, normed.shape[2], -1, -1)

    def predict_masks(self, normed: Tensor, mask_features: Tensor) -> Tensor:
        """``(L, B, t, Q, C)`` normalised embeddings and ``(B, t, Cm, H, W)`` features of the
        same frames -> mask logits ``(L, B, Q, t, H, W)``."""
        return torch.einsum('lbtqc,btchw->lbqthw', self.mask_embed(normed),
                            mask_features.to(normed))
