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
import time
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


class _CN(dict):
    """detectron2's ``CfgNode`` stand-in: attribute access, missing nodes created on read."""

    def __getattr__(self, key: str):
        if key.startswith('__'):
            raise AttributeError(key)
        return self.setdefault(key, _CN())

    def __setattr__(self, key: str, value) -> None:
        self[key] = value

    def merge(self, other: dict) -> None:
        for k, v in other.items():
            if isinstance(v, dict):
                getattr(self, k).merge(v)
            else:
                self[k] = v


def _functions(path: str, names, namespace: dict, cls_name: str = None) -> Dict[str, object]:
    """Compile the functions ``names`` (of class ``cls_name``) of ``path``, decorators
    dropped."""
    tree = ast.parse(open(path, encoding='utf-8').read(), filename=path)
    body = tree.body if cls_name is None else next(
        n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls_name).body
    funcs = [n for n in body if isinstance(n, ast.FunctionDef) and n.name in names]
    if {f.name for f in funcs} != set(names):
        raise SystemExit(f'{path}: {cls_name} lacks {set(names) - {f.name for f in funcs}}')
    for f in funcs:
        f.decorator_list = []
    ns = dict(namespace)
    exec(compile(ast.Module(body=funcs, type_ignores=[]), path, 'exec'), ns)
    return {n: ns[n] for n in names}


def official_cfg(base: str, yaml_file: str, overrides: dict) -> _CN:
    """The official config: ``add_maskformer2_config``, ``add_maskformer2_video_config``,
    ``add_minvis_config``, ``add_dvis_config`` (as ``train_net_video.py``), then the YAML
    with its ``_BASE_`` chain, then ``overrides`` (the small sizes)."""
    import yaml
    cfg = _CN()
    for path, name in (('mask2former/config.py', 'add_maskformer2_config'),
                       ('mask2former_video/config.py', 'add_maskformer2_video_config'),
                       ('dvis_Plus/config.py', 'add_minvis_config'),
                       ('dvis_Plus/config.py', 'add_dvis_config')):
        _functions(osp.join(base, path), [name], dict(CN=_CN))[name](cfg)

    def load(path):
        data = yaml.safe_load(open(path, encoding='utf-8'))
        if '_BASE_' in data:
            load(osp.join(osp.dirname(path), data.pop('_BASE_')))
        cfg.merge(data)
    load(osp.join(base, yaml_file))
    cfg.merge(overrides)
    return cfg


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


def _memory_kwargs(path: str) -> Dict[str, object]:
    """The literal arguments of ``Outputs_Memory_PerClasses(...)`` in
    ``DVIS_Plus_offline.__init__`` (the method itself is not run here)."""
    tree = ast.parse(open(path, encoding='utf-8').read(), filename=path)
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef)
               and n.name == 'DVIS_Plus_offline')
    init = next(n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == '__init__')
    call = next(n for n in ast.walk(init) if isinstance(n, ast.Call)
                and getattr(n.func, 'id', None) == 'Outputs_Memory_PerClasses')
    if call.args:
        raise SystemExit(f'{path}: Outputs_Memory_PerClasses called with positional arguments')
    return {k.arg: ast.literal_eval(k.value) for k in call.keywords}


def official_training(root: str) -> types.SimpleNamespace:
    """Official modules and the two training model classes (stand-in ``self``)."""
    off = official_dvispp.load_official(root)
    losses = _loss_modules(root)
    utils = importlib.import_module('dvis_Plus.utils')
    base = osp.join(osp.abspath(root), 'DVIS_Plus')
    path = osp.join(base, 'dvis_Plus', 'meta_architecture.py')
    namespace = dict(
        torch=torch, nn=nn, F=F, einops=_Einops, ImageList=_ImageList, BitMasks=_BitMasks,
        loss_reid=utils.loss_reid, Outputs_Memory_PerClasses=utils.Outputs_Memory_PerClasses,
        retry_if_cuda_oom=lambda f: f,
        # from_config: the official criterion, matchers, tracker and refiner; stand-ins for
        # the segmenter (its outputs are given) and the dataset metadata
        build_backbone=lambda cfg: types.SimpleNamespace(output_shape=lambda: {}),
        build_sem_seg_head=lambda cfg, shape: types.SimpleNamespace(
            num_classes=cfg.MODEL.SEM_SEG_HEAD.NUM_CLASSES),
        MetadataCatalog=types.SimpleNamespace(get=lambda name: None),
        VideoSetCriterion=losses.criterion_cls, VideoHungarianMatcher=losses.video_matcher_cls,
        VideoHungarianMatcher_Consistent=losses.consistent_matcher_cls,
        ReferringTracker_noiser=off.tracker_cls, TemporalRefiner=off.refiner_cls)
    funcs = {name: _functions(path, names + (('from_config',) if name != 'MinVIS' else ()),
                              namespace, name) for name, names in METHODS.items()}
    online = type('OfficialOnline', (), dict(funcs['MinVIS'], **funcs['DVIS_Plus_online']))
    offline = type('OfficialOffline', (online,), dict(funcs['DVIS_Plus_offline']))
    return types.SimpleNamespace(off=off, losses=losses, memory_cls=utils.Outputs_Memory_PerClasses,
                                 online_cls=online, offline_cls=offline, base=base,
                                 memory_kwargs=_memory_kwargs(path))


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


YAML = dict(tracker='configs/dvis_Plus/ytvis19/DVIS_Plus_Online_R50_8wIter.yaml',
            refiner='configs/dvis_Plus/ytvis19/DVIS_Plus_Offline_R50.yaml')


def official_models(ns, s: Dict[str, int]) -> Dict[str, dict]:
    """``from_config`` of ``DVIS_Plus_online`` / ``DVIS_Plus_offline`` on the YouTube-VIS 2019
    R50 configs at the small sizes: criterion (weights, matcher, points), tracker (noise),
    refiner, ``max_iter_num``, ``use_cl``."""
    overrides = dict(
        MODEL=dict(MASK_FORMER=dict(HIDDEN_DIM=s['hidden'], NHEADS=s['heads'],
                                    DIM_FEEDFORWARD=s['ffn']),
                   TRACKER=dict(DECODER_LAYERS=s['video_layers']),
                   REFINER=dict(DECODER_LAYERS=s['video_layers']),
                   SEM_SEG_HEAD=dict(NUM_CLASSES=s['classes'])),
        INPUT=dict(SAMPLING_FRAME_NUM=s['frames']), SOLVER=dict(MAX_ITER=s['max_iters']))
    cls = dict(tracker=ns.online_cls, refiner=ns.offline_cls)
    return {stage: cls[stage].from_config(None, official_cfg(ns.base, YAML[stage], overrides))
            for stage in LOSS_STAGES}


def _official_model(ns, stage, s, kwargs, inputs, dtype):
    model = (ns.online_cls if stage == 'tracker' else ns.offline_cls)()
    for k, v in kwargs.items():
        setattr(model, k, v)
    if stage == 'refiner':  # DVIS_Plus_offline.__init__
        model.classes_references_memory = ns.memory_cls(**ns.memory_kwargs)
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
    model.training, model.device = True, torch.device('cpu')
    model.pixel_mean = torch.zeros(3, 1, 1, dtype=dtype)
    model.pixel_std = torch.ones(3, 1, 1, dtype=dtype)
    model.size_divisibility, model.window_inference = 0, False
    model.iter = 0
    return model


def run_official_training(ns, s, models, inputs, gt, seed, dtype=torch.float64):
    """Official losses and matchings per stage and iteration; ``results['stats']``: frames
    the official noiser noised, and the class memory's sizes at the end."""
    results = {}
    batched = _batched_inputs(gt, dtype)
    noiser = type(models['tracker']['tracker'].noiser)
    noised = [0]
    original = noiser._wa_noise_forward

    def counting(self, *args, **kwargs):
        noised[0] += 1
        return original(self, *args, **kwargs)
    noiser._wa_noise_forward = counting
    for stage in LOSS_STAGES:
        model = _official_model(ns, stage, s, models[stage], inputs, dtype)
        model.tracker.train(stage == 'tracker')
        if stage == 'refiner':
            model.refiner.train()
        results[stage] = []
        for it in range(s['iterations']):
            seed_everything(seed * 100 + it)
            losses = model.forward(batched)
            results[stage].append(({k: float(v) for k, v in losses.items()},
                                   [(m[0].tolist(), m[1].tolist()) for m in model.matches[-1]]))
    noiser._wa_noise_forward = original
    results['stats'] = dict(
        tracker_noised_frames=f'{noised[0]}/{s["iterations"] * (s["frames"] - 1)}',
        refiner_memory_sizes={k: len(v) for k, v in
                              model.classes_references_memory.class_references.items()})
    return results


def loss_parity(root: str, seed: int, fixture: str = None) -> Dict[str, float]:
    """Both sides on one seed; the ``--losses`` mode of ``dvispp_parity.py`` can call this."""
    s = dict(LOSS_PARITY_SIZE)
    ns = official_training(root)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    models = official_models(ns, s)
    trained = dict(tracker=models['tracker']['tracker'], refiner=models['refiner']['refiner'])
    for m in trained.values():
        randomise(m, gen)
        with torch.no_grad():  # float32 values (the fixture stores float32)
            for p in m.parameters():
                p.copy_(p.float())
    models['refiner']['tracker'].load_state_dict(trained['tracker'].state_dict())
    inputs, gt = make_data(s, gen)
    weights = {k: {n: v.clone().float() for n, v in m.state_dict().items()}
               for k, m in trained.items()}
    for kw in models.values():
        for k in ('tracker', 'refiner'):
            if k in kw:
                kw[k].double()
    start = time.perf_counter()
    official = run_official_training(ns, s, models, inputs, gt, seed)
    official_seconds = time.perf_counter() - start
    start = time.perf_counter()
    ours = run_ours_training(s, weights, inputs, gt, seed)
    ours_seconds = time.perf_counter() - start
    stats = official.pop('stats')
    result = compare_training(official, ours)
    # ours / official seconds of the whole loss computation (both stages, every iteration,
    # float64, forward only; the official side includes building its models from config)
    result['training_loss_time_ratio'] = round(ours_seconds / official_seconds, 3)
    result.update(seed=seed, iterations=s['iterations'], guided_iterations=s['max_iters'] // 2,
                  **stats)
    for st in LOSS_STAGES:  # the official values, to show they are not trivial
        result[f'{st}_loss_reid'] = [round(r[0]['loss_reid'], 4) for r in official[st]]
        result[f'{st}_loss_names'] = len(official[st][0][0])
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
