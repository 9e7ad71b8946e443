"""Plug-in side of the DVIS++ loss parity (``tools/dev/dvispp_loss_parity.py`` and the
recorded test): random loss inputs and the plug-in's losses / matchings on them.

A *case* holds ``L`` decoder layers of predictions for ``B`` videos of ``T`` frames and the
videos' objects: labels, ``ids (G, T)`` (-1 = absent; objects appear late, leave and come
back; one video has no object) and masks. Each component function returns ``{'losses':
{name: value}, 'matches': [(queries, objects)]}`` with the plug-in's loss names:

* ``criterion``: :class:`DVISPlusVideoSetCriterion` with the video matcher on the clips, and
  with the consistent matcher on the frames (``matcher_outputs`` = separate "segmenter"
  predictions, and without);
* ``segmenter``: :class:`ReIDMask2FormerHead` clip losses (mmdet's Mask2Former loss per frame
  with clip-wide targets + the CTVIS re-id loss) on per-frame samples that hold only the
  objects present in the frame, as the data pipeline gives them.

Every function seeds the torch, Python and numpy RNGs with the case's seed first.
"""
import random
from typing import Dict, List, Optional

import numpy as np
import torch
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData
from torch import Tensor

from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks

__all__ = ['LOSS_SIZES', 'OURS', 'compare_losses', 'make_loss_case', 'ours_criterion',
           'ours_segmenter', 'reseed']

#: frames, videos, queries, classes, layers, prediction / target size, points, re-id width,
#: negatives; ``official`` = the official numbers of points / queries / negatives.
LOSS_SIZES = dict(
    small=dict(frames=4, videos=3, queries=12, classes=5, layers=3, pred=12, gt=24, points=64,
               reid=8, negatives=7),
    official=dict(frames=5, videos=3, queries=100, classes=40, layers=4, pred=32, gt=128,
                  points=12544, reid=16, negatives=99))


def reseed(seed: int) -> None:
    torch.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed)


def _presence(num_objects: int, frames: int, gen: torch.Generator) -> Tensor:
    """``(G, T)`` bool: object 0 everywhere, the others appear late / leave / come back."""
    pres = torch.rand(num_objects, frames, generator=gen) > 0.35
    pres[:1] = True
    if num_objects > 1:
        pres[1, :frames - 1] = False  # appears on the last frame only
        pres[1, -1] = True
    if num_objects > 2:
        pres[2, 0] = False
        pres[2, 1] = True
    return pres


def make_loss_case(seed: int, size: str = 'small') -> Dict:
    """Random predictions and targets (see the module docstring)."""
    s = LOSS_SIZES[size]
    gen = torch.Generator().manual_seed(seed)
    b, t, q, k, L = s['videos'], s['frames'], s['queries'], s['classes'], s['layers']
    p, g = s['pred'], s['gt']
    objects = [4, 3, 0][:b] + [2] * max(0, b - 3)
    labels, ids, masks = [], [], []
    for n in objects:
        pres = _presence(n, t, gen)
        labels.append(torch.randint(0, k, (n,), generator=gen))
        ids.append(torch.where(pres, torch.arange(n)[:, None] * 3 + 1, -1))
        m = torch.zeros(n, t, g, g)
        for i in range(n):
            for f in range(t):
                if pres[i, f]:
                    y, x = torch.randint(0, g - 4, (2,), generator=gen).tolist()
                    hh, ww = torch.randint(3, g // 2, (2,), generator=gen).tolist()
                    m[i, f, y:y + hh, x:x + ww] = 1
        masks.append(m)
    def r(x: Tensor) -> Tensor:  # float16 values: the recorded fixture stores them exactly
        return x.half().float()

    return dict(
        size=size, seed=seed, labels=labels, ids=ids, masks=masks,
        video_logits=r(torch.randn(L, b, q, k + 1, generator=gen) * 2),
        video_masks=r(torch.randn(L, b, q, t, p, p, generator=gen) * 3),
        frame_logits=r(torch.randn(L, b, t, q, k + 1, generator=gen) * 2),
        frame_masks=r(torch.randn(L, b, q, t, p, p, generator=gen) * 3),
        guide_logits=r(torch.randn(b, t, q, k + 1, generator=gen) * 2),
        guide_masks=r(torch.randn(b, q, t, p, p, generator=gen) * 3),
        reid=r(torch.randn(b, t, q, s['reid'], generator=gen)))


def video_outputs(case: Dict) -> Dict:
    """Official layout: ``pred_logits (B, Q, K+1)``, ``pred_masks (B, Q, T, H, W)``, aux."""
    layers = [dict(pred_logits=lg.clone(), pred_masks=m.clone())
              for lg, m in zip(case['video_logits'], case['video_masks'])]
    return dict(layers[-1], aux_outputs=layers[:-1])


def frame_outputs(case: Dict, logits: Tensor, masks: Tensor) -> Dict:
    """``(B, T, Q, K+1)`` / ``(B, Q, T, H, W)`` as 1-frame videos ``(B*T, ...)``."""
    return dict(pred_logits=logits.flatten(0, 1).clone(),
                pred_masks=masks.transpose(1, 2).flatten(0, 1)[:, :, None].clone())


def frame_targets(case: Dict) -> List[Dict[str, Tensor]]:
    """Per frame of each video: all its objects (``ids (G, 1)``, ``masks (G, 1, H, W)``)."""
    return [dict(labels=lb, ids=i[:, [f]], masks=m[:, [f]])
            for lb, i, m in zip(case['labels'], case['ids'], case['masks'])
            for f in range(i.shape[1])]


def _criterion(case: Dict, consistent: bool, weights: Optional[Dict] = None):
    from mvc_plugin.models.dvis_plus import (DVISPlusConsistentVideoMatcher,
                                             DVISPlusVideoHungarianMatcher,
                                             DVISPlusVideoSetCriterion)
    s = LOSS_SIZES[case['size']]
    costs = dict(cost_class=2.0, cost_mask=5.0, cost_dice=5.0, num_points=s['points'])
    matcher = DVISPlusConsistentVideoMatcher(frames=s['frames'], **costs) if consistent \
        else DVISPlusVideoHungarianMatcher(**costs)
    kw = dict(num_points=s['points'], oversample_ratio=3.0, importance_sample_ratio=0.75)
    kw.update(weights or {})
    return DVISPlusVideoSetCriterion(s['classes'], matcher, **kw)


def ours_criterion(case: Dict, **overrides) -> Dict[str, Dict]:
    """The three criterion runs (keys ``video.*``, ``consistent_guided.*``,
    ``consistent.*``); ``overrides``: criterion arguments (planted changes)."""
    losses, matches = {}, []
    runs = (('video', False, None), ('consistent_guided', True, 'guide'),
            ('consistent', True, None))
    for name, consistent, guide in runs:
        crit = _criterion(case, consistent, overrides)
        if consistent:
            layers = [frame_outputs(case, lg, m)
                      for lg, m in zip(case['frame_logits'], case['frame_masks'])]
            outputs = dict(layers[-1], aux_outputs=layers[:-1])
            targets = frame_targets(case)
        else:
            outputs = video_outputs(case)
            targets = [dict(labels=lb, ids=i, masks=m)
                       for lb, i, m in zip(case['labels'], case['ids'], case['masks'])]
        guided = frame_outputs(case, case['guide_logits'], case['guide_masks']) \
            if guide else None
        reseed(case['seed'])
        out, match = crit(outputs, targets, matcher_outputs=guided, ret_match_result=True)
        losses.update({f'{name}.{k}': v for k, v in out.items()})
        matches += match
    return dict(losses=losses, matches=matches)


def frame_samples(case: Dict) -> List[DetDataSample]:
    """Per-frame samples holding only the objects present in the frame."""
    g = LOSS_SIZES[case['size']]['gt']
    out = []
    for lb, ids, m in zip(case['labels'], case['ids'], case['masks']):
        for f in range(ids.shape[1]):
            keep = ids[:, f] != -1
            sample = DetDataSample(metainfo=dict(img_shape=(g, g), pad_shape=(g, g),
                                                 batch_input_shape=(g, g)))
            sample.gt_instances = InstanceData(
                labels=lb[keep], instances_ids=ids[keep, f],
                masks=BitmapMasks(m[keep, f].numpy().astype(np.uint8), g, g))
            out.append(sample)
    return out


_HEADS: Dict = {}


def segmenter_head(size: str, **overrides):
    """A small :class:`ReIDMask2FormerHead` with the official loss settings (identity re-id
    MLP, so the case's re-id embeddings are its queries)."""
    key = (size, tuple(sorted(overrides.items())))
    if key not in _HEADS:
        from mmdet.registry import MODELS
        from mmdet.utils import register_all_modules
        register_all_modules(init_default_scope=False)
        import mvc_plugin.models  # noqa: F401
        s, c = LOSS_SIZES[size], 32
        attn = dict(embed_dims=c, num_heads=4, dropout=0.0, batch_first=True)
        ffn = dict(embed_dims=c, feedforward_channels=64, num_fcs=2, ffn_drop=0.0)
        k = s['classes']
        cfg = dict(
            type='ReIDMask2FormerHead', in_channels=[c] * 4, strides=[4, 8, 16, 32],
            feat_channels=c, out_channels=c, num_things_classes=k, num_stuff_classes=0,
            num_queries=s['queries'], num_transformer_feat_level=3,
            pixel_decoder=dict(type='MSDeformAttnPixelDecoder', num_outs=3,
                               norm_cfg=dict(type='GN', num_groups=8), act_cfg=dict(type='ReLU'),
                               encoder=dict(num_layers=1, layer_cfg=dict(
                                   self_attn_cfg=dict(attn, num_levels=3, num_points=4),
                                   ffn_cfg=ffn)),
                               positional_encoding=dict(num_feats=c // 2, normalize=True)),
            enforce_decoder_input_project=False,
            positional_encoding=dict(num_feats=c // 2, normalize=True),
            transformer_decoder=dict(return_intermediate=True, num_layers=s['layers'] - 1,
                                     layer_cfg=dict(self_attn_cfg=attn, cross_attn_cfg=attn,
                                                    ffn_cfg=ffn), init_cfg=None),
            loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=2.0,
                          reduction='mean',
                          class_weight=[1.0] * k + [overrides.get('eos_coef', 0.1)]),
            loss_mask=dict(type='CrossEntropyLoss', use_sigmoid=True, reduction='mean',
                           loss_weight=5.0),
            loss_dice=dict(type='DiceLoss', use_sigmoid=True, activate=True, reduction='mean',
                           naive_dice=True, eps=1.0, loss_weight=5.0),
            train_cfg=dict(
                num_points=s['points'], oversample_ratio=3.0, importance_sample_ratio=0.75,
                assigner=dict(type='HungarianAssigner', match_costs=[
                    dict(type='ClassificationCost', weight=2.0),
                    dict(type='CrossEntropyLossCost', weight=5.0, use_sigmoid=True),
                    dict(type='DiceCost', weight=5.0, pred_act=True, eps=1.0)]),
                sampler=dict(type='MaskPseudoSampler')),
            num_reid_head_layers=0,
            reid_loss=dict(type='CTVISContrastiveLoss', num_negatives=s['negatives'],
                           reid_weight=overrides.get('reid_weight', 2.0),
                           aux_reid_weight=3.0, momentum_embed=True,
                           matcher=dict(type='DVISPlusVideoHungarianMatcher', cost_class=2.0,
                                        cost_mask=5.0, cost_dice=5.0, num_points=s['points'])))
        _HEADS[key] = MODELS.build(ConfigDict(cfg))
    return _HEADS[key]


def ours_segmenter(case: Dict, **overrides) -> Dict[str, Dict]:
    """Segmenter-stage losses of the plug-in head, and the matching of its last layer on
    each frame (mmdet's assigner, seeded again)."""
    from mvc_plugin.models.dvis_plus.reid_mask2former_head import clip_frame_samples
    head = segmenter_head(case['size'], **overrides)
    t = case['ids'][0].shape[1]
    samples = clip_frame_samples(frame_samples(case), t)
    cls = [lg.flatten(0, 1) for lg in case['frame_logits']]
    masks = [m.transpose(1, 2).flatten(0, 1) for m in case['frame_masks']]
    reseed(case['seed'])
    losses = head.clip_losses(cls, masks, case['reid'].flatten(0, 1), samples, t)
    gts = head.preprocess_gt([s.gt_instances for s in samples], [None] * len(samples))
    reseed(case['seed'])
    matches = []
    for c, m, gt, s in zip(cls[-1], masks[-1], gts, samples):
        res = head._get_targets_single(c, m, gt, s.metainfo)[-1]
        order = torch.argsort(res.pos_inds)
        matches.append((res.pos_inds[order], res.pos_assigned_gt_inds[order]))
    return dict(losses=losses, matches=matches)


#: component -> plug-in function (the tracker / refiner stages add theirs)
OURS = dict(criterion=ours_criterion, segmenter=ours_segmenter)


def _matches_equal(a: List, b: List) -> bool:
    return len(a) == len(b) and all(
        torch.equal(qa.long(), qb.long()) and torch.equal(ga.long(), gb.long())
        for (qa, ga), (qb, gb) in zip(a, b))


def compare_losses(official: Dict, ours: Dict, component: str) -> Dict:
    """``<component>_loss_max_abs_diff`` (inf when the loss names differ),
    ``<component>_matches_equal``, ``<component>_num_terms``."""
    ol, pl = official['losses'], ours['losses']
    if set(ol) != set(pl):
        diff = float('inf')
    else:
        diff = max(float((torch.as_tensor(ol[k]).double()
                          - torch.as_tensor(pl[k]).detach().double()).abs()) for k in ol)
    return {f'{component}_loss_max_abs_diff': diff,
            f'{component}_matches_equal': _matches_equal(official['matches'], ours['matches']),
            f'{component}_num_terms': len(ol)}
