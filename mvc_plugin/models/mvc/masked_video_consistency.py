"""``MaskedVideoConsistency``: add MVC training to any mmdet / mmseg model by config.

``model = dict(type='MaskedVideoConsistency', model=<the host model's own config>, ...)`` builds
the host model unchanged and gives it a training step with a masked view:

* the input frames are masked with random blocks (:class:`PatchMaskGenerator`), masked pixels set
  to ``fill`` (0 = the mean colour once the data preprocessor has normalised the frames);
* the host's *own* loss is computed on the masked view against the full ground truth, weighted by
  ``masked_loss_weight``; in ``'dual'`` mode the clean view's loss is kept as well and an optional
  :class:`MVCConsistencyLoss` ties the masked view's head outputs to the clean view's (detached);
* the same mask, resized, can zero the outputs of ``feature_mask_points`` (forward hooks).

The returned object *is* the host model: its class is a subclass of the host's class that only
overrides ``loss``. Parameters, ``state_dict`` keys, the data preprocessor and ``predict`` are the
host's, so inference is bit-identical and checkpoints load into the plain baseline config.
"""
import copy
from contextlib import ExitStack, contextmanager
from types import SimpleNamespace
from typing import Any, Dict, Iterator, List, Optional, Sequence, Union

import torch
from mmdet.registry import MODELS as MMDET_MODELS
from mmseg.registry import MODELS as MMSEG_MODELS
from torch import Tensor, nn

from .feature_masking import FeatureMasker
from .patch_mask_generator import PatchMaskGenerator

__all__ = ['MaskedVideoConsistency', 'MVCTrainingMixin', 'PATCH_MASK_KEY']

MVC_MODES = ('dual', 'replace')
HEAD_NAMES = ('track_head', 'panoptic_head', 'decode_head')
#: metainfo key under which ``VideoPatchMask(keep_clean=True)`` leaves its masks for the model
PATCH_MASK_KEY = 'mvc_patch_mask'


def _scale(value: Any, weight: float) -> Any:
    if isinstance(value, Tensor):
        return value * weight
    if isinstance(value, (list, tuple)):
        return type(value)(v * weight for v in value)
    return value


class MVCTrainingMixin:
    """Mixed in before the host class; only ``loss`` changes behaviour."""

    _mvc: SimpleNamespace

    def _init_mvc(self, mask_generator: dict, mode: str, masked_loss_weight: float,
                  consistency_loss: Optional[dict], feature_mask_points: Sequence[str],
                  fill: float, head: str, registry) -> None:
        if mode not in MVC_MODES:
            raise ValueError(f'MaskedVideoConsistency: mode must be one of {MVC_MODES}, '
                             f'got {mode!r}')
        if consistency_loss is not None and mode != 'dual':
            raise ValueError("MaskedVideoConsistency: consistency_loss needs mode='dual' "
                             '(it compares the masked view with the clean view)')
        if head == 'auto':
            head = next((h for h in HEAD_NAMES if isinstance(getattr(self, h, None), nn.Module)),
                        None)
        elif not isinstance(getattr(self, head, None), nn.Module):
            raise ValueError(f'MaskedVideoConsistency: head {head!r} is not a sub-module of '
                             f'{type(self).__mro__[2].__name__}')
        if consistency_loss is not None and head is None:
            raise ValueError('MaskedVideoConsistency: no head found for the consistency loss; '
                             f'set head= to one of the model\'s sub-modules')
        gen = mask_generator if isinstance(mask_generator, PatchMaskGenerator) else \
            PatchMaskGenerator(**mask_generator)
        # a plain attribute (not a sub-module): the module tree and state_dict stay the host's
        self.__dict__['_mvc'] = SimpleNamespace(
            generator=gen, mode=mode, weight=float(masked_loss_weight),
            consistency=registry.build(consistency_loss) if consistency_loss else None,
            features=FeatureMasker(self, feature_mask_points) if feature_mask_points else None,
            fill=fill, head=head, captured=None)
        if head is not None:
            getattr(self, head).register_forward_hook(self._mvc_capture_hook)

    # -- helpers ------------------------------------------------------------------------------
    def _mvc_capture_hook(self, module: nn.Module, args: Any, output: Any) -> None:
        if self._mvc.captured is not None:
            self._mvc.captured.append(output)

    @contextmanager
    def _mvc_capture(self) -> Iterator[List[Any]]:
        outputs: List[Any] = []
        self._mvc.captured = outputs
        try:
            yield outputs
        finally:
            self._mvc.captured = None

    @staticmethod
    def _head_prediction(outputs: List[Any]) -> Union[Tensor, tuple]:
        """Last forward output of the head: dense logits, or the last decoder layer's
        ``(cls_logits, mask_logits)`` of a Mask2Former-style head."""
        if not outputs:
            raise RuntimeError('MaskedVideoConsistency: the head was not called during loss()')
        out = outputs[-1]
        if isinstance(out, Tensor):
            return out
        cls_scores, mask_preds = out[0], out[1]
        if isinstance(cls_scores, (list, tuple)):
            cls_scores, mask_preds = cls_scores[-1], mask_preds[-1]
        return cls_scores, mask_preds

    def mvc_patch_mask(self, inputs: Tensor, data_samples: Optional[list]) -> Tensor:
        """``(B, T, H, W)`` masks: from the pipeline (``VideoPatchMask(keep_clean=True)``) when
        every sample carries one, else freshly drawn."""
        video = inputs.dim() == 5
        b, t = inputs.shape[0], inputs.shape[1] if video else 1
        h, w = inputs.shape[-2:]
        given = [getattr(ds, 'metainfo', {}).get(PATCH_MASK_KEY) for ds in data_samples or []]
        if given and all(m is not None for m in given):
            mask = inputs.new_zeros((b, t, h, w), dtype=torch.bool)
            for i, m in enumerate(given):
                m = torch.as_tensor(m).reshape(t, *m.shape[-2:])
                mask[i, :, :m.shape[-2], :m.shape[-1]] = m[..., :h, :w].to(mask.device)
            return mask
        return self._mvc.generator(b, t, h, w, device=inputs.device)

    def mvc_mask_inputs(self, inputs: Tensor, mask: Tensor) -> Tensor:
        """Masked copy of ``inputs`` (``(B, T, C, H, W)`` or ``(B, C, H, W)``)."""
        m = mask if inputs.dim() == 5 else mask[:, 0]
        return PatchMaskGenerator.apply(inputs, m, self._mvc.fill)

    # -- the training step --------------------------------------------------------------------
    def loss(self, inputs: Tensor, data_samples: Optional[list] = None,
             **kwargs) -> Dict[str, Any]:
        mvc = self._mvc
        losses: Dict[str, Any] = {}
        clean_pred = None
        masked_samples = data_samples
        if mvc.mode == 'dual':
            # host heads may convert ground truth in place (mmdet's Mask2FormerTrackHead turns
            # BitmapMasks into tensors), so the second pass gets its own copy
            masked_samples = copy.deepcopy(data_samples)
            with self._mvc_capture() as captured:
                losses.update(super().loss(inputs, data_samples, **kwargs))
            if mvc.consistency is not None:
                clean_pred = self._head_prediction(captured)

        mask = self.mvc_patch_mask(inputs, data_samples)
        masked_inputs = self.mvc_mask_inputs(inputs, mask)
        with ExitStack() as stack:
            if mvc.features is not None:
                stack.enter_context(mvc.features.active(mask.flatten(0, 1)))
            captured = stack.enter_context(self._mvc_capture())
            masked_losses = super().loss(masked_inputs, masked_samples, **kwargs)
        prefix = 'mvc.' if mvc.mode == 'dual' else ''
        for key, value in masked_losses.items():
            losses[prefix + key] = _scale(value, mvc.weight) if 'loss' in key else value
        if clean_pred is not None:
            masked_pred = self._head_prediction(captured)
            losses['mvc.loss_consistency'] = mvc.consistency(masked_pred, clean_pred)
        return losses


_MVC_CLASSES: Dict[type, type] = {}


def _mvc_class(host_cls: type) -> type:
    if host_cls not in _MVC_CLASSES:
        _MVC_CLASSES[host_cls] = type(f'MaskedVideoConsistency{host_cls.__name__}',
                                      (MVCTrainingMixin, host_cls),
                                      {'__module__': __name__, '__doc__': host_cls.__doc__,
                                       '_mvc_host_cls': host_cls,
                                       '__reduce_ex__': _reduce_ex})
    return _MVC_CLASSES[host_cls]


def _new_mvc_instance(host_cls: type) -> nn.Module:
    """Unpickling: an empty instance of the MVC class of ``host_cls`` (state follows)."""
    cls = _mvc_class(host_cls)
    return cls.__new__(cls)


def _reduce_ex(self, protocol: int) -> tuple:
    """Pickle support: the generated class is not importable by name, its host class is, so
    the instance is rebuilt from the host class (pickle, ``torch.save(model)``, spawn)."""
    reduced = object.__reduce_ex__(self, max(protocol, 2))  # (copyreg.__newobj__, (cls,), ...)
    return (_new_mvc_instance, (type(self)._mvc_host_cls, )) + tuple(reduced[2:])


class MaskedVideoConsistency:
    """Build ``model`` and give it the MVC training step (see the module docstring).

    Args:
        model: the host model's config (e.g. mmdet ``Mask2FormerVideo`` or mmseg
            ``EncoderDecoder``), or an already built host model.
        mask_generator: arguments of :class:`PatchMaskGenerator`.
        mode: ``'dual'`` trains on the clean and the masked view; ``'replace'`` trains on the
            masked view only (no extra compute).
        masked_loss_weight: weight λ of the masked view's loss.
        consistency_loss: optional config of :class:`MVCConsistencyLoss` (``'dual'`` only).
        feature_mask_points: dotted names of sub-modules whose outputs are masked as well.
        fill: value of masked pixels in the normalised input (0 = the dataset mean colour).
        head: the sub-module whose output feeds the consistency loss (``'auto'``: the first of
            ``track_head``, ``panoptic_head``, ``decode_head``).
        data_preprocessor: used for the host when its own config has none (mmengine's Runner
            passes a config's top-level ``data_preprocessor`` here).
    """

    _registry = MMDET_MODELS

    def __new__(cls, model: Union[dict, nn.Module],
                mask_generator: Optional[Union[dict, PatchMaskGenerator]] = None,
                mode: str = 'dual', masked_loss_weight: float = 1.0,
                consistency_loss: Optional[dict] = None,
                feature_mask_points: Sequence[str] = (), fill: float = 0.0,
                head: str = 'auto', data_preprocessor: Optional[dict] = None) -> nn.Module:
        if not isinstance(model, nn.Module):
            model = dict(model)
            if data_preprocessor is not None:  # mmengine's Runner passes the top-level one
                model.setdefault('data_preprocessor', data_preprocessor)
        host = model if isinstance(model, nn.Module) else cls._registry.build(model)
        if isinstance(host, MVCTrainingMixin):
            raise ValueError('MaskedVideoConsistency: the model is already wrapped')
        host.__class__ = _mvc_class(type(host))
        host._init_mvc(mask_generator if mask_generator is not None else {}, mode,
                       masked_loss_weight, consistency_loss, tuple(feature_mask_points), fill,
                       head, cls._registry)
        return host


MMDET_MODELS.register_module(name='MaskedVideoConsistency', module=MaskedVideoConsistency)
MMSEG_MODELS.register_module(
    name='MaskedVideoConsistency',
    module=type('MaskedVideoConsistency', (MaskedVideoConsistency, ),
                {'_registry': MMSEG_MODELS, '__module__': __name__,
                 '__doc__': MaskedVideoConsistency.__doc__}))
