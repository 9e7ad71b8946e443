"""Training-loss parity of the DVIS++ tracker and refiner stages with the official code.

    python tools/dev/dvispp_video_loss_parity.py --official-root DIR [--seed N]
        [--save-fixture FILE]

``DIR`` holds ``DVIS_Plus/`` (a checkout of ``zhang-tao-whu/DVIS_Plus``). The official training
branches of ``DVIS_Plus_online.forward`` and ``DVIS_Plus_offline.forward`` (with
``prepare_targets``, ``frame_decoder_loss_reshape``, ``reset_image_output_order``,
``segmentor_windows_inference``, ``get_cl_loss_ref``, ``get_cl_loss_with_memory``) are compiled
from ``dvis_Plus/meta_architecture.py`` and run as methods of a stand-in model whose backbone
and segmenter head return given outputs; the official tracker / refiner (random weights),
``VideoSetCriterion`` with ``VideoHungarianMatcher_Consistent`` / ``VideoHungarianMatcher``
(weights as ``from_config`` with the R50 configs), ``loss_reid`` and
``Outputs_Memory_PerClasses`` are the official ones. Ours (``mvc_plugin/testing/
dvispp_loss_parity.py``) runs on the converted weights. Each stage runs ``iterations`` times
(memory carried over; guided matching while ``iter < max_iters // 2``), the RNGs seeded alike
before each side. Prints one JSON line with ``tracker_loss_max_abs_diff`` and
``refiner_loss_max_abs_diff`` (1.0 when a loss name or a matching differs); exit 1 above 1e-4.
The ground truth has objects appearing late and missing in some frames.
"""
import argparse
import ast
import importlib
import json
import os.path as osp
import sys
import types
from typing import Dict, List

import torch
import torch.nn.functional as F
from torch import nn

_REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, _REPO)
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

import official_dvispp  # noqa: E402
from dvispp_parity import randomise  # noqa: E402

from mvc_plugin.testing.dvispp_loss_parity import (LOSS_PARITY_SIZE, LOSS_STAGES,  # noqa: E402
                                                   compare_training, run_ours_training,
                                                   seed_everything)

__all__ = ['official_training', 'loss_parity']
TOLERANCE = 1e-4
METHODS = {
    'MinVIS': ('prepare_targets',),
    'DVIS_Plus_online': ('forward', '_get_instance_labels', 'frame_decoder_loss_reshape',
                         'reset_image_output_order', 'get_cl_loss_ref'),
    'DVIS_Plus_offline': ('forward', 'segmentor_windows_inference', 'frame_decoder_loss_reshape',
                          'get_cl_loss_with_memory'),
}


class _Einops:
    """The ``einops.rearrange`` patterns of the official training code."""

    @staticmethod
    def rearrange(x: torch.Tensor, pattern: str) -> torch.Tensor:
        if pattern == 'b q t h w -> (b t) q () h w':
            return x.transpose(1, 2).flatten(0, 1)[:, :, None]
        if pattern == 'b t q c -> (b t) q c':
            return x.flatten(0, 1)
        if pattern == 'b c t q -> (b t) q c':
            return x.permute(0, 2, 3, 1).flatten(0, 1)
        if pattern == 'b q t h w -> b q () (t h) w':
            return x.flatten(2, 3)[:, :, None]
        if pattern == 'q t h w -> q () (t h) w':
            return x.flatten(1, 2)[:, None]
        raise NotImplementedError(f'einops stand-in: pattern {pattern!r}')


class _ImageList:
    """detectron2's ``ImageList.from_tensors`` for equal-sized images."""

    def __init__(self, tensor: torch.Tensor) -> None:
        self.tensor = tensor
        self.image_sizes = [tuple(tensor.shape[-2:])] * len(tensor)

    @classmethod
    def from_tensors(cls, images, size_divisibility=0):
        return cls(torch.stack(images))


class _BitMasks:
    pass


class _Instances(types.SimpleNamespace):
    """detectron2's per-frame ``Instances`` (``image_size``, ``gt_ids``, ``gt_classes``,
    ``gt_masks``)."""

    def to(self, device):
        return self

    def __len__(self) -> int:
        return len(self.gt_ids)


class _Frozen:
    """A frozen module stand-in: ``eval()`` and a call returning ``fn(*args)``."""

    def __init__(self, fn) -> None:
        self.fn = fn

    def eval(self):
        return self

    def __call__(self, *args):
        return self.fn(*args)


def _class_functions(path: str, namespace: dict) -> Dict[str, Dict[str, object]]:
    tree = ast.parse(open(path, encoding='utf-8').read(), filename=path)
    out = {}
    for cls_name, names in METHODS.items():
        cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls_name)
        funcs = [n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name in names]
        if {f.name for f in funcs} != set(names):
            raise SystemExit(f'{path}: {cls_name} lacks {set(names) - {f.name for f in funcs}}')
        ns = dict(namespace)
        exec(compile(ast.Module(body=funcs, type_ignores=[]), path, 'exec'), ns)
        out[cls_name] = {n: ns[n] for n in names}
    return out


def _loss_modules(root: str) -> types.SimpleNamespace:
    """The official criterion and matchers: via ``official_dvispp.load_official_losses`` when
    the tool has it, else imported here with the same stand-ins (mmcv ``point_sample`` and
    mmdet ``get_uncertain_point_coords_with_randomness``, ports of detectron2's)."""
    if hasattr(official_dvispp, 'load_official_losses'):
        return official_dvispp.load_official_losses(root)
    from mmcv.ops import point_sample
    from mmdet.models.utils import get_uncertain_point_coords_with_randomness
    mod = official_dvispp._module
    mod('detectron2.utils.comm', get_world_size=lambda: 1)
    mod('detectron2.projects')
    mod('detectron2.projects.point_rend')
    mod('detectron2.projects.point_rend.point_features', point_sample=point_sample,
        get_uncertain_point_coords_with_randomness=get_uncertain_point_coords_with_randomness)
    mod('mask2former.utils', __path__=[])
    mod('mask2former.utils.misc', is_dist_avail_and_initialized=lambda: False)
    criterion = importlib.import_module('mask2former_video.modeling.criterion')
    matcher = importlib.import_module('mask2former_video.modeling.matcher')
    return types.SimpleNamespace(criterion_cls=criterion.VideoSetCriterion,
                                 video_matcher_cls=matcher.VideoHungarianMatcher,
                                 consistent_matcher_cls=matcher.VideoHungarianMatcher_Consistent)


def official_training(root: str) -> types.SimpleNamespace:
    """Official modules and the two training model classes (stand-in ``self``)."""
    off = official_dvispp.load_official(root)
    losses = _loss_modules(root)
    utils = importlib.import_module('dvis_Plus.utils')
    path = osp.join(osp.abspath(root), 'DVIS_Plus', 'dvis_Plus', 'meta_architecture.py')
    namespace = dict(torch=torch, nn=nn, F=F, einops=_Einops, ImageList=_ImageList,
                     BitMasks=_BitMasks, loss_reid=utils.loss_reid,
                     Outputs_Memory_PerClasses=utils.Outputs_Memory_PerClasses,
                     retry_if_cuda_oom=lambda f: f)
    funcs = _class_functions(path, namespace)
    online = type('OfficialOnline', (), dict(funcs['MinVIS'], **funcs['DVIS_Plus_online']))
    offline = type('OfficialOffline', (online,), dict(funcs['DVIS_Plus_offline']))
    return types.SimpleNamespace(off=off, losses=losses, memory_cls=utils.Outputs_Memory_PerClasses,
                                 online_cls=online, offline_cls=offline)


def make_data(s: Dict[str, int], gen: torch.Generator):
    """Segmenter outputs (official layouts) and ground truth: A visible throughout, B from
    frame 2, C missing in frame 2, D only in the last frame; A and B share a class."""
    t, q, c, h, size = s['frames'], s['queries'], 2 * s['hidden'], s['feat'], s['image']
    base = torch.randn(q, c, generator=gen)
    embeds = torch.stack([base[torch.randperm(q, generator=gen)]
                          + 0.3 * torch.randn(q, c, generator=gen) for _ in range(t)])
    inputs = dict(
        pred_logits=3 * torch.randn(1, t, q, s['classes'] + 1, generator=gen),
        pred_masks=3 * torch.randn(1, q, t, h, h, generator=gen),
        pred_embds=embeds.permute(2, 0, 1)[None],
        pred_embds_without_norm=(1.5 * embeds + 0.1).permute(2, 0, 1)[None],
        mask_features=torch.randn(t, s['hidden'], h, h, generator=gen))
    present = torch.tensor([[1, 1, 1, 1, 1], [0, 0, 1, 1, 1], [1, 1, 0, 1, 1],
                            [0, 0, 0, 0, 1]], dtype=torch.bool)[:, :t]
    ids = torch.where(present, torch.tensor([3, 7, 9, 12])[:, None], -1)
    masks = torch.zeros(len(ids), t, size, size, dtype=torch.bool)
    for g in range(len(ids)):
        for f in range(t):
            if present[g, f]:
                y, x = torch.randint(0, size - 8, (2,), generator=gen).tolist()
                hh, ww = torch.randint(6, size // 2, (2,), generator=gen).tolist()
                masks[g, f, y:y + hh, x:x + ww] = True
    gt = dict(labels=torch.tensor([1, 1, 2, 4]), ids=ids, masks=masks)
    return inputs, gt


def _batched_inputs(gt, dtype) -> List[dict]:
    t = gt['ids'].shape[1]
    size = tuple(gt['masks'].shape[-2:])
    frames = [_Instances(image_size=size, gt_ids=gt['ids'][:, f], gt_classes=gt['labels'],
                         gt_masks=gt['masks'][:, f]) for f in range(t)]
    return [dict(image=[torch.zeros(3, *size, dtype=dtype)] * t, instances=frames)]


def _official_model(ns, stage, s, models, inputs, dtype):
    t, points = s['frames'], s['points']
    weights = dict(loss_ce=2.0, loss_mask=5.0, loss_dice=5.0)
    weight_dict = dict(weights)
    for i in range(10 - 1):  # MASK_FORMER.DEC_LAYERS 10 (MinVIS_R50.yaml), deep supervision
        weight_dict.update({f'{k}_{i}': v for k, v in weights.items()})
    weight_dict['loss_reid'] = 2  # TRACKER.USE_CL / REFINER.USE_CL
    costs = dict(cost_class=2.0, cost_mask=5.0, cost_dice=5.0)
    if stage == 'tracker':
        matcher = ns.losses.consistent_matcher_cls(num_points=points, frames=t, **costs)
        model = ns.online_cls()
    else:
        points = points * t
        matcher = ns.losses.video_matcher_cls(num_points=points, **costs)
        model = ns.offline_cls()
        model.refiner = models['refiner']
        model.classes_references_memory = ns.memory_cls(max_len=20)
    model.criterion = ns.losses.criterion_cls(
        s['classes'], matcher=matcher, weight_dict=weight_dict, eos_coef=0.1,
        losses=['labels', 'masks'], num_points=points, oversample_ratio=3.0,
        importance_sample_ratio=0.75)
    model.matches = []
    forward = model.criterion.forward

    def recording(*args, **kwargs):
        out = forward(*args, **kwargs)
        model.matches.append(out[1])
        return out
    model.criterion.forward = recording

    def head(features):
        out = {k: v.clone().to(dtype) for k, v in inputs.items()}
        out['aux_outputs'] = [dict(pred_logits=out['pred_logits'].clone(),
                                   pred_masks=out['pred_masks'].clone())]
        return out
    model.backbone = _Frozen(lambda images: {f'res{i}': None for i in range(2, 6)})
    model.sem_seg_head = _Frozen(head)
    model.tracker = models['tracker']
    model.training, model.device, model.num_frames = True, torch.device('cpu'), t
    model.pixel_mean = torch.zeros(3, 1, 1, dtype=dtype)
    model.pixel_std = torch.ones(3, 1, 1, dtype=dtype)
    model.size_divisibility, model.window_inference = 0, False
    model.max_iter_num, model.iter, model.use_cl = s['max_iters'], 0, True
    return model


def run_official_training(ns, s, models, inputs, gt, seed, dtype=torch.float64):
    results = {}
    batched = _batched_inputs(gt, dtype)
    for stage in LOSS_STAGES:
        models['tracker'].train(stage == 'tracker')
        models['refiner'].train()
        model = _official_model(ns, stage, s, models, inputs, dtype)
        results[stage] = []
        for it in range(s['iterations']):
            seed_everything(seed * 100 + it)
            losses = model.forward(batched)
            results[stage].append(({k: float(v) for k, v in losses.items()},
                                   [(m[0].tolist(), m[1].tolist()) for m in model.matches[-1]]))
    return results


def loss_parity(root: str, seed: int, fixture: str = None) -> Dict[str, float]:
    """Both sides on one seed; the ``--losses`` mode of ``dvispp_parity.py`` can call this."""
    s = dict(LOSS_PARITY_SIZE)
    ns = official_training(root)
    c = s['hidden']
    video = dict(hidden_channel=2 * c, feedforward_channel=s['ffn'], num_head=s['heads'],
                 decoder_layer_num=s['video_layers'], mask_dim=c, class_num=s['classes'])
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    models = dict(tracker=ns.off.tracker_cls(**video, noise_mode='wa',
                                             noise_ratio=s['noise_ratio']),
                  refiner=ns.off.refiner_cls(**video, windows=3))
    for m in models.values():
        randomise(m, gen)
        with torch.no_grad():  # float32 values (the fixture stores float32)
            for p in m.parameters():
                p.copy_(p.float())
    inputs, gt = make_data(s, gen)
    weights = {k: {n: v.clone().float() for n, v in m.state_dict().items()}
               for k, m in models.items()}
    for m in models.values():
        m.double()
    official = run_official_training(ns, s, models, inputs, gt, seed)
    ours = run_ours_training(s, weights, inputs, gt, seed)
    result = compare_training(official, ours)
    result.update(seed=seed, **{f'{st}_losses_last_iter': official[st][-1][0].get('loss_reid')
                                for st in LOSS_STAGES})
    result['refiner_loss_ce'] = official['refiner'][-1][0]['loss_ce']
    if fixture:
        torch.save(dict(size=s, seed=seed, weights=weights, inputs=inputs, gt=gt,
                        official=official), fixture)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--official-root', required=True)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--save-fixture', metavar='FILE')
    args = parser.parse_args()
    result = loss_parity(args.official_root, args.seed, args.save_fixture)
    print(json.dumps(result))
    return 1 if any(v > TOLERANCE for k, v in result.items()
                    if k.endswith('_max_abs_diff')) else 0


if __name__ == '__main__':
    sys.exit(main())
