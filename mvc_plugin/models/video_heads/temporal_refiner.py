"""``TemporalRefiner``: the offline half of a decoupled video segmenter (DVIS++ design).

The tracker decides *who is who* frame by frame; the refiner then looks at each object over the
whole clip (or a window of it) at once. Each layer, on tracked embeddings ``(B, T, N, C)``:

1. temporal self-attention of each object with itself over the ``T`` frames;
2. a short temporal 1-D convolution per object (kernel ``kernel_size``, residual): a local,
   order-aware smoother that attention alone (no positional encoding here) does not provide;
3. self-attention among the ``N`` objects of each frame;
4. cross-attention from the objects to the frame's segmenter queries, gated by **Object Masked
   Attention** (relevance = the queries' object probability);
5. FFN. Post-norm after each step.

Heads: per-frame mask embeddings (dotted with the segmenter's mask features) and one
**video-level class** per object from *attention pooling*: a learned score per frame, softmaxed
over time, weights the embeddings before the classifier -- frames where the object is clearly
visible count more than frames where it is occluded, which a plain temporal mean cannot do.
"""
from typing import Optional, Tuple

from mmcv.cnn.bricks.transformer import FFN, MultiheadAttention
from mmengine.model import BaseModule, ModuleList
from torch import Tensor, nn

from mmdet.registry import MODELS
from ..layers import ObjectMaskedAttention, relevance_from_logits
from .prediction_heads import ObjectPredictionHeads, mask_logits_from_embeddings
from .referring_tracker import build_key_attention, resolve_oma_cfg

__all__ = ['TemporalRefiner', 'TemporalRefinerLayer']


class TemporalRefinerLayer(BaseModule):
    """Temporal attention -> temporal conv -> object attention -> OMA cross-attention -> FFN."""

    def __init__(self, embed_dims: int, num_heads: int, ffn_channels: int, kernel_size: int,
                 oma_cfg: Optional[dict], dropout: float = 0.0) -> None:
        super().__init__()
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f'kernel_size must be odd and >= 1, got {kernel_size}')
        attn = dict(embed_dims=embed_dims, num_heads=num_heads, attn_drop=dropout,
                    batch_first=True)
        self.time_attn = MultiheadAttention(**attn)
        self.time_conv = nn.Conv1d(embed_dims, embed_dims, kernel_size,
                                   padding=kernel_size // 2)
        self.obj_attn = MultiheadAttention(**attn)
        self.cross_attn = build_key_attention(embed_dims, num_heads, dropout, oma_cfg)
        self.ffn = FFN(embed_dims=embed_dims, feedforward_channels=ffn_channels,
                       ffn_drop=dropout)
        self.norms = ModuleList([nn.LayerNorm(embed_dims) for _ in range(5)])

    def forward(self, objects: Tensor, frame_queries: Tensor,
                relevance: Optional[Tensor]) -> Tensor:
        """``objects`` ``(B, T, N, C)``, ``frame_queries`` ``(B, T, M, C)``, ``relevance``
        ``(B, T, M)`` or None -> ``(B, T, N, C)``."""
        b, t, n, c = objects.shape
        x = objects.permute(0, 2, 1, 3).reshape(b * n, t, c)       # per object, over time
        x = self.norms[0](self.time_attn(query=x, key=x, value=x))
        x = self.norms[1](x + self.time_conv(x.transpose(1, 2)).transpose(1, 2))
        x = x.reshape(b, n, t, c).permute(0, 2, 1, 3).reshape(b * t, n, c)  # per frame
        x = self.norms[2](self.obj_attn(query=x, key=x, value=x))
        keys = frame_queries.flatten(0, 1)
        extra = {}
        if relevance is not None and isinstance(self.cross_attn, ObjectMaskedAttention):
            extra = dict(key_relevance=relevance.flatten(0, 1))
        x = self.norms[3](self.cross_attn(query=x, key=keys, value=keys, **extra))
        x = self.norms[4](self.ffn(x))
        return x.reshape(b, t, n, c)


@MODELS.register_module()
class TemporalRefiner(BaseModule):
    """Offline refiner of tracked object embeddings.

    Args:
        num_layers: refiner layers.
        embed_dims: channels of the object embeddings.
        num_heads: attention heads.
        ffn_channels: FFN hidden channels (default ``4 * embed_dims``).
        kernel_size: temporal convolution kernel (odd).
        num_classes: object classes (a no-object logit is added).
        mask_dims: channels of the segmenter's mask features (default ``embed_dims``).
        oma_cfg: arguments of :class:`ObjectMaskedAttention` for the cross-attention to the
            frame queries; None or ``dict(mode='off')`` for plain attention.
        dropout: attention / FFN dropout.
    """

    def __init__(self, num_layers: int = 2, embed_dims: int = 256, num_heads: int = 8,
                 ffn_channels: Optional[int] = None, kernel_size: int = 3,
                 num_classes: int = 40, mask_dims: Optional[int] = None,
                 oma_cfg: Optional[dict] = dict(mode='hard', threshold=0.5),
                 dropout: float = 0.0, init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.embed_dims = embed_dims
        self.num_classes = num_classes
        oma_cfg = resolve_oma_cfg(oma_cfg)
        self.use_oma = oma_cfg is not None
        self.layers = ModuleList([
            TemporalRefinerLayer(embed_dims, num_heads, ffn_channels or 4 * embed_dims,
                                 kernel_size, oma_cfg, dropout)
            for _ in range(num_layers)])
        self.pool_score = nn.Linear(embed_dims, 1)
        self.heads = ObjectPredictionHeads(embed_dims, mask_dims or embed_dims, num_classes)

    def forward(self, objects: Tensor, frame_queries: Tensor, frame_logits: Tensor) -> Tensor:
        """Refine tracked embeddings ``(B, T, N, C)`` given the frames' queries ``(B, T, M, C)``
        and their class logits ``(B, T, M, K + 1)``."""
        if objects.dim() != 4 or objects.shape[-1] != self.embed_dims:
            raise ValueError(f'objects must be (B, T, N, {self.embed_dims}), got '
                             f'{tuple(objects.shape)}')
        relevance = relevance_from_logits(frame_logits.detach()) if self.use_oma else None
        for layer in self.layers:
            objects = layer(objects, frame_queries, relevance)
        return objects

    def video_logits(self, objects: Tensor) -> Tensor:
        """Attention-pooled video-level class logits ``(B, N, K + 1)`` of ``(B, T, N, C)``."""
        weights = self.pool_score(objects).softmax(dim=1)           # (B, T, N, 1)
        return self.heads.classify((weights * objects).sum(dim=1))

    def predict_heads(self, objects: Tensor, mask_features: Tensor) -> Tuple[Tensor, Tensor]:
        """Video-level class logits ``(B, N, K + 1)`` and per-frame mask logits
        ``(B, T, N, h, w)`` from refined ``(B, T, N, C)`` and features ``(B, T, Cm, h, w)``."""
        masks = mask_logits_from_embeddings(self.heads.mask_embed(objects), mask_features)
        return self.video_logits(objects), masks
