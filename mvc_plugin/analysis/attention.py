"""Attention mass on background vs object queries in a Mask2Former decoder's self-attention.

Works on any head built like mmdet's Mask2Former heads (``OMAMask2FormerTrackHead``, plain
``Mask2FormerTrackHead``, mmdet / mmseg ``Mask2FormerHead``): ``transformer_decoder.layers[i]
.self_attn`` attends over the object queries and ``cls_embed`` classifies them before the first
layer and after every layer. Forward hooks only (no model code is changed):

* ``cls_embed``'s latest output before layer i's self-attention is the class prediction layer i
  is gated by; the relevance of key k is ``r_k = 1 - p_k(no-object)`` (``relevance_from_logits``)
  for OMA and plain heads alike, so both are measured the same way; OMA modules report the
  relevance they were actually given;
* the attention probabilities are recomputed from the hooked call's arguments:
  ``ObjectMaskedAttention.attention_weights`` for OMA, the wrapped ``nn.MultiheadAttention`` with
  ``need_weights=True`` for plain mmcv ``MultiheadAttention`` (eval mode: no dropout);
* a key is **background** when ``r < tau``; a query's mass on background is the sum of its
  attention probabilities over background keys (mass on objects = 1 - that).

One *call* is one batch element of one decoder forward (a clip for VIS, a frame for VSS). Calls
whose keys are all background or all objects have a trivial split (1 or 0: hard OMA falls back
to plain attention when no key is left) and are only counted; the reported masses average the
other ("mixed") calls over heads and queries, next to the share of background keys, i.e. the mass
uniform attention would put on background.
"""
from typing import Any, Dict, List, Mapping, Optional, Tuple

import torch
from mmcv.cnn.bricks.transformer import MultiheadAttention
from torch import Tensor, nn

from mvc_plugin.models.layers.object_masked_attention import (ObjectMaskedAttention,
                                                              multihead_attention_weights,
                                                              relevance_from_logits)

__all__ = [
    'AttentionProbe', 'attention_mass', 'find_query_head', 'plot_attention',
    'query_attention_weights'
]

HEAD_NAMES = ('track_head', 'panoptic_head', 'decode_head')


def find_query_head(model: nn.Module) -> Tuple[Optional[str], Optional[nn.Module], str]:
    """``(name, head, '')`` of the model's Mask2Former-style head, or ``(None, None, reason)``."""
    tried = []
    for name in HEAD_NAMES:
        head = getattr(model, name, None)
        if not isinstance(head, nn.Module):
            continue
        layers = getattr(getattr(head, 'transformer_decoder', None), 'layers', None)
        ok = (isinstance(getattr(head, 'cls_embed', None), nn.Module) and layers is not None
              and len(layers) > 0
              and all(isinstance(getattr(layer, 'self_attn', None), MultiheadAttention)
                      for layer in layers))
        if ok:
            return name, head, ''
        tried.append(f'{name} ({type(head).__name__})')
    what = ', '.join(tried) if tried else f'no {"/".join(HEAD_NAMES)}'
    return None, None, (f'{type(model).__name__} has no object-query decoder (Mask2Former-style '
                        f'head with transformer_decoder.layers[*].self_attn and cls_embed): '
                        f'{what}')


def query_attention_weights(module: MultiheadAttention, query: Tensor,
                            key: Optional[Tensor] = None, query_pos: Optional[Tensor] = None,
                            key_pos: Optional[Tensor] = None, attn_mask: Optional[Tensor] = None,
                            key_padding_mask: Optional[Tensor] = None,
                            key_relevance: Optional[Tensor] = None, **_: Any) -> Tensor:
    """Attention probabilities ``(B, heads, Q, K)`` of an mmcv attention call (OMA or plain)."""
    if isinstance(module, ObjectMaskedAttention):
        return module.attention_weights(query, key, query_pos, key_pos, attn_mask,
                                        key_padding_mask, key_relevance)
    return multihead_attention_weights(module, query, key, query_pos, key_pos, attn_mask,
                                       key_padding_mask)


def attention_mass(weights: Tensor, relevance: Tensor, tau: float) -> Dict[str, Tensor]:
    """Per batch element: background-key share and mean mass on background keys.

    Args:
        weights: ``(B, heads, Q, K)`` attention probabilities.
        relevance: ``(B, K)`` key relevance; keys with ``r < tau`` are background.

    Returns:
        dict of ``(B,)`` tensors: ``background_key_share``, ``mass_on_background`` (mean over
        heads and queries), ``object_query_mass_on_background`` (mean over queries that are
        objects themselves, NaN if none; self-attention: query q is key q), ``num_background``.
    """
    background = relevance < tau  # (B, K)
    mass = (weights * background[:, None, None, :].to(weights.dtype)).sum(-1)  # (B, H, Q)
    per_query = mass.mean(1)  # (B, Q)
    out = dict(background_key_share=background.float().mean(-1),
               mass_on_background=per_query.mean(-1),
               num_background=background.sum(-1))
    if per_query.shape[-1] == background.shape[-1]:
        obj = (~background).float()
        n_obj = obj.sum(-1)
        out['object_query_mass_on_background'] = torch.where(
            n_obj > 0, (per_query * obj).sum(-1) / n_obj.clamp(min=1),
            torch.full_like(n_obj, float('nan')))
    return out


class AttentionProbe:
    """Context manager hooking a model's query self-attention; :meth:`summary` gives the masses.

    Args:
        model: a model with a Mask2Former-style head (see :func:`find_query_head`).
        tau: relevance threshold separating background from object keys.
    """

    def __init__(self, model: nn.Module, tau: float = 0.5) -> None:
        self.head_name, self.head, reason = find_query_head(model)
        if self.head is None:
            raise ValueError(reason)
        self.tau = float(tau)
        self.layers = list(self.head.transformer_decoder.layers)
        self._latest_cls: Optional[Tensor] = None
        self._handles: List[Any] = []
        self._stats = [dict(calls=0, mixed=0, all_background=0, all_object=0, share=0.0,
                            mass=0.0, obj_mass=0.0, obj_calls=0) for _ in self.layers]

    def __enter__(self) -> 'AttentionProbe':
        self._handles.append(self.head.cls_embed.register_forward_hook(self._cls_hook))
        for i, layer in enumerate(self.layers):
            self._handles.append(layer.self_attn.register_forward_hook(
                self._make_attn_hook(i), with_kwargs=True))
        return self

    def __exit__(self, *exc: Any) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
        self._latest_cls = None

    def _cls_hook(self, module: nn.Module, args: Any, output: Tensor) -> None:
        self._latest_cls = output.detach()

    def _make_attn_hook(self, index: int):
        def hook(module: nn.Module, args: tuple, kwargs: dict, output: Any) -> None:
            call = dict(zip(('query', 'key', 'value'), args), **kwargs)
            relevance = call.get('key_relevance')
            if relevance is None:
                if self._latest_cls is None:
                    raise RuntimeError('AttentionProbe: no class prediction before layer '
                                       f'{index} (unexpected head structure)')
                relevance = relevance_from_logits(self._latest_cls)
            with torch.no_grad():
                weights = query_attention_weights(module, **call)
                self._add(index, attention_mass(weights, relevance.detach(), self.tau))
        return hook

    def _add(self, index: int, mass: Dict[str, Tensor]) -> None:
        s = self._stats[index]
        obj_mass = mass.get('object_query_mass_on_background')
        for b, (n_bg, share) in enumerate(zip(mass['num_background'].tolist(),
                                              mass['background_key_share'].tolist())):
            s['calls'] += 1
            if n_bg == 0:
                s['all_object'] += 1
            elif share == 1.0:  # n_bg / K is exactly 1.0 only when every key is background
                s['all_background'] += 1
            else:
                s['mixed'] += 1
                s['share'] += share
                s['mass'] += float(mass['mass_on_background'][b])
                if obj_mass is not None and not torch.isnan(obj_mass[b]):
                    s['obj_mass'] += float(obj_mass[b])
                    s['obj_calls'] += 1

    def summary(self) -> List[Dict[str, Any]]:
        """Per layer: call counts, background key share, mass on background / objects."""
        rows = []
        for i, (layer, s) in enumerate(zip(self.layers, self._stats)):
            mixed = s['mixed']
            mass = s['mass'] / mixed if mixed else None
            rows.append(dict(
                layer=i, attention=type(layer.self_attn).__name__, calls=s['calls'],
                calls_mixed=mixed, calls_all_background=s['all_background'],
                calls_all_object=s['all_object'],
                background_key_share=s['share'] / mixed if mixed else None,
                mass_on_background=mass, mass_on_objects=None if mass is None else 1.0 - mass,
                object_query_mass_on_background=(s['obj_mass'] / s['obj_calls']
                                                 if s['obj_calls'] else None)))
        return rows


def plot_attention(section: Mapping[str, Any], path: str) -> None:
    """Per decoder layer: mean attention mass on background vs object keys."""
    from ._plotting import grouped_bars
    rows = section['layers']
    groups = [f'layer {r["layer"]}\n{r["calls_mixed"]}/{r["calls"]} calls mixed' for r in rows]
    series = {'mass on background keys': [r['mass_on_background'] for r in rows],
              'mass on object keys': [r['mass_on_objects'] for r in rows]}
    oma = section.get('oma')
    kind = f'OMA {oma["mode"]}, threshold {oma["threshold"]}' if oma else 'plain attention'
    calls = sum(r['calls_mixed'] for r in rows)
    grouped_bars(groups, series, 'mean attention mass',
                 f'Query self-attention, {section["head_type"]}\n({kind}; background key: '
                 f'r < {section["tau"]})', path,
                 note=(f'{calls} layer-calls had both key kinds; all-background / all-object '
                       'calls are only counted (see analysis.json)'),
                 colours=('tab:red', 'tab:blue'),
                 reference=[r['background_key_share'] for r in rows],
                 reference_label='background key share (uniform attention)')
