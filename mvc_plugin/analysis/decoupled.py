"""Diagnostics of the decoupled DVIS++ model (:class:`DVISPlusVideoSegmentor`), for the ablation.

* :class:`KeyAttentionProbe` reads, on every key attention of the referring tracker and of the
  temporal refiner (``KeyAttentionLayer``: the object queries attend to the segmenter's frame
  queries), the attention mass that lands on **background** frame queries: relevance
  ``r < tau``, ``r`` = the segmenter's object probability, the gate OMA acts on. Plain and OMA
  attention alike (OMA's masks are applied as in its forward), so a baseline is measured too.
* :func:`score_test_set` runs one pass over a test loader with the config's own evaluator (the
  official metric: YouTube-VIS AP, VSPW mIoU / VC8, VIPSeg VPQ), optionally with a share of the
  input blocks masked (:class:`~.masking.InputMasker`, the same seed for every model), and for
  VIS the identity switches and flicker per 100 frames (:class:`~.consistency.VISConsistency`).
"""
from contextlib import ExitStack
from typing import Any, Dict, List, Optional

import numpy as np
import torch
from mmengine.evaluator import Evaluator
from torch import nn

from mvc_plugin.models.mvc.patch_mask_generator import PatchMaskGenerator
from .attention import attention_mass, query_attention_weights
from .consistency import VISConsistency
from .masking import InputMasker
from .tasks import frame_tracks, undefined_to_none

__all__ = ['KeyAttentionProbe', 'score_test_set']


class KeyAttentionProbe:
    """Mean attention mass on background keys per part (``tracker`` / ``refiner``).

    A context manager: forward hooks on the ``cross_attn`` (``KeyAttentionLayer``) of every
    tracker and refiner layer of ``model`` while active. ``summary()`` gives, per part, the mean
    over calls, heads and object queries of the softmax weight on keys with ``r < tau``, and the
    share of keys that are background.
    """

    PARTS = ('tracker', 'refiner')

    def __init__(self, model: nn.Module, tau: float = 0.5) -> None:
        from mvc_plugin.models.dvis_plus.attention_layers import KeyAttentionLayer
        self.tau = float(tau)
        parts = [(p, getattr(model, p, None)) for p in self.PARTS]
        self.layers = [(part, module) for part, root in parts if root is not None
                       for module in root.modules() if isinstance(module, KeyAttentionLayer)]
        if not self.layers:
            raise ValueError(f'{type(model).__name__} has no tracker / refiner key attention '
                             '(KeyAttentionLayer) to probe')
        self._sums = {p: [0.0, 0.0, 0] for p in self.PARTS}  # mass, background share, calls
        self._handles: List[Any] = []

    def __enter__(self) -> 'KeyAttentionProbe':
        for part, module in self.layers:
            self._handles.append(module.register_forward_hook(self._hook(part),
                                                              with_kwargs=True))
        return self

    def __exit__(self, *exc: Any) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def _hook(self, part: str):
        def hook(module: nn.Module, args: tuple, kwargs: dict, output: Any) -> None:
            names = ('query', 'key', 'value', 'identity', 'key_relevance')
            call = dict(zip(names, args), **kwargs)
            relevance = call.get('key_relevance')
            if relevance is None:
                return  # no relevance given: nothing defines background
            with torch.no_grad():
                weights = query_attention_weights(module.attn, call['query'], call['key'],
                                                  key_relevance=relevance)
                mass = attention_mass(weights, relevance, self.tau)
            sums = self._sums[part]
            sums[0] += float(mass['mass_on_background'].mean())
            sums[1] += float(mass['background_key_share'].mean())
            sums[2] += 1
        return hook

    def summary(self) -> Dict[str, Optional[float]]:
        """``{'<part>_mass_on_background', '<part>_background_key_share'}``; None where the part
        was not called (e.g. no refiner in an online model)."""
        out: Dict[str, Optional[float]] = {}
        for part, (mass, share, calls) in self._sums.items():
            out[f'{part}_mass_on_background'] = mass / calls if calls else None
            out[f'{part}_background_key_share'] = share / calls if calls else None
        return out


def _add_consistency(counter: VISConsistency, outputs: List[Any]) -> None:
    """Feed the per-frame tracks and GT of DVIS++ VIS outputs to the switch / flicker counter."""
    for sample in outputs:
        counter.start_video()
        for frame in sample.video_data_samples:
            masks, scores, pred_ids, gt_masks, gt_ids = frame_tracks(frame)
            counter.add_frame(dict(zip(gt_ids, gt_masks)), masks, pred_ids, scores)
        counter.end_video()


def score_test_set(model: nn.Module, loader: Any, evaluator: Evaluator,
                   mask_ratio: float = 0.0, block_size: int = 16, seed: int = 0,
                   probe: bool = False, consistency: bool = False,
                   tau: float = 0.5) -> Dict[str, Any]:
    """One test pass of a DVIS++ model; returns ``metrics`` (the evaluator's, prefixes
    dropped, undefined as None), ``masked_share`` and, when asked, ``attention`` and
    ``consistency`` (VIS: ``id_switches_per_100_frames``, ``flicker_per_100_frames``).

    ``mask_ratio > 0`` masks that share of ``block_size`` blocks of every input frame (filled
    with the dataset mean, as MVC trains), drawn from ``seed``: identical for every model.
    """
    model.eval()
    generator = PatchMaskGenerator(block_size, mask_ratio, mode='frame', seed=seed)
    masker = InputMasker(model, generator, fill=0.0)
    counter = VISConsistency() if consistency else None
    attn = KeyAttentionProbe(model, tau) if probe else None
    with ExitStack() as stack, torch.no_grad():
        if mask_ratio > 0:
            stack.enter_context(masker)
        if attn is not None:
            stack.enter_context(attn)
        for data in loader:
            outputs = model.test_step(data)
            evaluator.process(data_samples=outputs, data_batch=data)
            if counter is not None:
                _add_consistency(counter, outputs)
    raw = evaluator.evaluate(len(loader.dataset))
    metrics = {key.split('/')[-1]: undefined_to_none(value) for key, value in raw.items()}
    out: Dict[str, Any] = dict(metrics=metrics, masked_share=(
        masker.masked_share if mask_ratio > 0 else 0.0))
    if attn is not None:
        out['attention'] = attn.summary()
    if counter is not None:
        out['consistency'] = {k: v for k, v in counter.summary().items()
                              if isinstance(v, (int, float, np.floating)) or v is None}
    return out
