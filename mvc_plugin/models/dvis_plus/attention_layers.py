"""The transformer layers DVIS++'s tracker and refiner are built from, on mmcv's bricks.

Post-norm, as the official ``SelfAttentionLayer`` / ``CrossAttentionLayer`` / ``FFNLayer``
(``mask2former_video/modeling/transformer_decoder/video_mask2former_transformer_decoder.py``) and
the tracker's ``ReferringCrossAttentionLayer`` (``dvis_Plus/tracker.py``):
``norm(identity + attention(...))`` and ``norm(x + linear2(relu(linear1(x))))``. The key
attention can be Object Masked Attention (``oma_cfg``), which gates the keys by a relevance.
"""
from typing import Optional

from mmcv.cnn.bricks.transformer import FFN, MultiheadAttention
from mmengine.model import BaseModule
from torch import Tensor, nn

from ..layers import ObjectMaskedAttention, resolve_oma_cfg

__all__ = ['KeyAttentionLayer', 'PostNormFFN', 'PostNormSelfAttention', 'mlp']


def mlp(in_dims: int, hidden_dims: int, out_dims: int, num_layers: int) -> nn.Sequential:
    """Linear layers with ReLU between them (Mask2Former's ``MLP``, mmdet's layout)."""
    dims = [in_dims] + [hidden_dims] * (num_layers - 1)
    layers = []
    for i, (n, k) in enumerate(zip(dims, dims[1:] + [out_dims])):
        layers.append(nn.Linear(n, k))
        if i < num_layers - 1:
            layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class KeyAttentionLayer(BaseModule):
    """``norm(identity + attn(query, key, value))``; OMA on the keys when configured.

    With ``identity = query`` this is the official ``CrossAttentionLayer``; with a separate
    identity it is the tracker's ``ReferringCrossAttentionLayer``.
    """

    def __init__(self, embed_dims: int, num_heads: int,
                 oma_cfg: Optional[dict] = None) -> None:
        super().__init__()
        kwargs = dict(embed_dims=embed_dims, num_heads=num_heads, batch_first=True)
        oma_cfg = resolve_oma_cfg(oma_cfg)
        self.attn = MultiheadAttention(**kwargs) if oma_cfg is None else \
            ObjectMaskedAttention(**kwargs, **oma_cfg)
        self.norm = nn.LayerNorm(embed_dims)

    def forward(self, query: Tensor, key: Tensor, value: Tensor,
                identity: Optional[Tensor] = None,
                key_relevance: Optional[Tensor] = None) -> Tensor:
        """Batch-first ``(B, Nq, C)`` query, ``(B, Nk, C)`` key / value, ``(B, Nk)`` relevance
        (ignored without OMA)."""
        extra = {}
        if key_relevance is not None and isinstance(self.attn, ObjectMaskedAttention):
            extra['key_relevance'] = key_relevance
        out = self.attn(query=query, key=key, value=value,
                        identity=query if identity is None else identity, **extra)
        return self.norm(out)


class PostNormSelfAttention(BaseModule):
    """``norm(x + self_attn(x))`` (official ``SelfAttentionLayer``, no positional embedding)."""

    def __init__(self, embed_dims: int, num_heads: int) -> None:
        super().__init__()
        self.attn = MultiheadAttention(embed_dims=embed_dims, num_heads=num_heads,
                                       batch_first=True)
        self.norm = nn.LayerNorm(embed_dims)

    def forward(self, x: Tensor) -> Tensor:
        return self.norm(self.attn(query=x, key=x, value=x))


class PostNormFFN(BaseModule):
    """``norm(x + linear2(relu(linear1(x))))`` (official ``FFNLayer``)."""

    def __init__(self, embed_dims: int, ffn_channels: int) -> None:
        super().__init__()
        self.ffn = FFN(embed_dims=embed_dims, feedforward_channels=ffn_channels, ffn_drop=0.0)
        self.norm = nn.LayerNorm(embed_dims)

    def forward(self, x: Tensor) -> Tensor:
        return self.norm(self.ffn(x))
