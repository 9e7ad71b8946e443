"""The plug-in's side of the DVIS++ training-loss parity check (tracker and refiner stages).

``tools/dev/dvispp_video_loss_parity.py`` runs the official ``DVIS_Plus_online.forward`` /
``DVIS_Plus_offline.forward`` training branches on given segmenter outputs; this module runs
ours (:func:`~mvc_plugin.models.dvis_plus.tracker_stage_losses` /
:func:`~mvc_plugin.models.dvis_plus.refiner_stage_losses` with ``DVISPlusVideoSetCriterion``)
on the same weights, segmenter outputs and ground truth, and compares losses and matchings.
The recorded-parity test runs it on a fixture the tool saved.

Randomness: before each side of each iteration Python's ``random``, NumPy's and torch's global
generators are seeded alike. The official noiser shuffles with ``np.random.shuffle`` where ours
uses ``torch.randperm``; for the check ours is given a NumPy shuffle (:func:`numpy_shuffles`),
after which both draw the activation (``random.random``), the weights (``torch.rand``) and the
sampled points (``torch.rand``) in the same order.
"""
import random
from typing import Dict, List, Sequence, Tuple

import numpy as np
import torch
from mmengine.structures import InstanceData
from torch import Tensor

from mmdet.structures import DetDataSample, TrackDataSample
from ..models.dvis_plus import (ClassEmbeddingMemory, ClipFrames, DVISPlusConsistentVideoMatcher,
                                DVISPlusReferringTracker, DVISPlusTemporalRefiner,
                                DVISPlusVideoHungarianMatcher, DVISPlusVideoSetCriterion,
                                refiner_stage_losses, tracker_stage_losses, video_targets)
from ..models.dvis_plus.dvis_plus_segmentor import OFFICIAL_CRITERION
from ..models.dvis_plus.official_keys import REFINER_RULES, TRACKER_RULES, convert_keys

__all__ = ['LOSS_PARITY_SIZE', 'LOSS_STAGES', 'compare_training', 'official_loss_name',
           'run_ours_training', 'seed_everything', 'track_samples']

#: ``hidden`` = segmenter width (video modules 2x); ``iterations`` per stage, guided while
#: ``it < max_iters // 2``; ``noise_ratio`` as ytvis19 ``DVIS_Plus_Online_R50_8wIter.yaml``.
LOSS_PARITY_SIZE: Dict[str, int] = dict(
    hidden=16, heads=4, ffn=32, video_layers=3, queries=8, classes=5, frames=5, feat=16,
    image=64, iterations=4, max_iters=4, noise_ratio=0.8)
LOSS_STAGES = ('tracker', 'refiner')


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2 ** 32)
    torch.manual_seed(seed)


def numpy_shuffles(tracker: DVISPlusReferringTracker) -> None:
    """Make ``tracker``'s noiser shuffle with ``np.random.shuffle`` (the official draw)."""
    def shuffle(embeds: Tensor) -> Tuple[Tensor, Tensor]:
        order = list(range(embeds.shape[0]))
        np.random.shuffle(order)
        perm = torch.as_tensor(order, device=embeds.device)
        return perm, embeds[perm]
    tracker.noiser._shuffle = shuffle


def official_loss_name(name: str) -> str:
    """``d{i}.loss_x`` (ours) -> ``loss_x_{i}`` (official)."""
    if name.startswith('d') and '.' in name:
        layer, base = name.split('.', 1)
        return f'{base}_{layer[1:]}'
    return name


def track_samples(gt: Dict[str, Tensor]) -> List[TrackDataSample]:
    """One ``TrackDataSample`` from the parity ground truth (``ids`` ``(G, T)`` with -1 where
    absent, ``labels`` ``(G,)``, ``masks`` ``(G, T, H, W)``); each frame lists its visible
    objects in reverse order (ours must sort them by id, as the official)."""
    frames = []
    for t in range(gt['ids'].shape[1]):
        rows = torch.nonzero(gt['ids'][:, t] >= 0).flatten().flip(0)
        frame = DetDataSample(metainfo=dict(img_shape=tuple(gt['masks'].shape[-2:])))
        frame.gt_instances = InstanceData(
            labels=gt['labels'][rows], instances_ids=gt['ids'][rows, t],
            masks=gt['masks'][rows, t].bool(), bboxes=torch.zeros(len(rows), 4))
        frames.append(frame)
    sample = TrackDataSample()
    sample.video_data_samples = frames
    return [sample]


def _build(s: Dict[str, int], weights: Dict[str, Dict[str, Tensor]], dtype: torch.dtype):
    video = dict(embed_dims=2 * s['hidden'], num_layers=s['video_layers'],
                 num_heads=s['heads'], ffn_channels=s['ffn'], mask_dims=s['hidden'],
                 num_classes=s['classes'])
    tracker = DVISPlusReferringTracker(**video, noise_mode='wa', noise_ratio=s['noise_ratio'])
    refiner = DVISPlusTemporalRefiner(**video)
    for module, rules, name in ((tracker, TRACKER_RULES, 'tracker'),
                                (refiner, REFINER_RULES, 'refiner')):
        converted, unmatched = convert_keys(weights[name], rules)
        if unmatched:
            raise KeyError(f'{name}: official keys without a mapping: {unmatched}')
        module.load_state_dict(converted, strict=True)
        module.to(dtype)
    numpy_shuffles(tracker)
    return tracker, refiner


def _criterion(s: Dict[str, int], stage: str) -> DVISPlusVideoSetCriterion:
    """What ``DVISPlusVideoSegmentor`` builds by default (:data:`OFFICIAL_CRITERION`)."""
    cfg = {k: v for k, v in OFFICIAL_CRITERION.items() if k != 'type'}
    costs = dict(cost_class=cfg['class_weight'], cost_mask=cfg['mask_weight'],
                 cost_dice=cfg['dice_weight'])
    if stage == 'tracker':
        matcher = DVISPlusConsistentVideoMatcher(frames=s['frames'],
                                                 num_points=cfg['num_points'], **costs)
    else:  # the T frames stacked: T times the points (official DVIS_Plus_offline.from_config)
        cfg['num_points'] *= s['frames']
        matcher = DVISPlusVideoHungarianMatcher(num_points=cfg['num_points'], **costs)
    return DVISPlusVideoSetCriterion(s['classes'], matcher, **cfg)


def run_ours_training(s: Dict[str, int], weights: Dict[str, Dict[str, Tensor]],
                      inputs: Dict[str, Tensor], gt: Dict[str, Tensor], seed: int,
                      dtype: torch.dtype = torch.float64,
                      stages: Sequence[str] = LOSS_STAGES) -> Dict[str, List]:
    """Our losses and matchings, per stage and iteration: ``{stage: [(losses, matches)]}``
    with official loss names (weighted) and matchings as ``(slots, objects)`` lists.

    ``inputs`` (official segmenter layouts, one video): ``pred_logits`` ``(1, T, Q, K+1)``,
    ``pred_masks`` ``(1, Q, T, h, w)``, ``pred_embds`` / ``pred_embds_without_norm``
    ``(1, C, T, Q)``, ``mask_features`` ``(T, Cm, h, w)``."""
    tracker, refiner = _build(s, weights, dtype)
    frames = ClipFrames(
        embeds=inputs['pred_embds'].permute(0, 2, 3, 1).to(dtype),
        embeds_no_norm=inputs['pred_embds_without_norm'].permute(0, 2, 3, 1).to(dtype),
        mask_features=inputs['mask_features'][None].to(dtype),
        cls_logits=inputs['pred_logits'].to(dtype),
        mask_logits=inputs['pred_masks'].transpose(1, 2).to(dtype))
    targets = video_targets(track_samples(gt), tuple(gt['masks'].shape[-2:]), torch.device('cpu'))
    targets = [dict(t, masks=t['masks'].to(dtype)) for t in targets]
    memory = ClassEmbeddingMemory(20)
    results: Dict[str, List] = {}
    for stage in stages:
        criterion = _criterion(s, stage)
        tracker.train(stage == 'tracker')
        refiner.train()
        results[stage] = []
        for it in range(s['iterations']):
            guided = it < s['max_iters'] // 2
            seed_everything(seed * 100 + it)
            if stage == 'tracker':
                losses, matches = tracker_stage_losses(tracker, criterion, frames, targets,
                                                       guided)
            else:
                losses, matches = refiner_stage_losses(tracker, refiner, criterion, frames,
                                                       targets, guided, memory)
            results[stage].append((
                {official_loss_name(k): float(v) for k, v in losses.items()},
                [(m[0].tolist(), m[1].tolist()) for m in matches]))
    return results


def compare_training(official: Dict[str, List], ours: Dict[str, List]) -> Dict[str, float]:
    """``<stage>_loss_max_abs_diff``: the max absolute difference of the weighted losses over
    iterations; 1.0 when the loss names or the matchings differ."""
    diffs = {}
    for stage in ours:
        worst = 0.0 if len(official[stage]) == len(ours[stage]) else 1.0
        for (lo, mo), (lu, mu) in zip(official[stage], ours[stage]):
            if set(lo) != set(lu) or [tuple(map(list, m)) for m in mo] != \
                    [tuple(map(list, m)) for m in mu]:
                worst = 1.0
                continue
            worst = max([worst] + [abs(lo[k] - lu[k]) for k in lo])
        diffs[f'{stage}_loss_max_abs_diff'] = worst
    return diffs
