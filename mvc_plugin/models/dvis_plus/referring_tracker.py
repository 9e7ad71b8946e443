"""DVIS++'s referring tracker (official ``dvis_Plus/tracker.py``, ``ReferringTracker_noiser``).

For every frame the tracker's ``Q`` slots are first matched to the frame's segmenter queries
(:class:`QueryNoiser`: Hungarian on cosine similarity, noise in training). Then ``L`` layers of

1. referring cross-attention: ``norm(identity + attn(query=reference, key=frame queries,
   value=frame queries))`` -- at layer 0 the identity is the matched frame query, after that the
   previous layer's output; the reference is ``ref_proj`` of the previous frame's output (first
   frame: ``ref_proj`` of the frame queries at layer 0, of the previous layer's output after);
   keys and values are the frame queries *before* the segmenter's final norm;
2. self-attention among the slots; 3. FFN (all post-norm).

Heads: ``decoder_norm``; class from ``[reference, normed output]`` (``2C`` wide); masks from
``mask_embed(normed output)`` on ``mask_feature_proj(mask features)``. The width is the
segmenter's query width plus its re-id width (256 + 256 in DVIS++).

OMA (``oma_cfg``, ours, off by default): the keys of the referring cross-attention are gated by
the segmenter's object probability of each frame query.

The state carried between frames is a :class:`TrackerMemory` passed in and returned, so a video
can be streamed frame by frame or clip by clip (the official module keeps it on ``self``).
"""
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import torch
from mmengine.model import BaseModule, ModuleList
from torch import Tensor, nn

from mmdet.registry import MODELS
from .attention_layers import KeyAttentionLayer, PostNormFFN, PostNormSelfAttention, mlp
from .query_noiser import QueryNoiser

__all__ = ['DVISPlusReferringTracker', 'TrackerMemory']


@dataclass
class TrackerMemory:
    """What the tracker keeps from the previous frame (batch-first)."""

    last_output: Tensor        #: ``(B, Q, C)`` last layer's output
    last_frame_embeds: Tensor  #: ``(B, Q, C)`` normalised frame queries the slots followed


class _TrackerLayer(BaseModule):

    def __init__(self, embed_dims: int, num_heads: int, ffn_channels: int,
                 oma_cfg: Optional[dict]) -> None:
        super().__init__()
        self.cross_attn = KeyAttentionLayer(embed_dims, num_heads, oma_cfg)
        self.self_attn = PostNormSelfAttention(embed_dims, num_heads)
        self.ffn = PostNormFFN(embed_dims, ffn_channels)

    def forward(self, identity: Tensor, reference: Tensor, keys: Tensor,
                relevance: Optional[Tensor]) -> Tensor:
        out = self.cross_attn(reference, keys, keys, identity=identity, key_relevance=relevance)
        return self.ffn(self.self_attn(out))


@MODELS.register_module()
class DVISPlusReferringTracker(BaseModule):
    """Online tracker of DVIS++ (see the module docstring).

    Args:
        embed_dims: width of the frame queries (segmenter width + re-id width; official
            ``HIDDEN_DIM * 2`` with the re-id branch).
        num_layers: tracker layers (official ``MODEL.TRACKER.DECODER_LAYERS`` = 6).
        num_heads: attention heads (``MASK_FORMER.NHEADS`` = 8).
        ffn_channels: FFN width (``MASK_FORMER.DIM_FEEDFORWARD`` = 2048).
        mask_dims: channels of the mask features (``MASK_FORMER.HIDDEN_DIM`` = 256).
        num_classes: classes, without no-object.
        noise_mode / noise_ratio: :class:`QueryNoiser` (official defaults 'none' / 0.5; the
            published recipe uses 'wa' with 0.5 or 0.8).
        oma_cfg: Object Masked Attention on the referring cross-attention's keys; ``None`` or
            ``dict(mode='off')`` = plain attention (DVIS++).
    """

    def __init__(self, embed_dims: int = 512, num_layers: int = 6, num_heads: int = 8,
                 ffn_channels: int = 2048, mask_dims: int = 256, num_classes: int = 40,
                 noise_mode: str = 'none', noise_ratio: float = 0.5,
                 oma_cfg: Optional[dict] = None, init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.embed_dims, self.num_classes = embed_dims, num_classes
        self.noiser = QueryNoiser(noise_mode, noise_ratio)
        self.layers = ModuleList([_TrackerLayer(embed_dims, num_heads, ffn_channels, oma_cfg)
                                  for _ in range(num_layers)])
        self.decoder_norm = nn.LayerNorm(embed_dims)
        self.cls_embed = nn.Linear(2 * embed_dims, num_classes + 1)
        self.mask_embed = mlp(embed_dims, embed_dims, mask_dims, 3)
        self.ref_proj = mlp(embed_dims, embed_dims, embed_dims, 3)
        self.mask_feature_proj = nn.Conv2d(mask_dims, mask_dims, kernel_size=1)

    def _frame(self, embeds: Tensor, embeds_no_norm: Tensor, relevance: Optional[Tensor],
               memory: Optional[TrackerMemory]) -> Tuple[Tensor, Tensor, Tensor, TrackerMemory]:
        """One frame of ``B`` videos -> per-layer outputs ``(L, B, Q, C)``, reference,
        matched indices ``(B, Q)`` and the new memory."""
        keys = embeds_no_norm
        if memory is None:
            indices, identity = self.noiser.batch(embeds, embeds, embeds_no_norm, False)
            reference = self.ref_proj(keys)
        else:
            indices, identity = self.noiser.batch(memory.last_frame_embeds, embeds,
                                                  embeds_no_norm, self.training)
            reference = self.ref_proj(memory.last_output)
        outputs: List[Tensor] = []
        query = reference
        for j, layer in enumerate(self.layers):
            if j > 0:
                identity = outputs[-1]
                if memory is None:
                    query = self.ref_proj(identity)
            outputs.append(layer(identity, query, keys, relevance))
        last_frame = torch.stack([e[i] for e, i in zip(embeds, indices)])
        new_memory = TrackerMemory(last_output=outputs[-1], last_frame_embeds=last_frame)
        return torch.stack(outputs), reference, indices, new_memory

    def forward(self, frame_embeds: Tensor, frame_embeds_no_norm: Tensor,
                mask_features: Optional[Tensor] = None,
                frame_relevance: Optional[Tensor] = None,
                memory: Optional[TrackerMemory] = None) -> Tuple[Dict, TrackerMemory]:
        """Track ``T`` frames.

        Args:
            frame_embeds: ``(B, T, Q, C)`` normalised segmenter queries (+ re-id).
            frame_embeds_no_norm: ``(B, T, Q, C)`` the same before the decoder norm.
            mask_features: ``(B, T, Cm, H, W)``; None to skip the heads.
            frame_relevance: ``(B, T, Q)`` object probability of each frame query (OMA).
            memory: the previous frame's :class:`TrackerMemory`; None at a video's start.

        Returns:
            ``(outputs, memory)``. ``outputs``: ``pred_embds`` ``(B, T, Q, C)`` (last layer,
            not normalised), ``pred_references`` ``(B, T, Q, C)``, ``indices`` ``(B, T, Q)``
            and, with mask features, ``pred_logits`` ``(B, T, Q, K + 1)``, ``pred_masks``
            ``(B, Q, T, H, W)`` and ``aux_outputs`` (earlier layers, training only).
        """
        if frame_embeds.dim() != 4 or frame_embeds.shape[-1] != self.embed_dims:
            raise ValueError(f'frame_embeds must be (B, T, Q, {self.embed_dims}), got '
                             f'{tuple(frame_embeds.shape)}')
        layers, refs, indices = [], [], []
        for t in range(frame_embeds.shape[1]):
            rel = None if frame_relevance is None else frame_relevance[:, t]
            out, ref, idx, memory = self._frame(frame_embeds[:, t], frame_embeds_no_norm[:, t],
                                                rel, memory)
            layers.append(out)
            refs.append(ref)
            indices.append(idx)
        layers = torch.stack(layers, dim=2)  # (L, B, T, Q, C)
        refs = torch.stack(refs, dim=1)
        result = dict(pred_embds=layers[-1], pred_references=refs,
                      indices=torch.stack(indices, dim=1))
        if mask_features is not None:
            result.update(self.predict(layers if self.training else layers[-1:], refs,
                                       mask_features))
        return result, memory

    def predict(self, layers: Tensor, references: Tensor, mask_features: Tensor) -> Dict:
        """Heads on ``(L, B, T, Q, C)`` layer outputs: last layer as ``pred_*``, the others
        as ``aux_outputs``."""
        b, t = mask_features.shape[:2]
        feats = self.mask_feature_proj(mask_features.flatten(0, 1)).unflatten(0, (b, t))
        normed = self.decoder_norm(layers)
        refs = references[None].expand_as(normed)
        logits = self.cls_embed(torch.cat([refs, normed], dim=-1))  # (L, B, T, Q, K + 1)
        masks = torch.einsum('lbtqc,btchw->lbqthw', self.mask_embed(normed), feats)
        aux = [dict(pred_logits=c, pred_masks=m) for c, m in zip(logits[:-1], masks[:-1])]
        return dict(pred_logits=logits[-1], pred_masks=masks[-1], aux_outputs=aux)
