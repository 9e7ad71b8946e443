"""Object Masked Attention (OMA): attention in which no-object keys lose their influence.

Each key carries a relevance ``r`` in [0, 1], the probability that it is an object (one minus the
no-object probability of its class logits, see :func:`relevance_from_logits`). ``'hard'`` OMA
removes keys with ``r < threshold`` from every query's softmax; ``'soft'`` OMA adds ``log(r)`` to
the attention logits, i.e. multiplies each key's unnormalised weight by its relevance.

Two guarantees shape the implementation:

* **never NaN** -- a softmax row whose keys would all be removed (after combining with the given
  ``attn_mask`` / ``key_padding_mask``) keeps plain attention: OMA is dropped for that row only;
* **exact no-op** -- when OMA changes nothing (no key removed, every ``log r == 0``) the original
  masks are handed to :class:`mmcv.cnn.bricks.transformer.MultiheadAttention` untouched, so the
  output is bit-identical to the plain module with the same weights.
"""
from typing import Optional, Tuple, Union

import torch
import torch.nn.functional as F
from mmcv.cnn.bricks.transformer import MultiheadAttention
from torch import Tensor

from mmdet.registry import MODELS

__all__ = ['ObjectMaskedAttention', 'multihead_attention_weights', 'relevance_from_logits',
           'resolve_oma_cfg']

_MODES = ('off', 'hard', 'soft')


def resolve_oma_cfg(oma_cfg: Optional[dict]) -> Optional[dict]:
    """The one meaning of ``oma_cfg`` in every module that takes it: ``None`` or
    ``dict(mode='off')`` -> ``None`` (plain attention); otherwise a copy of the
    :class:`ObjectMaskedAttention` arguments (``mode`` defaults to ``'hard'``).

    A dict with ``mode='off'`` lets a config that inherits an OMA setting switch it off.
    """
    if oma_cfg is None:
        return None
    if not isinstance(oma_cfg, dict):
        raise TypeError(f'oma_cfg must be None or a dict, got {type(oma_cfg).__name__}')
    mode = oma_cfg.get('mode', 'hard')
    if mode not in _MODES:
        raise ValueError(f'oma_cfg mode must be one of {_MODES}, got {mode!r}')
    return None if mode == 'off' else dict(oma_cfg)


def relevance_from_logits(cls_logits: Tensor, threshold: Optional[float] = None) -> Tensor:
    """Relevance ``1 - softmax(cls_logits)[..., -1]`` (the last class is no-object).

    Args:
        cls_logits (Tensor): ``(..., num_classes + 1)`` class logits.
        threshold (float, optional): relevances below it are set to 0. Defaults to None.

    Returns:
        Tensor: ``(...)`` relevance in [0, 1]; differentiable (detach it to use it as a gate).
    """
    relevance = 1 - F.softmax(cls_logits, dim=-1)[..., -1]
    if threshold is not None:
        relevance = relevance.masked_fill(relevance < threshold, 0.)
    return relevance


@MODELS.register_module()
class ObjectMaskedAttention(MultiheadAttention):
    """:class:`MultiheadAttention` whose keys are gated by a per-key relevance.

    Args:
        mode (str): ``'hard'`` (drop keys with ``r < threshold``), ``'soft'`` (add
            ``log(max(r, eps))`` to the logits) or ``'off'`` (plain attention: the relevance
            is ignored, as ``oma_cfg=None`` elsewhere). Defaults to ``'hard'``.
        threshold (float | None | str): τ. ``'auto'`` means 0.5 for hard and None (no threshold)
            for soft. In soft mode relevances below τ are set to 0 before the log.
        eps (float): lower clamp of ``r`` before the log in soft mode (``log(eps)`` is the
            strongest suppression, finite). Defaults to 1e-6.
        **kwargs: the arguments of :class:`MultiheadAttention` (``embed_dims``, ``num_heads``,
            ``batch_first``, ...).
    """

    def __init__(self, *args, mode: str = 'hard', threshold: Union[float, str, None] = 'auto',
                 eps: float = 1e-6, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if mode not in _MODES:
            raise ValueError(f'ObjectMaskedAttention mode must be one of {_MODES}, got {mode!r}')
        if threshold == 'auto' or mode == 'off':
            threshold = 0.5 if mode == 'hard' else None
        if mode == 'hard' and threshold is None:
            raise ValueError('hard ObjectMaskedAttention needs a float threshold')
        if threshold is not None and not isinstance(threshold, (int, float)):
            raise ValueError(f'threshold must be a float, None or "auto", got {threshold!r}')
        if not eps > 0:
            raise ValueError(f'eps must be > 0 (log(eps) must be finite), got {eps}')
        self.mode = mode
        self.threshold = None if threshold is None else float(threshold)
        self.eps = float(eps)

    # ------------------------------------------------------------------------------- checks --
    def _sizes(self, query: Tensor, key: Tensor) -> Tuple[int, int, int]:
        """(batch, num_queries, num_keys) of ``query`` / ``key``, after shape checks."""
        if query.dim() != 3 or key.dim() != 3:
            raise ValueError(f'query and key must be 3-D, got {tuple(query.shape)} and '
                             f'{tuple(key.shape)}')
        if query.shape[-1] != self.embed_dims or key.shape[-1] != self.attn.kdim:
            raise ValueError(f'embed dims mismatch: query {query.shape[-1]}, key {key.shape[-1]},'
                             f' module expects {self.embed_dims} and {self.attn.kdim}')
        b_dim, n_dim = (0, 1) if self.batch_first else (1, 0)
        if query.shape[b_dim] != key.shape[b_dim]:
            raise ValueError(f'query {tuple(query.shape)} and key {tuple(key.shape)} have '
                             f'different batch sizes (batch_first={self.batch_first})')
        return query.shape[b_dim], query.shape[n_dim], key.shape[n_dim]

    def _check_relevance(self, key_relevance: Tensor, batch: int, num_keys: int) -> None:
        if key_relevance.shape != (batch, num_keys):
            raise ValueError(f'key_relevance must have shape (batch, num_keys) = '
                             f'({batch}, {num_keys}), got {tuple(key_relevance.shape)}')

    # ---------------------------------------------------------------------------- the mask --
    def _base_mask(self, attn_mask: Optional[Tensor], key_padding_mask: Optional[Tensor],
                   batch: int, num_queries: int, num_keys: int, dtype: torch.dtype,
                   device: torch.device) -> Tensor:
        """Given masks as one additive float mask ``(B, heads, Q, K)`` (bool True -> -inf)."""
        base = torch.zeros((batch, self.num_heads, num_queries, num_keys), dtype=dtype,
                           device=device)
        if attn_mask is not None:
            shapes = ((num_queries, num_keys), (batch * self.num_heads, num_queries, num_keys))
            if tuple(attn_mask.shape) not in shapes:
                raise ValueError(f'attn_mask must have shape {shapes[0]} or {shapes[1]}, got '
                                 f'{tuple(attn_mask.shape)}')
            if attn_mask.dim() == 3:
                attn_mask = attn_mask.reshape(batch, self.num_heads, num_queries, num_keys)
            base = _add_mask(base, attn_mask.to(device))
        if key_padding_mask is not None:
            if key_padding_mask.shape != (batch, num_keys):
                raise ValueError(f'key_padding_mask must have shape ({batch}, {num_keys}), got '
                                 f'{tuple(key_padding_mask.shape)}')
            base = _add_mask(base, key_padding_mask[:, None, None, :].to(device))
        return base

    def oma_masks(self, query: Tensor, key: Tensor, key_relevance: Optional[Tensor],
                  attn_mask: Optional[Tensor] = None,
                  key_padding_mask: Optional[Tensor] = None
                  ) -> Tuple[Optional[Tensor], Optional[Tensor]]:
        """The ``(attn_mask, key_padding_mask)`` pair to give the wrapped attention.

        Either the inputs unchanged (OMA is a no-op here) or one float mask of shape
        ``(B * num_heads, Q, K)`` holding the given masks plus OMA, with ``key_padding_mask=None``.
        """
        if key_relevance is None or self.mode == 'off':  # plain attention, inputs untouched
            return attn_mask, key_padding_mask
        batch, num_queries, num_keys = self._sizes(query, key)
        self._check_relevance(key_relevance, batch, num_keys)
        relevance = key_relevance.to(device=query.device, dtype=query.dtype)
        if self.mode == 'hard':
            blocked = (relevance < self.threshold)[:, None, None, :]  # (B, 1, 1, K)
            if not blocked.any():
                return attn_mask, key_padding_mask
            base = self._base_mask(attn_mask, key_padding_mask, batch, num_queries, num_keys,
                                   query.dtype, query.device)
            # rows left with no key fall back to plain attention (OMA dropped there only)
            empty = ~((base != float('-inf')) & ~blocked).any(dim=-1, keepdim=True)
            blocked = blocked & ~empty
            if not blocked.any():
                return attn_mask, key_padding_mask
            combined = base.masked_fill(blocked, float('-inf'))
        else:
            if self.threshold is not None:
                relevance = relevance.masked_fill(relevance < self.threshold, 0.)
            log_rel = relevance.clamp(min=self.eps, max=1.).log()  # exactly 0 where r == 1
            if not (log_rel != 0).any():
                return attn_mask, key_padding_mask
            base = self._base_mask(attn_mask, key_padding_mask, batch, num_queries, num_keys,
                                   query.dtype, query.device)
            combined = base + log_rel[:, None, None, :]
        return combined.flatten(0, 1), None

    # ------------------------------------------------------------------------------ forward --
    def forward(self,
                query: Tensor,
                key: Optional[Tensor] = None,
                value: Optional[Tensor] = None,
                identity: Optional[Tensor] = None,
                query_pos: Optional[Tensor] = None,
                key_pos: Optional[Tensor] = None,
                attn_mask: Optional[Tensor] = None,
                key_padding_mask: Optional[Tensor] = None,
                key_relevance: Optional[Tensor] = None,
                **kwargs) -> Tensor:
        """:meth:`MultiheadAttention.forward` with keys gated by ``key_relevance`` ``(B, K)``.

        ``key_relevance=None`` is plain attention.
        """
        attn_mask, key_padding_mask = self.oma_masks(
            query, query if key is None else key, key_relevance, attn_mask, key_padding_mask)
        return super().forward(
            query=query, key=key, value=value, identity=identity, query_pos=query_pos,
            key_pos=key_pos, attn_mask=attn_mask, key_padding_mask=key_padding_mask, **kwargs)

    def attention_weights(self,
                          query: Tensor,
                          key: Optional[Tensor] = None,
                          query_pos: Optional[Tensor] = None,
                          key_pos: Optional[Tensor] = None,
                          attn_mask: Optional[Tensor] = None,
                          key_padding_mask: Optional[Tensor] = None,
                          key_relevance: Optional[Tensor] = None) -> Tensor:
        """Attention probabilities ``(B, num_heads, Q, K)`` that :meth:`forward` uses.

        Meant for analysis and tests (call it in eval mode: attention dropout is applied to the
        returned weights while training). Values do not enter the weights, so none is taken.
        """
        key = query if key is None else key
        attn_mask, key_padding_mask = self.oma_masks(query, key, key_relevance, attn_mask,
                                                     key_padding_mask)
        return multihead_attention_weights(self, query, key, query_pos, key_pos, attn_mask,
                                           key_padding_mask)


def multihead_attention_weights(module: MultiheadAttention, query: Tensor,
                                key: Optional[Tensor] = None,
                                query_pos: Optional[Tensor] = None,
                                key_pos: Optional[Tensor] = None,
                                attn_mask: Optional[Tensor] = None,
                                key_padding_mask: Optional[Tensor] = None) -> Tensor:
    """Attention probabilities ``(B, num_heads, Q, K)`` of an mmcv ``MultiheadAttention`` call
    with the given masks (positional encodings added as mmcv's forward adds them)."""
    key = query if key is None else key
    if key_pos is None and query_pos is not None and query_pos.shape == key.shape:
        key_pos = query_pos
    if query_pos is not None:
        query = query + query_pos
    if key_pos is not None:
        key = key + key_pos
    if module.batch_first:
        query, key = query.transpose(0, 1), key.transpose(0, 1)
    _, weights = module.attn(query=query, key=key, value=key, attn_mask=attn_mask,
                             key_padding_mask=key_padding_mask, need_weights=True,
                             average_attn_weights=False)
    return weights


def _add_mask(base: Tensor, mask: Tensor) -> Tensor:
    """Add ``mask`` (bool/byte: True -> -inf, float: added) to the float ``base``."""
    if mask.dtype.is_floating_point:
        return base + mask.to(base.dtype)
    return base.masked_fill(mask.bool(), float('-inf'))
