"""Numerical parity of the plug-in's DVIS++ modules with the official code.

    python tools/dev/dvispp_parity.py --official-root DIR [--seed N] [--size small|official]
        [--save-fixture FILE] [--losses | --losses-only] [--save-loss-fixture FILE]

``DIR`` is a checkout of the public repository ``zhang-tao-whu/DVIS_Plus`` (the folder holding
``DVIS_Plus/``). The tool imports the official decoder, tracker, noiser and refiner from it
(detectron2 / fvcore imports replaced by stand-ins, see ``official_dvispp.py``), builds them with
random weights from the seed, converts their state dicts with the checkpoint key tables, runs
official and plug-in modules on the same random inputs in eval mode and prints one JSON line:
``<component>_max_abs_diff`` for ``pixel_decoder`` (deformable-attention pixel decoder on given
backbone features), ``decoder`` (transformer decoder + re-id on given multi-scale features), ``tracker`` (logits, masks, embeddings, references, matching of every frame),
``refiner``, ``e2e_online`` / ``e2e_offline`` (decoder -> tracker [-> refiner] -> the official
VIS / VSS / VPS video results), and ``tracker_time_ratio`` / ``refiner_time_ratio``
(plug-in / official, CPU). Exit 1 when a diff exceeds 1e-4. ``--save-fixture`` writes the
official weights, inputs and outputs for the recorded-parity test.

``--losses`` adds the training-loss comparison (``dvispp_loss_parity.py``: official criterion,
matchers and segmenter / CTVIS losses vs the plug-in with the same random draws):
``<component>_loss_max_abs_diff``, ``<component>_matches_equal`` (exit 1 when False) and
``<component>_num_terms``, plus the tracker / refiner stage training
(``dvispp_video_loss_parity.py``: ``tracker_loss_max_abs_diff``, ``refiner_loss_max_abs_diff``,
1.0 when a matching differs); ``--losses-only`` runs only it, ``--save-loss-fixture FILE`` also
writes the case and the official results for the recorded loss test.
"""
import argparse
import contextlib
import json
import os.path as osp
import sys
import time
from typing import Callable, Dict

import torch

_REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, _REPO)
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from official_dvispp import load_official  # noqa: E402

from mvc_plugin.testing import (LOOSE_VPS, PARITY_SIZES, build_ours, compare_outputs,  # noqa: E402
                                load_official_weights, run_ours)

TOLERANCE = 1e-4


def randomise(module: torch.nn.Module, gen: torch.Generator) -> None:
    """Random values for every parameter (norm weights around 1), classifiers sharpened so that
    VPS keeps objects above its 0.8 threshold."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if p.dim() == 1 and 'norm' in name and name.endswith('weight'):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=gen))
            elif p.dim() == 1:
                p.copy_(0.2 * torch.randn(p.shape, generator=gen))
            else:
                p.copy_(torch.randn(p.shape, generator=gen) / p.shape[-1] ** 0.5)
            if 'class_embed' in name:
                p.mul_(12.0 if p.dim() > 1 else 0.0)


def make_inputs(s: Dict[str, int], gen: torch.Generator) -> Dict[str, torch.Tensor]:
    t, q, c, f = s['frames'], s['queries'], s['hidden'], s['feat']
    base = torch.randn(q, 2 * c, generator=gen)
    perms = [torch.randperm(q, generator=gen) for _ in range(t)]
    track = torch.stack([base[p] + 0.3 * torch.randn(q, 2 * c, generator=gen) for p in perms])
    return dict(
        backbone_feats=[torch.randn(t, c, f * 2 ** (3 - i), f * 2 ** (3 - i), generator=gen)
                        for i in range(4)],
        feats=[torch.randn(t, c, f * 2 ** i, f * 2 ** i, generator=gen) for i in range(3)],
        mask_features=torch.randn(t, c, f * 8, f * 8, generator=gen),
        track_embeds=track[None], track_embeds_no_norm=(1.5 * track + 0.1)[None],
        refine_instances=torch.randn(1, t, q, 2 * c, generator=gen),
        refine_frames=torch.randn(1, t, q, 2 * c, generator=gen),
        pad_shape=torch.tensor([f * 32, f * 32]), img_shape=torch.tensor([f * 30, f * 28]),
        ori_shape=torch.tensor([f * 20, f * 24]))


def build_official(off, s: Dict[str, int]) -> Dict[str, torch.nn.Module]:
    c = s['hidden']
    video = dict(hidden_channel=2 * c, feedforward_channel=s['ffn'], num_head=s['heads'],
                 decoder_layer_num=s['video_layers'], mask_dim=c, class_num=s['classes'])
    shapes = {f'res{i + 2}': off.shape_spec(channels=c, stride=4 * 2 ** i) for i in range(4)}
    return dict(
        pixel_decoder=off.pixel_decoder_cls(
            shapes, transformer_dropout=0.0, transformer_nheads=s['heads'],
            transformer_dim_feedforward=s['ffn'], transformer_enc_layers=1, conv_dim=c,
            mask_dim=c, norm='GN', transformer_in_features=['res3', 'res4', 'res5'],
            common_stride=4).eval(),
        decoder=off.decoder_cls(
            in_channels=c, mask_classification=True, num_classes=s['classes'], hidden_dim=c,
            num_queries=s['queries'], nheads=s['heads'], dim_feedforward=s['ffn'],
            dec_layers=s['dec_layers'], pre_norm=False, mask_dim=c,
            enforce_input_project=False, num_frames=s['frames'], num_reid_head_layers=3,
            reid_hidden_dim=c).eval(),
        tracker=off.tracker_cls(**video, noise_mode='wa', noise_ratio=0.8).eval(),
        refiner=off.refiner_cls(**video, windows=s['windows']).eval())


def _bctq(x: torch.Tensor) -> torch.Tensor:
    return x.permute(0, 3, 1, 2)  # (b, t, q, c) -> (b, c, t, q)


@contextlib.contextmanager
def _float_keeps_dtype():
    """``Tensor.float()`` as a no-op, so a float64 comparison stays float64 throughout."""
    original = torch.Tensor.float
    torch.Tensor.float = lambda self, *args, **kwargs: self
    try:
        yield
    finally:
        torch.Tensor.float = original


def _btqc(x: torch.Tensor) -> torch.Tensor:
    return x.permute(0, 2, 3, 1)  # (b, c, t, q) -> (b, t, q, c)


def _video_results(off, model, s, res, aux, inputs) -> Dict[str, torch.Tensor]:
    """Official post-processing + inference of one video, in our layouts (VIS sorted)."""
    fake = type('Self', (), {})()
    fake.sem_seg_head = type('Head', (), {'num_classes': s['classes']})()
    fake.num_queries, fake.max_num, fake.device = s['queries'], s['max_num'], 'cpu'
    fake.object_mask_threshold = fake.overlap_threshold = 0.8
    fake.metadata = type('Meta', (), {'thing_dataset_id_to_contiguous_id':
                                      {i: i for i in range(s['things'])}})()
    res = dict(res)
    if aux is None:
        res, aux_logits = off.inference['post_processing'](fake, res), None
    else:
        res, aux_logits = off.inference['post_processing'](fake, res, aux_logits=aux)
    args = (res['pred_logits'][0], res['pred_masks'][0], tuple(inputs['img_shape'].tolist()),
            *inputs['ori_shape'].tolist(), tuple(inputs['pad_shape'].tolist()), res['ids'][0])
    vis = off.inference['inference_video_vis'](fake, *args, aux_pred_cls=aux_logits)
    flat = [i * s['classes'] + l for i, l in zip(vis['pred_ids'], vis['pred_labels'])]
    order = sorted(range(len(flat)), key=lambda k: flat[k])  # the top-k set, by index
    vss = off.inference['inference_video_vss'](fake, *args, aux_pred_cls=aux_logits)
    vps = off.inference['inference_video_vps'](fake, *args, aux_pred_cls=aux_logits)
    fake.object_mask_threshold, fake.overlap_threshold = LOOSE_VPS
    fake.metadata = type('Meta', (), {'thing_dataset_id_to_contiguous_id':
                                      {i: i for i in range(s['classes'])}})()
    loose = off.inference['inference_video_vps'](fake, *args, aux_pred_cls=aux_logits)
    return {
        'vis_scores': torch.tensor([vis['pred_scores'][k] for k in order],
                                   dtype=res['pred_masks'].dtype),
        'vis_labels': torch.tensor([vis['pred_labels'][k] for k in order], dtype=torch.long),
        'vis_objects': torch.tensor([int(vis['pred_ids'][k]) for k in order], dtype=torch.long),
        'vis_masks': torch.stack([vis['pred_masks'][k] for k in order]),
        'vss': vss['pred_masks'], 'vps': vps['pred_masks'],
        'vps_categories': torch.tensor([i['category_id'] for i in vps['segments_infos']],
                                       dtype=torch.long),
        'vps_loose': loose['pred_masks'],
        'vps_loose_categories': torch.tensor(
            [i['category_id'] for i in loose['segments_infos']], dtype=torch.long)}


@torch.no_grad()
def run_official(off, models, s, inputs) -> Dict[str, torch.Tensor]:
    out = {}
    with _float_keeps_dtype():  # the official pixel decoder casts its inputs to float32
        mask_feats, _, multi_scale = models['pixel_decoder'].forward_features(
            {f'res{i + 2}': x for i, x in enumerate(inputs['backbone_feats'])})
    out['pixel_decoder.mask_features'] = mask_feats
    for i, x in enumerate(multi_scale):
        out[f'pixel_decoder.level{i}'] = x
    dec = models['decoder'](list(inputs['feats']), inputs['mask_features'])
    out['decoder.cls'] = torch.stack([a['pred_logits'] for a in dec['aux_outputs']]
                                     + [dec['pred_logits']])[:, 0]
    out['decoder.masks'] = torch.stack([a['pred_masks'] for a in dec['aux_outputs']]
                                       + [dec['pred_masks']])[:, 0].transpose(1, 2)
    out['decoder.embeds'] = _btqc(dec['pred_embds'])
    out['decoder.embeds_no_norm'] = _btqc(dec['pred_embds_without_norm'])
    feats5 = inputs['mask_features'][None]
    trk, idx = models['tracker'](_bctq(inputs['track_embeds']), feats5, return_indices=True,
                                 frame_embeds_no_norm=_bctq(inputs['track_embeds_no_norm']))
    out.update({'tracker.pred_logits': trk['pred_logits'], 'tracker.pred_masks': trk['pred_masks'],
                'tracker.pred_embds': _btqc(trk['pred_embds']),
                'tracker.pred_references': _btqc(trk['pred_references']),
                'tracker.indices': torch.as_tensor([list(i) for i in idx])[None].long()})
    ref = models['refiner'](_bctq(inputs['refine_instances']), _bctq(inputs['refine_frames']),
                            feats5)
    out.update({'refiner.pred_logits': ref['pred_logits'], 'refiner.pred_masks': ref['pred_masks'],
                'refiner.pred_embds': _btqc(ref['pred_embds'])})
    online = models['tracker'](dec['pred_embds'], feats5,
                               frame_embeds_no_norm=dec['pred_embds_without_norm'])
    offline = models['refiner'](online['pred_embds'], dec['pred_embds_without_norm'], feats5)
    for mode, res, aux in (('online', online, None), ('offline', offline,
                                                      online['pred_logits'])):
        for k, v in _video_results(off, models, s, res, aux, inputs).items():
            out[f'e2e_{mode}.{k}'] = v
    return out


def _ratio(ours: Callable, official: Callable, repeats: int = 7) -> float:
    """``min time(ours) / min time(official)``, the two run alternately after a warm-up (the
    minimum is the least disturbed by other work on the machine)."""
    best = [float('inf'), float('inf')]
    for i in range(repeats + 1):
        for k, fn in enumerate((ours, official)):
            start = time.perf_counter()
            fn()
            if i:
                best[k] = min(best[k], time.perf_counter() - start)
    return best[0] / best[1]


@torch.no_grad()
def time_ratios(models, ours, inputs) -> Dict[str, float]:
    feats5 = inputs['mask_features'][None]
    e, n = inputs['track_embeds'], inputs['track_embeds_no_norm']
    i, f = inputs['refine_instances'], inputs['refine_frames']
    pairs = dict(
        tracker=(lambda: ours['tracker'](e, n, feats5),
                 lambda: models['tracker'](_bctq(e), feats5, frame_embeds_no_norm=_bctq(n))),
        refiner=(lambda: ours['refiner'](i, f, feats5),
                 lambda: models['refiner'](_bctq(i), _bctq(f), feats5)))
    return {f'{k}_time_ratio': round(_ratio(a, b), 3) for k, (a, b) in pairs.items()}


def official_r50_key_shapes(off, num_classes: int = 40) -> Dict[str, list]:
    """Names and shapes of an official DVIS++ R50 offline model's parameters and buffers,
    without the backbone (detectron2's ResNet is not imported here): the official module
    structure at the published sizes (Mask2Former R50: 100 queries, 10 decoder layers, pixel
    decoder 6 encoder layers with FFN 1024; tracker / refiner 6 layers, width 512)."""
    widths = dict(res2=256, res3=512, res4=1024, res5=2048)
    shapes = {k: off.shape_spec(channels=c, stride=4 * 2 ** i)
              for i, (k, c) in enumerate(widths.items())}
    video = dict(hidden_channel=512, feedforward_channel=2048, num_head=8, decoder_layer_num=6,
                 mask_dim=256, class_num=num_classes)
    parts = {
        'sem_seg_head.pixel_decoder.': off.pixel_decoder_cls(
            shapes, transformer_dropout=0.0, transformer_nheads=8,
            transformer_dim_feedforward=1024, transformer_enc_layers=6, conv_dim=256,
            mask_dim=256, norm='GN', transformer_in_features=['res3', 'res4', 'res5'],
            common_stride=4),
        'sem_seg_head.predictor.': off.decoder_cls(
            in_channels=256, mask_classification=True, num_classes=num_classes, hidden_dim=256,
            num_queries=100, nheads=8, dim_feedforward=2048, dec_layers=9, pre_norm=False,
            mask_dim=256, enforce_input_project=False, num_frames=5, num_reid_head_layers=3,
            reid_hidden_dim=256),
        'tracker.': off.tracker_cls(**video, noise_mode='wa'),
        'refiner.': off.refiner_cls(**video, windows=3)}
    return {prefix + k: list(v.shape) for prefix, m in parts.items()
            for k, v in m.state_dict().items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--official-root', required=True)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--size', choices=sorted(PARITY_SIZES), default='official')
    parser.add_argument('--losses', action='store_true',
                        help='also compare the training losses (dvispp_loss_parity.py): '
                             '<component>_loss_max_abs_diff / _matches_equal / _num_terms')
    parser.add_argument('--losses-only', action='store_true',
                        help='only the loss comparison (no module parity)')
    parser.add_argument('--save-loss-fixture', metavar='FILE',
                        help='write the loss case and the official losses / matchings for the '
                             'recorded loss test (implies --losses-only)')
    parser.add_argument('--dtype', choices=('float64', 'float32'), default='float64',
                        help='precision of the comparison (float64: implementation differences '
                             'stand far above rounding)')
    parser.add_argument('--save-fixture', metavar='FILE')
    parser.add_argument('--save-r50-keys', metavar='FILE',
                        help='write the official R50 model key names and shapes (JSON) for the '
                             'converter test, then exit')
    args = parser.parse_args()
    if args.losses_only or args.save_loss_fixture:
        result = dict(seed=args.seed, size=args.size)
        result.update(_loss_results(args))
        print(json.dumps(result))
        return _exit_code(result)
    off = load_official(args.official_root)
    if args.save_r50_keys:
        with open(args.save_r50_keys, 'w') as f:
            json.dump(official_r50_key_shapes(off), f, sort_keys=True)
        return 0
    s = PARITY_SIZES[args.size]
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    models = build_official(off, s)
    for m in models.values():
        randomise(m, gen)
    inputs = make_inputs(s, gen)
    ours = build_ours(s)
    weights = {k: {n: v.clone() for n, v in m.state_dict().items()} for k, m in models.items()}
    load_official_weights(ours, weights)
    result = time_ratios(models, ours, inputs)  # float32, as used
    dtype = getattr(torch, args.dtype)
    for m in list(models.values()) + list(ours.values()):
        m.to(dtype)
    inputs = {k: [x.to(dtype) for x in v] if isinstance(v, list) else
              (v.to(dtype) if v.is_floating_point() else v) for k, v in inputs.items()}
    official = run_official(off, models, s, inputs)
    result.update(compare_outputs(official, run_ours(ours, inputs, s)))
    result.update(seed=args.seed, size=args.size, dtype=args.dtype,
                  vis_objects=int(official['e2e_offline.vis_scores'].numel()),
                  vps_segments=int(official['e2e_offline.vps_categories'].numel()),
                  vps_loose_segments=int(official['e2e_offline.vps_loose_categories'].numel()),
                  tracker_non_identity_matches=int(
                      (official['tracker.indices'] != torch.arange(s['queries'])).any(-1).sum()))
    if args.save_fixture:
        compact = {k: v.to(torch.int16) if v.dtype == torch.int64 else v
                   for k, v in official.items()}
        inputs = {k: [x.float() for x in v] if isinstance(v, list) else
                  (v.float() if v.is_floating_point() else v) for k, v in inputs.items()}
        torch.save(dict(size=s, seed=args.seed, weights=weights, inputs=inputs,
                        official=compact), args.save_fixture)
    if args.losses:
        result.update(_loss_results(args))
    print(json.dumps(result))
    return _exit_code(result)


def _loss_results(args) -> Dict:
    """The loss comparison of ``args.seed`` / ``args.size`` (and the loss fixture)."""
    from dvispp_loss_parity import loss_fixture, loss_parity
    from official_dvispp import load_official_losses
    off = load_official_losses(args.official_root)
    if args.save_loss_fixture:
        torch.save(loss_fixture(off, args.seed, args.size), args.save_loss_fixture)
    result = loss_parity(off, args.seed, args.size)
    # the tracker / refiner stages (dvispp_video_loss_parity.py: official DVIS_Plus_online /
    # DVIS_Plus_offline training vs ours, their own small size)
    from dvispp_video_loss_parity import loss_parity as video_loss_parity
    video = video_loss_parity(args.official_root, args.seed)
    result.update({k: v for k, v in video.items() if k.startswith(('tracker_', 'refiner_'))})
    return result


def _exit_code(result: Dict) -> int:
    failed = [k for k, v in result.items() if (k.endswith('_max_abs_diff') and v > TOLERANCE)
              or (k.endswith('_matches_equal') and not v)]
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
