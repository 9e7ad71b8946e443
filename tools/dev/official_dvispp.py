"""Import the official DVIS++ modules from a checkout, with the few detectron2 / fvcore /
einops imports they need replaced by minimal stand-ins (development use only).

Nothing of the official code is copied: the modules are imported from ``ROOT/DVIS_Plus`` at run
time. Only the files holding the pixel decoder (its deformable attention on the official
PyTorch path, the compiled op being absent), decoder, tracker, noiser and refiner are imported
(no package ``__init__``), and the official inference methods are compiled from
``dvis_Plus/meta_architecture.py`` as plain functions (their module needs all of detectron2).
"""
import ast
import importlib
import os.path as osp
import sys
import types
from typing import Callable, Dict

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ['OfficialDVISPlus', 'load_official', 'load_official_losses']

REQUIRED = ('dvis_Plus/tracker.py', 'dvis_Plus/refiner.py', 'dvis_Plus/noiser.py',
            'dvis_Plus/video_mask2former_transformer_decoder.py', 'dvis_Plus/meta_architecture.py',
            'mask2former_video/modeling/transformer_decoder/'
            'video_mask2former_transformer_decoder.py',
            'mask2former/modeling/transformer_decoder/maskformer_transformer_decoder.py',
            'mask2former/modeling/transformer_decoder/position_encoding.py',
            'mask2former/modeling/pixel_decoder/msdeformattn.py')
PACKAGES = ('mask2former', 'mask2former.modeling', 'mask2former.modeling.transformer_decoder',
            'mask2former.modeling.pixel_decoder',
            'mask2former_video', 'mask2former_video.modeling',
            'mask2former_video.modeling.transformer_decoder', 'dvis_Plus')
INFERENCE = ('post_processing', 'inference_video_vis', 'inference_video_vss',
             'inference_video_vps')


class OfficialDVISPlus(types.SimpleNamespace):
    """``pixel_decoder_cls``, ``shape_spec``, ``decoder_cls``, ``tracker_cls``, ``refiner_cls``
    and ``inference`` functions."""


def _module(name: str, **attrs) -> types.ModuleType:
    mod = types.ModuleType(name)
    mod.__dict__.update(attrs)
    sys.modules[name] = mod
    return mod


def _rearrange(x: torch.Tensor, pattern: str, t: int = 0) -> torch.Tensor:
    """The einops patterns the official decoder and ``dvis_Plus/ctvis.py`` use."""
    if pattern == 'b q t h w -> (b t) q () h w':
        return x.transpose(1, 2).flatten(0, 1)[:, :, None]
    if pattern == 'b t q c -> (b t) q c':
        return x.flatten(0, 1)
    if pattern == 'b c t q -> (b t) q c':
        return x.permute(0, 2, 3, 1).flatten(0, 1)
    if pattern == '(b t) q h w -> b q t h w':
        return x.unflatten(0, (-1, t)).transpose(1, 2)
    if pattern == '(b t) q c -> b t q c':
        return x.unflatten(0, (-1, t))
    if pattern == 'q (b t) c -> b c t q':
        return x.unflatten(1, (-1, t)).permute(1, 3, 2, 0)
    raise NotImplementedError(f'einops stand-in: pattern {pattern!r}')


class _Registry:

    def __init__(self, name: str) -> None:
        self.name = name

    def register(self, obj=None):
        return obj if obj is not None else (lambda o: o)


class _Conv2d(nn.Conv2d):
    """detectron2's Conv2d: convolution, then the optional norm and activation."""

    def __init__(self, *args, norm=None, activation=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.norm, self.activation = norm, activation

    def forward(self, x):
        x = super().forward(x)
        if self.norm is not None:
            x = self.norm(x)
        return x if self.activation is None else self.activation(x)


class _ShapeSpec(types.SimpleNamespace):

    def __init__(self, channels=None, height=None, width=None, stride=None) -> None:
        super().__init__(channels=channels, height=height, width=width, stride=stride)


def _get_norm(norm, channels: int):
    if norm == 'GN':
        return nn.GroupNorm(32, channels)
    raise NotImplementedError(f'stand-in get_norm: {norm!r}')


def _c2_xavier_fill(module: nn.Module) -> None:
    nn.init.kaiming_uniform_(module.weight, a=1)
    if module.bias is not None:
        nn.init.constant_(module.bias, 0)


def _install_stand_ins() -> None:
    _module('detectron2')
    _module('detectron2.config', configurable=lambda f: f)
    _module('detectron2.layers', Conv2d=_Conv2d, ShapeSpec=_ShapeSpec, get_norm=_get_norm)
    _module('detectron2.modeling', SEM_SEG_HEADS_REGISTRY=_Registry('SEM_SEG_HEADS'))
    # the compiled deformable-attention op: absent, so MSDeformAttn takes its PyTorch path
    _module('MultiScaleDeformableAttention')
    _module('detectron2.utils')
    _module('detectron2.utils.registry', Registry=_Registry)
    _module('fvcore')
    _module('fvcore.nn')
    weight_init = _module('fvcore.nn.weight_init', c2_xavier_fill=_c2_xavier_fill)
    sys.modules['fvcore.nn'].weight_init = weight_init
    if 'einops' not in sys.modules:
        try:
            import einops  # noqa: F401
        except ImportError:
            _module('einops', rearrange=_rearrange)


def _inference_functions(path: str) -> Dict[str, Callable]:
    tree = ast.parse(open(path, encoding='utf-8').read(), filename=path)
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef)
               and n.name == 'DVIS_Plus_online')
    funcs = [n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name in INFERENCE]
    missing = set(INFERENCE) - {f.name for f in funcs}
    if missing:
        raise SystemExit(f'{path}: DVIS_Plus_online lacks {sorted(missing)}')
    namespace = dict(torch=torch, F=F, nn=nn)
    exec(compile(ast.Module(body=funcs, type_ignores=[]), path, 'exec'), namespace)
    return {name: namespace[name] for name in INFERENCE}


def load_official(root: str) -> OfficialDVISPlus:
    """Import the official modules from ``root`` (the repository root holding ``DVIS_Plus/``).

    Exits with a message naming the missing files when ``root`` is not such a checkout.
    """
    base = osp.join(osp.abspath(root), 'DVIS_Plus')
    missing = [f for f in REQUIRED if not osp.isfile(osp.join(base, f))]
    if missing:
        raise SystemExit(f'--official-root {root}: expected the DVIS_Plus repository root '
                         f'(holding DVIS_Plus/), missing: ' + ', '.join(
                             osp.join('DVIS_Plus', f) for f in missing))
    _install_stand_ins()
    for name in PACKAGES:
        if name not in sys.modules or not hasattr(sys.modules[name], '__path__'):
            _module(name, __path__=[osp.join(base, *name.split('.'))])
    decoder = importlib.import_module('dvis_Plus.video_mask2former_transformer_decoder')
    pixel = importlib.import_module('mask2former.modeling.pixel_decoder.msdeformattn')
    return OfficialDVISPlus(
        pixel_decoder_cls=pixel.MSDeformAttnPixelDecoder, shape_spec=_ShapeSpec,
        decoder_cls=decoder.VideoMultiScaleMaskedTransformerDecoder_dvisPlus,
        tracker_cls=importlib.import_module('dvis_Plus.tracker').ReferringTracker_noiser,
        refiner_cls=importlib.import_module('dvis_Plus.refiner').TemporalRefiner,
        inference=_inference_functions(osp.join(base, 'dvis_Plus', 'meta_architecture.py')))


# -- losses: mask2former_video/modeling/{criterion,matcher}.py, mask2former/modeling/matcher.py,
# -- dvis_Plus/ctvis.py ---------------------------------------------------------------------
LOSS_FILES = ('mask2former_video/modeling/criterion.py', 'mask2former_video/modeling/matcher.py',
              'mask2former/modeling/matcher.py', 'dvis_Plus/ctvis.py')
CTVIS_NAMES = ('TrainTracklet', 'SimpleTrainMemory', 'CTCLPlugin', 'loss_reid',
               'is_dist_avail_and_initialized', 'get_world_size')
CTMINVIS_METHODS = ('frame_decoder_loss_reshape', 'prepare_for_cl_plugin')


def _point_sample(input: torch.Tensor, point_coords: torch.Tensor, **kwargs) -> torch.Tensor:
    """Stand-in for detectron2's ``point_sample``: ``grid_sample`` at ``[0, 1]`` coordinates
    (a ``(N, P, 2)`` grid gets a unit width dimension, removed from the output)."""
    grid = 2.0 * point_coords - 1.0
    if point_coords.dim() == 3:
        return F.grid_sample(input, grid[:, :, None], **kwargs)[..., 0]
    return F.grid_sample(input, grid, **kwargs)


def _uncertain_points(coarse_logits: torch.Tensor, uncertainty_func: Callable, num_points: int,
                      oversample_ratio: float, importance_sample_ratio: float) -> torch.Tensor:
    """Stand-in for detectron2's ``get_uncertain_point_coords_with_randomness``: draw
    ``oversample_ratio * num_points`` uniform points per mask, keep the
    ``importance_sample_ratio * num_points`` most uncertain, add uniform points to
    ``num_points`` (two ``torch.rand`` calls, in this order)."""
    n = coarse_logits.shape[0]
    drawn = torch.rand(n, int(num_points * oversample_ratio), 2, device=coarse_logits.device)
    scores = uncertainty_func(_point_sample(coarse_logits, drawn, align_corners=False))
    k = int(importance_sample_ratio * num_points)
    top = torch.topk(scores[:, 0, :], k=k, dim=1)[1]
    kept = torch.gather(drawn, 1, top[..., None].expand(-1, -1, 2))
    if num_points - k > 0:
        kept = torch.cat([kept, torch.rand(n, num_points - k, 2, device=coarse_logits.device)], 1)
    return kept


class _CPUTorch(types.ModuleType):
    """``torch`` for ``dvis_Plus/ctvis.py`` on a CPU: ``zeros(..., device='cuda')`` (its
    ``TrainTracklet``) is made on the CPU when CUDA is absent."""

    def __getattr__(self, name: str):
        return getattr(torch, name)

    @staticmethod
    def zeros(*args, device=None, **kwargs):
        if not torch.cuda.is_available():
            device = None
        return torch.zeros(*args, device=device, **kwargs)


class _SetSampleRandom(types.ModuleType):
    """``random`` for ``dvis_Plus/ctvis.py``: ``sample`` of a ``set`` as Python <= 3.10 did it
    (``tuple(set)``, removed in 3.11), from the same global state."""

    def __getattr__(self, name: str):
        import random
        return getattr(random, name)

    @staticmethod
    def sample(population, k):
        import random
        if isinstance(population, (set, frozenset)):
            population = tuple(population)
        return random.sample(population, k)


def _install_loss_stand_ins() -> None:
    _install_stand_ins()
    _module('detectron2.utils.comm', get_world_size=lambda: 1)
    _module('detectron2.projects')
    _module('detectron2.projects.point_rend')
    _module('detectron2.projects.point_rend.point_features', point_sample=_point_sample,
            get_uncertain_point_coords_with_randomness=_uncertain_points)


def _ctvis_namespace(path: str) -> Dict[str, object]:
    """The CL plugin of ``dvis_Plus/ctvis.py`` and two ``CTMinVIS`` methods (as functions),
    compiled from its source (the module itself needs all of detectron2)."""
    import random  # noqa: F401  (the stand-in reads its state)

    import numpy as np
    from scipy.optimize import linear_sum_assignment
    tree = ast.parse(open(path, encoding='utf-8').read(), filename=path)
    nodes = [n for n in tree.body if getattr(n, 'name', None) in CTVIS_NAMES]
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == 'CTMinVIS')
    nodes += [n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name in CTMINVIS_METHODS]
    missing = set(CTVIS_NAMES + CTMINVIS_METHODS) - {n.name for n in nodes}
    if missing:
        raise SystemExit(f'{path}: lacks {sorted(missing)}')
    namespace = dict(torch=_CPUTorch('torch'), F=F, nn=nn, np=np,
                     random=_SetSampleRandom('random'), einops=sys.modules['einops'],
                     dist=torch.distributed, configurable=lambda f: f,
                     CL_PLUGIN_REGISTRY=_Registry('CL_PLUGIN'),
                     linear_sum_assignment=linear_sum_assignment)
    exec(compile(ast.Module(body=nodes, type_ignores=[]), path, 'exec'), namespace)
    plugin = namespace['CTCLPlugin']
    plugin.device = property(lambda self: torch.device('cpu'))
    return namespace


def load_official_losses(root: str) -> types.SimpleNamespace:
    """The official criterion, matchers, CL plugin and segmenter loss reshaping, imported from
    ``root`` (as :func:`load_official`): ``criterion_cls``, ``video_matcher_cls``,
    ``consistent_matcher_cls``, ``image_matcher_cls``, ``cl_plugin_cls``,
    ``frame_decoder_loss_reshape`` and ``prepare_for_cl_plugin`` (``self`` unused: pass None)."""
    base = osp.join(osp.abspath(root), 'DVIS_Plus')
    missing = [f for f in LOSS_FILES if not osp.isfile(osp.join(base, f))]
    if missing:
        raise SystemExit(f'--official-root {root}: missing ' + ', '.join(
            osp.join('DVIS_Plus', f) for f in missing))
    _install_loss_stand_ins()
    for name in PACKAGES:
        if name not in sys.modules or not hasattr(sys.modules[name], '__path__'):
            _module(name, __path__=[osp.join(base, *name.split('.'))])
    # mask2former/utils/misc.py needs torchvision for version checks only
    _module('mask2former.utils', __path__=[])
    _module('mask2former.utils.misc', is_dist_avail_and_initialized=lambda: False)
    criterion = importlib.import_module('mask2former_video.modeling.criterion')
    matcher = importlib.import_module('mask2former_video.modeling.matcher')
    image_matcher = importlib.import_module('mask2former.modeling.matcher')
    ctvis = _ctvis_namespace(osp.join(base, 'dvis_Plus', 'ctvis.py'))
    return types.SimpleNamespace(
        criterion_cls=criterion.VideoSetCriterion, video_matcher_cls=matcher.VideoHungarianMatcher,
        consistent_matcher_cls=matcher.VideoHungarianMatcher_Consistent,
        image_matcher_cls=image_matcher.HungarianMatcher, cl_plugin_cls=ctvis['CTCLPlugin'],
        frame_decoder_loss_reshape=ctvis['frame_decoder_loss_reshape'],
        prepare_for_cl_plugin=ctvis['prepare_for_cl_plugin'])
