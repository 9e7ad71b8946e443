"""Loss parity of the plug-in's DVIS++ training with the official code (``--losses`` of
``dvispp_parity.py``).

For a seed, :func:`mvc_plugin.testing.dvispp_losses.make_loss_case` draws predictions and
targets; each component runs the official code (imported by
:func:`official_dvispp.load_official_losses`) and the plug-in on them, each after seeding the
torch / Python / numpy RNGs with the same seed, so both draw the same random points and
negatives. Results: ``<component>_loss_max_abs_diff`` (max abs diff over every weighted loss
term, auxiliary layers included), ``<component>_matches_equal`` and
``<component>_num_terms``. Components (:data:`OFFICIAL`; other stages add theirs):

* ``criterion``: official ``VideoSetCriterion`` (``mask2former_video/modeling/criterion.py``)
  with ``VideoHungarianMatcher`` on clips, and with ``VideoHungarianMatcher_Consistent`` on
  frames (``matcher_outputs`` given, and not), weights of ``dvis_Plus/meta_architecture.py``;
* ``segmenter``: official ``CTMinVIS`` training (``dvis_Plus/ctvis.py``:
  ``frame_decoder_loss_reshape``, ``VideoSetCriterion``, ``prepare_for_cl_plugin``,
  ``CTCLPlugin.train_loss``).
"""
from typing import Callable, Dict, Tuple

import torch

from mvc_plugin.testing.dvispp_losses import (LOSS_SIZES, OURS, compare_losses, frame_outputs,
                                              frame_targets, make_loss_case, reseed,
                                              video_outputs)

__all__ = ['OFFICIAL', 'compare_losses', 'loss_fixture', 'loss_parity', 'official_criterion',
           'official_segmenter']

WEIGHTS = dict(loss_ce=2.0, loss_mask=5.0, loss_dice=5.0)  # CLASS / MASK / DICE_WEIGHT
EOS_COEF = 0.1  # NO_OBJECT_WEIGHT
CL_WEIGHTS = dict(loss_reid=2.0, loss_aux_reid=3.0)  # dvis_Plus/config.py CL_PLUGIN


def _plugin_name(name: str, ce: str = 'loss_ce') -> Tuple[str, float]:
    """Official loss name -> (plug-in name, weight): ``loss_dice_3`` -> ``d3.loss_dice``."""
    base, _, layer = name.rpartition('_')
    if layer.isdigit():
        return f'd{layer}.{base.replace("loss_ce", ce)}', WEIGHTS[base]
    return name.replace('loss_ce', ce), WEIGHTS[name]


def _criterion(off, s: Dict, consistent: bool):
    costs = dict(cost_class=2.0, cost_mask=5.0, cost_dice=5.0, num_points=s['points'])
    matcher = off.consistent_matcher_cls(frames=s['frames'], **costs) if consistent \
        else off.video_matcher_cls(**costs)
    return off.criterion_cls(s['classes'], matcher=matcher, weight_dict={},
                             eos_coef=EOS_COEF, losses=['labels', 'masks'],
                             num_points=s['points'], oversample_ratio=3.0,
                             importance_sample_ratio=0.75)


def official_criterion(off, case: Dict) -> Dict:
    """The official criterion on the three runs of ``ours_criterion``."""
    s = LOSS_SIZES[case['size']]
    losses, matches = {}, []
    for name, consistent, guide in (('video', False, None), ('consistent_guided', True, 1),
                                    ('consistent', True, None)):
        if consistent:
            layers = [frame_outputs(case, lg, m)
                      for lg, m in zip(case['frame_logits'], case['frame_masks'])]
            outputs, targets = dict(layers[-1], aux_outputs=layers[:-1]), frame_targets(case)
        else:
            outputs = video_outputs(case)
            targets = [dict(labels=lb, ids=i, masks=m)
                       for lb, i, m in zip(case['labels'], case['ids'], case['masks'])]
        guided = frame_outputs(case, case['guide_logits'], case['guide_masks']) \
            if guide else None
        reseed(case['seed'])
        out, match = _criterion(off, s, consistent)(outputs, targets, matcher_outputs=guided,
                                                    ret_match_result=True)
        for k, v in out.items():
            plugin, w = _plugin_name(k)
            losses[f'{name}.{plugin}'] = v * w
        matches += [(torch.as_tensor(q), torch.as_tensor(g)) for q, g in match]
    return dict(losses=losses, matches=matches)


def official_segmenter(off, case: Dict) -> Dict:
    """The official segmenter-stage training losses (``CTMinVIS.forward``, training branch,
    after the decoder), and the matching of its last layer on each frame."""
    s = LOSS_SIZES[case['size']]
    layers = [dict(pred_logits=lg.clone(), pred_masks=m.clone())
              for lg, m in zip(case['frame_logits'], case['frame_masks'])]
    reid = case['reid'].permute(0, 3, 1, 2).clone()  # (b, c, t, q)
    outputs = dict(layers[-1], aux_outputs=layers[:-1], pred_reid_embed=reid,
                   pred_embds=reid.clone(), pred_embds_without_norm=reid.clone(),
                   mask_features=torch.zeros(1))
    targets = [dict(labels=lb.clone(), ids=i.clone(), masks=m.clone())
               for lb, i, m in zip(case['labels'], case['ids'], case['masks'])]
    criterion = _criterion(off, s, consistent=False)
    plugin = off.cl_plugin_cls(weight_dict=dict(CL_WEIGHTS), num_negatives=s['negatives'],
                               sampling_frame_num=s['frames'], bio_cl=False,
                               momentum_embed=True, noise_embed=False)
    image_matcher = off.image_matcher_cls(cost_class=2.0, cost_mask=5.0, cost_dice=5.0,
                                          num_points=s['points'])
    reseed(case['seed'])
    outputs, targets = off.frame_decoder_loss_reshape(None, outputs, targets)
    raw = criterion(outputs, targets)
    losses = {}
    for k, v in raw.items():
        name, w = _plugin_name(k, ce='loss_cls')
        losses[name] = v * w
    det_outputs, gt_instances = off.prepare_for_cl_plugin(None, outputs, targets)
    losses.update(plugin.train_loss(det_outputs, gt_instances, image_matcher))
    reseed(case['seed'])
    match = criterion.matcher(_frame_layer(case, -1), frame_targets(case))
    return dict(losses=losses, matches=[(torch.as_tensor(q), torch.as_tensor(g))
                                        for q, g in match])


def _frame_layer(case: Dict, layer: int) -> Dict:
    return frame_outputs(case, case['frame_logits'][layer], case['frame_masks'][layer])


#: component -> official function ``(off, case) -> {'losses', 'matches'}``
OFFICIAL: Dict[str, Callable] = dict(criterion=official_criterion, segmenter=official_segmenter)


def loss_parity(off, seed: int, size: str = 'small') -> Dict:
    """Every component's comparison on the case of ``seed``."""
    case = make_loss_case(seed, size)
    result = {}
    with torch.no_grad():
        for name, official_fn in OFFICIAL.items():
            result.update(compare_losses(official_fn(off, case), OURS[name](case), name))
    return result


def loss_fixture(off, seed: int, size: str = 'small') -> Dict:
    """The case of ``seed`` and the official results, for the recorded test."""
    case = make_loss_case(seed, size)
    with torch.no_grad():
        official = {name: fn(off, case) for name, fn in OFFICIAL.items()}
    for res in official.values():
        res['losses'] = {k: torch.as_tensor(v).detach().clone() for k, v in res['losses'].items()}
    stored = {k: v.half() if isinstance(v, torch.Tensor) and v.is_floating_point() else v
              for k, v in case.items()}  # the values are float16 already (make_loss_case)
    return dict(case=stored, official=official)
