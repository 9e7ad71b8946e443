"""The plug-in's side of the DVIS++ parity check (``tools/dev/dvispp_parity.py``).

The tool runs the official modules; this module builds ours at the same sizes, loads the
official weights through the checkpoint key tables, runs the same inputs and compares. The
recorded-parity test (``tests/test_models/test_dvis_plus/test_recorded_parity.py``) runs the
same code on a fixture the tool saved, so CI checks parity without the official code.

Layouts: everything is batch-first with one video, as in our modules -- frame embeddings
``(1, T, Q, C)``, masks ``(1, Q, T, H, W)``; the tool converts the official outputs to these.
"""
from typing import Dict, List

import torch
from torch import Tensor

from mmengine.config import ConfigDict

from mmdet.registry import MODELS
from ..models.dvis_plus import DVISPlusReferringTracker, DVISPlusTemporalRefiner
from ..models.dvis_plus.official_keys import (DECODER_RULES, PIXEL_DECODER_RULES,
                                              REFINER_RULES, TRACKER_RULES, convert_keys)
from ..models.dvis_plus.video_inference import (resize_video_masks, video_class_probs,
                                                vis_video_results, vss_video_results)
from ..models.dvis_plus.video_panoptic_fusion import VideoPanopticFusion

__all__ = ['LOOSE_VPS', 'PARITY_SIZES', 'build_ours', 'compare_outputs', 'load_official_weights', 'run_ours']

#: VPS thresholds (object score, overlap) of a second VPS check, with every class a thing: with
#: random weights the official 0.8 / 0.8 keep few segments, these keep several.
LOOSE_VPS = (0.3, 0.1)

#: ``hidden`` = segmenter width (tracker / refiner width = 2 x hidden, re-id branch on).
PARITY_SIZES: Dict[str, Dict[str, int]] = dict(
    small=dict(hidden=32, heads=4, ffn=64, dec_layers=3, video_layers=2, queries=10,
               classes=7, things=4, frames=6, feat=2, max_num=10, windows=4),
    official=dict(hidden=256, heads=8, ffn=2048, dec_layers=9, video_layers=6, queries=100,
                  classes=40, things=20, frames=8, feat=8, max_num=10, windows=3),
)


def _decoder_head_cfg(s: Dict[str, int]) -> dict:
    c = s['hidden']
    attn = dict(embed_dims=c, num_heads=s['heads'], dropout=0.0, batch_first=True)
    return dict(
        type='ReIDMask2FormerHead', in_channels=[c] * 4, strides=[4, 8, 16, 32],
        feat_channels=c, out_channels=c, num_things_classes=s['classes'], num_stuff_classes=0,
        num_queries=s['queries'], num_transformer_feat_level=3,
        num_reid_head_layers=3, reid_hidden_dims=c,
        pixel_decoder=dict(
            type='MSDeformAttnPixelDecoder', num_outs=3,
            norm_cfg=dict(type='GN', num_groups=32), act_cfg=dict(type='ReLU'),
            encoder=dict(num_layers=1, layer_cfg=dict(
                self_attn_cfg=dict(embed_dims=c, num_heads=s['heads'], num_levels=3,
                                   num_points=4, dropout=0.0, batch_first=True),
                ffn_cfg=dict(embed_dims=c, feedforward_channels=s['ffn'], num_fcs=2,
                             ffn_drop=0.0, act_cfg=dict(type='ReLU', inplace=True)))),
            positional_encoding=dict(num_feats=c // 2, normalize=True)),
        enforce_decoder_input_project=False,
        positional_encoding=dict(num_feats=c // 2, normalize=True),
        transformer_decoder=dict(
            return_intermediate=True, num_layers=s['dec_layers'],
            layer_cfg=dict(self_attn_cfg=attn, cross_attn_cfg=attn,
                           ffn_cfg=dict(embed_dims=c, feedforward_channels=s['ffn'],
                                        num_fcs=2, ffn_drop=0.0,
                                        act_cfg=dict(type='ReLU', inplace=True))),
            init_cfg=None),
        loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=2.0,
                      reduction='mean', class_weight=[1.0] * s['classes'] + [0.1]))


def build_ours(s: Dict[str, int]) -> Dict[str, torch.nn.Module]:
    """Our decoder head, tracker and refiner at the sizes ``s``, in eval mode."""
    video = dict(embed_dims=2 * s['hidden'], num_layers=s['video_layers'],
                 num_heads=s['heads'], ffn_channels=s['ffn'], mask_dims=s['hidden'],
                 num_classes=s['classes'])
    return dict(decoder=MODELS.build(ConfigDict(_decoder_head_cfg(s))).eval(),
                tracker=DVISPlusReferringTracker(**video).eval(),
                refiner=DVISPlusTemporalRefiner(**video, windows=s['windows']).eval())


def load_official_weights(ours: Dict[str, torch.nn.Module],
                          official: Dict[str, Dict[str, Tensor]]) -> None:
    """Load official state dicts (``pixel_decoder`` / ``decoder`` / ``tracker`` / ``refiner``)
    into ours, strictly: every official key must map and every key of ours must be filled."""
    rules = dict(pixel_decoder=PIXEL_DECODER_RULES, decoder=DECODER_RULES,
                 tracker=TRACKER_RULES, refiner=REFINER_RULES)
    converted_all: Dict[str, Dict[str, Tensor]] = {}
    for name, state in official.items():
        converted, unmatched = convert_keys(state, rules[name])
        if unmatched:
            raise KeyError(f'{name}: official keys without a mapping: {unmatched}')
        converted_all[name] = converted
    head = dict(converted_all.get('decoder', {}))
    head.update({f'pixel_decoder.{k}': v
                 for k, v in converted_all.get('pixel_decoder', {}).items()})
    ours['decoder'].load_state_dict(head, strict=True)
    for name in ('tracker', 'refiner'):
        ours[name].load_state_dict(converted_all[name], strict=True)


def _decode(head: torch.nn.Module, feats: List[Tensor], mask_features: Tensor) -> Dict:
    """Run our head's transformer decoder on given pixel-decoder outputs."""
    captured = {}

    def hook(module, args, output):
        captured['no_norm'], captured['normed'] = args[0], output

    handle = head.transformer_decoder.post_norm.register_forward_hook(hook)
    original = head.pixel_decoder.forward
    head.pixel_decoder.forward = lambda x: (mask_features, feats)
    try:
        cls_list, mask_list = head(feats, [])
    finally:
        head.pixel_decoder.forward = original
        handle.remove()
    embeds, no_norm = head.video_embeddings(captured['normed'], captured['no_norm'])
    return dict(cls=torch.stack(cls_list), masks=torch.stack(mask_list),
                embeds=embeds[None], embeds_no_norm=no_norm[None])


def _panoptic(probs: Tensor, mask_probs: Tensor, things: int, object_thr: float,
              overlap_thr: float):
    """The model's VPS path: :class:`VideoPanopticFusion`, frame by frame in two passes."""
    fusion = VideoPanopticFusion(probs, things, object_thr, overlap_thr)
    for t in range(mask_probs.shape[1]):
        fusion.count(mask_probs[:, t])
    infos = fusion.segments()
    return torch.stack([fusion.paint(mask_probs[:, t]) for t in range(mask_probs.shape[1])]), infos


@torch.no_grad()
def run_ours(ours: Dict[str, torch.nn.Module], inputs: Dict[str, Tensor],
             s: Dict[str, int]) -> Dict[str, Tensor]:
    """Our outputs for the parity inputs (see the tool for their meaning)."""
    out: Dict[str, Tensor] = {}
    mask_feats, multi_scale = ours['decoder'].pixel_decoder(list(inputs['backbone_feats']))
    out['pixel_decoder.mask_features'] = mask_feats
    for i, x in enumerate(multi_scale):
        out[f'pixel_decoder.level{i}'] = x
    dec = _decode(ours['decoder'], list(inputs['feats']), inputs['mask_features'])
    out.update({f'decoder.{k}': v for k, v in dec.items()})
    feats5 = inputs['mask_features'][None]
    trk, _ = ours['tracker'](inputs['track_embeds'], inputs['track_embeds_no_norm'], feats5)
    for k in ('pred_logits', 'pred_masks', 'pred_embds', 'pred_references', 'indices'):
        out[f'tracker.{k}'] = trk[k]
    ref = ours['refiner'](inputs['refine_instances'], inputs['refine_frames'], feats5)
    for k in ('pred_logits', 'pred_masks', 'pred_embds'):
        out[f'refiner.{k}'] = ref[k]
    # end to end: decoder -> tracker (online) -> refiner (offline) -> video results
    online, _ = ours['tracker'](dec['embeds'], dec['embeds_no_norm'], feats5)
    offline = ours['refiner'](online['pred_embds'], dec['embeds_no_norm'], feats5)
    shapes = [tuple(int(v) for v in inputs[k]) for k in ('pad_shape', 'img_shape', 'ori_shape')]
    # the official refiner returns float32 logits at test time (``windows_prediction``)
    offline = {k: offline[k].float() for k in ('pred_logits', 'pred_masks')}
    for mode, res, aux in (('online', online, None), ('offline', offline, online)):
        probs = video_class_probs(res['pred_logits'][0],
                                  None if aux is None else aux['pred_logits'][0])
        logits = resize_video_masks(res['pred_masks'][0], *shapes)
        scores, labels, objects = vis_video_results(probs, s['max_num'])
        by_index = torch.argsort(objects * probs.shape[-1] + labels)  # the top-k set, by index
        scores, labels, objects = scores[by_index], labels[by_index], objects[by_index]
        out[f'e2e_{mode}.vis_scores'] = scores
        out[f'e2e_{mode}.vis_labels'] = labels
        out[f'e2e_{mode}.vis_objects'] = objects
        out[f'e2e_{mode}.vis_masks'] = logits[objects] > 0
        mask_probs = resize_video_masks(res['pred_masks'][0], *shapes, sigmoid=True)
        out[f'e2e_{mode}.vss'] = vss_video_results(probs, mask_probs)
        pan, infos = _panoptic(probs, mask_probs, s['things'], 0.8, 0.8)
        out[f'e2e_{mode}.vps'] = pan
        out[f'e2e_{mode}.vps_categories'] = torch.tensor([i['category_id'] for i in infos],
                                                         dtype=torch.long)
        pan, infos = _panoptic(probs, mask_probs, s['classes'], *LOOSE_VPS)
        out[f'e2e_{mode}.vps_loose'] = pan
        out[f'e2e_{mode}.vps_loose_categories'] = torch.tensor(
            [i['category_id'] for i in infos], dtype=torch.long)
    return out


def _vis_diff(official: Dict[str, Tensor], ours: Dict[str, Tensor], prefix: str) -> float:
    """VIS top-k comparison that accepts swaps among (object, class) pairs tied at the k-th
    score: the official ``topk(sorted=False)`` picks any of them (with random weights the
    video scores of many objects can coincide in float32). The sorted scores must agree; pairs
    found on one side only must score the k-th score; common pairs must agree in score, label
    and mask (share of differing pixels)."""
    def pairs(out):
        objects, labels = out[prefix + 'vis_objects'].tolist(), out[prefix + 'vis_labels'].tolist()
        return {(o, l): i for i, (o, l) in enumerate(zip(objects, labels))}

    pa, pb = pairs(official), pairs(ours)
    sa, sb = official[prefix + 'vis_scores'].double(), ours[prefix + 'vis_scores'].double()
    if sa.shape != sb.shape:
        return 1.0
    diff = float((sa.sort().values - sb.sort().values).abs().max()) if sa.numel() else 0.0
    boundary = float(sa.min()) if sa.numel() else 0.0
    for side, scores in ((set(pa) - set(pb), sa), (set(pb) - set(pa), sb)):
        index = pa if scores is sa else pb
        for pair in side:
            if abs(float(scores[index[pair]]) - boundary) > 1e-6:
                return 1.0
    ma, mb = official[prefix + 'vis_masks'], ours[prefix + 'vis_masks']
    for pair in set(pa) & set(pb):
        i, j = pa[pair], pb[pair]
        diff = max(diff, float((ma[i] != mb[j]).double().mean()))
    return diff


def compare_outputs(official: Dict[str, Tensor], ours: Dict[str, Tensor]) -> Dict[str, float]:
    """``<component>_max_abs_diff`` per component (the text before the first '.'): the max
    absolute difference of float outputs; for integer / boolean outputs the share of differing
    elements (1.0 when shapes differ); VIS top-k by :func:`_vis_diff`. A key missing on either
    side counts as 1.0."""
    diffs: Dict[str, float] = {}

    def record(comp: str, d: float) -> None:
        name = f'{comp}_max_abs_diff'
        diffs[name] = max(diffs.get(name, 0.0), d)

    vis = ('vis_objects', 'vis_labels', 'vis_scores', 'vis_masks')
    for key in sorted(set(official) | set(ours)):
        comp, _, field = key.partition('.')
        a, b = official.get(key), ours.get(key)
        if a is None or b is None or a.shape != b.shape:
            d = 1.0
        elif field in vis:
            if field != 'vis_scores':
                continue
            d = _vis_diff(official, ours, comp + '.')
        elif a.is_floating_point():
            d = float((a.double() - b.double()).abs().max()) if a.numel() else 0.0
        else:
            d = float((a != b).double().mean()) if a.numel() else 0.0
        record(comp, d)
    return diffs
