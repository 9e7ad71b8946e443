"""``ReferringTracker``: the online half of a decoupled video segmenter (DVIS++ design).

For every frame ``t`` the tracker updates the objects it follows, ``O_{t-1} -> O_t``, from the
segmenter's object queries of that frame ``Q_t``. Each layer is

1. **referring cross-attention** -- the reference (``O_{t-1}``) asks the frame queries ``Q_t``
   where its object went; the result is added to the running object embeddings (the identity
   path), so the reference only *selects* and the identity is carried by the residual. The keys
   are gated by **Object Masked Attention** (relevance = the segmenter's object probability of
   each query), so no-object queries cannot be picked up. A learned *sink* key (always relevant)
   lets an object whose query is missing (occlusion) attend to nothing instead of to a wrong
   object;
2. self-attention among the ``N`` objects (they compete for queries);
3. FFN. Post-norm after each, as in Mask2Former's decoder.

``O_{-1} = Q_0``: the first frame's queries start the tracks. Training-time **query noising**
replaces, with probability ``noise_ratio`` per object, the reference by another query of the
current frame, so the tracker learns to recover from a wrong reference instead of copying it.
"""
from typing import Optional, Tuple

import torch
from mmcv.cnn.bricks.transformer import FFN, MultiheadAttention
from mmengine.model import BaseModule, ModuleList
from torch import Tensor, nn

from mmdet.registry import MODELS
from ..layers import ObjectMaskedAttention, relevance_from_logits, resolve_oma_cfg
from .prediction_heads import ObjectPredictionHeads

__all__ = ['ReferringTracker', 'ReferringTrackerLayer', 'build_key_attention', 'resolve_oma_cfg']


def build_key_attention(embed_dims: int, num_heads: int, dropout: float,
                        oma_cfg: Optional[dict]) -> nn.Module:
    """Cross-attention whose keys are frame queries: OMA when ``oma_cfg`` is given."""
    kwargs = dict(embed_dims=embed_dims, num_heads=num_heads, attn_drop=dropout,
                  batch_first=True)
    if oma_cfg is None:
        return MultiheadAttention(**kwargs)
    return ObjectMaskedAttention(**kwargs, **oma_cfg)


class ReferringTrackerLayer(BaseModule):
    """Referring cross-attention (OMA on keys) -> object self-attention -> FFN."""

    def __init__(self, embed_dims: int, num_heads: int, ffn_channels: int,
                 oma_cfg: Optional[dict], sink: bool = True, dropout: float = 0.0) -> None:
        super().__init__()
        self.cross_attn = build_key_attention(embed_dims, num_heads, dropout, oma_cfg)
        self.self_attn = MultiheadAttention(embed_dims=embed_dims, num_heads=num_heads,
                                            attn_drop=dropout, batch_first=True)
        self.ffn = FFN(embed_dims=embed_dims, feedforward_channels=ffn_channels,
                       ffn_drop=dropout)
        self.norms = ModuleList([nn.LayerNorm(embed_dims) for _ in range(3)])
        self.sink = nn.Parameter(torch.randn(1, 1, embed_dims) * 0.02) if sink else None

    def forward(self, objects: Tensor, reference: Tensor, frame_queries: Tensor,
                relevance: Optional[Tensor]) -> Tensor:
        """``objects`` / ``reference`` ``(B, N, C)``, ``frame_queries`` ``(B, M, C)``,
        ``relevance`` ``(B, M)`` or None (no OMA)."""
        keys = frame_queries
        if self.sink is not None:
            keys = torch.cat([keys, self.sink.expand(keys.shape[0], -1, -1)], dim=1)
            if relevance is not None:
                relevance = torch.cat([relevance, relevance.new_ones(keys.shape[0], 1)], dim=1)
        extra = {} if relevance is None or not isinstance(
            self.cross_attn, ObjectMaskedAttention) else dict(key_relevance=relevance)
        out = self.cross_attn(query=reference, key=keys, value=keys, identity=objects, **extra)
        out = self.norms[0](out)
        out = self.norms[1](self.self_attn(query=out, key=out, value=out))
        return self.norms[2](self.ffn(out))


@MODELS.register_module()
class ReferringTracker(BaseModule):
    """Online object tracker over the segmenter's per-frame queries.

    Args:
        num_layers: tracker layers applied per frame.
        embed_dims: channels of the segmenter's query embeddings.
        num_heads: attention heads.
        ffn_channels: hidden channels of the FFN.
        num_classes: object classes (a no-object logit is added).
        mask_dims: channels of the segmenter's mask features (default ``embed_dims``).
        oma_cfg: arguments of :class:`ObjectMaskedAttention` for the referring cross-attention
            (e.g. ``dict(mode='hard', threshold=0.5)``); None or ``dict(mode='off')`` for plain
            attention.
        noise_ratio: training-time probability, per object and frame, of replacing its
            reference by a random other query of the current frame.
        sink: add the learned always-relevant "attend to nothing" key.
        dropout: attention / FFN dropout.
    """

    def __init__(self, num_layers: int = 2, embed_dims: int = 256, num_heads: int = 8,
                 ffn_channels: int = 1024, num_classes: int = 40,
                 mask_dims: Optional[int] = None,
                 oma_cfg: Optional[dict] = dict(mode='hard', threshold=0.5),
                 noise_ratio: float = 0.0, sink: bool = True, dropout: float = 0.0,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not 0.0 <= noise_ratio <= 1.0:
            raise ValueError(f'noise_ratio must be in [0, 1], got {noise_ratio}')
        self.embed_dims = embed_dims
        self.num_classes = num_classes
        self.noise_ratio = float(noise_ratio)
        oma_cfg = resolve_oma_cfg(oma_cfg)
        self.use_oma = oma_cfg is not None
        self.layers = ModuleList([
            ReferringTrackerLayer(embed_dims, num_heads, ffn_channels, oma_cfg, sink, dropout)
            for _ in range(num_layers)])
        self.heads = ObjectPredictionHeads(embed_dims, mask_dims or embed_dims, num_classes)

    def noised_reference(self, reference: Tensor, frame_queries: Tensor) -> Tensor:
        """Replace each object's reference, with probability ``noise_ratio``, by the query of
        another (random) slot of the current frame."""
        b, n, _ = reference.shape
        if n < 2 or self.noise_ratio <= 0:
            return reference
        swap = torch.rand(b, n, device=reference.device) < self.noise_ratio
        shift = torch.randint(1, n, (b, n), device=reference.device)
        other = (torch.arange(n, device=reference.device) + shift) % n
        donors = frame_queries.gather(1, other[..., None].expand(-1, -1, frame_queries.shape[-1]))
        return torch.where(swap[..., None], donors, reference)

    def step(self, prev_objects: Optional[Tensor], frame_queries: Tensor,
             frame_logits: Tensor) -> Tensor:
        """One frame: ``O_{t-1}`` (None at the first frame), ``Q_t`` ``(B, N, C)`` and their
        class logits ``(B, N, K + 1)`` -> ``O_t`` ``(B, N, C)``."""
        if frame_queries.dim() != 3 or frame_queries.shape[-1] != self.embed_dims:
            raise ValueError(f'frame_queries must be (B, N, {self.embed_dims}), got '
                             f'{tuple(frame_queries.shape)}')
        objects = frame_queries if prev_objects is None else prev_objects
        reference = objects
        if self.training and self.noise_ratio > 0:
            reference = self.noised_reference(objects, frame_queries)
        relevance = relevance_from_logits(frame_logits.detach()) if self.use_oma else None
        for layer in self.layers:
            objects = layer(objects, reference, frame_queries, relevance)
        return objects

    def forward(self, frame_queries: Tensor, frame_logits: Tensor,
                prev_objects: Optional[Tensor] = None) -> Tensor:
        """Track over a clip: ``(B, T, N, C)`` queries and ``(B, T, N, K + 1)`` logits ->
        tracked embeddings ``(B, T, N, C)``."""
        outputs = []
        for t in range(frame_queries.shape[1]):
            prev_objects = self.step(prev_objects, frame_queries[:, t], frame_logits[:, t])
            outputs.append(prev_objects)
        return torch.stack(outputs, dim=1)

    def predict_heads(self, objects: Tensor, mask_features: Tensor) -> Tuple[Tensor, Tensor]:
        """Class logits and mask logits of tracked objects (any leading dims, see
        :class:`ObjectPredictionHeads`)."""
        return self.heads(objects, mask_features)
