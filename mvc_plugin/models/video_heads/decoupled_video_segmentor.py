"""``DecoupledVideoSegmentor``: segmenter + referring tracker + temporal refiner (DVIS++ design).

A per-frame mmdet ``Mask2Former`` (the **segmenter**) finds objects in each frame; the
:class:`ReferringTracker` links them across frames online; the optional :class:`TemporalRefiner`
refines each tracked object over a window of frames offline. The three are trained one after
the other (``stage``), each stage starting from the previous stage's checkpoint with the earlier
modules frozen:

* ``'segmenter'`` -- mmdet's own Mask2Former loss on every frame of the clips (frames flattened);
  a head with ``clip_context`` (DVIS++'s ``ReIDMask2FormerHead``) gets the clip length and adds
  its clip losses (CTVIS re-id). Only ``loss(inputs, data_samples)`` is involved, so
  :class:`MaskedVideoConsistency` wraps it.
* ``'tracker'`` / ``'refiner'`` -- the segmenter (and tracker) run in eval mode without gradients;
  the trained module is supervised with clip-level matching (:class:`ClipMatchingCriterion`).
  ``query_mask_ratio`` is MVC on queries: a random share of the frame queries fed to the trained
  module is zeroed, so it must recover objects from context (other frames, other queries).

Inference streams the video (:class:`VideoStreamingMixin`) and returns mmdet's data structures
for the ``task``: VIS (``pred_track_instances`` per frame: the video's top-k objects), VSS
(``pred_sem_seg`` per frame) or VPS (``pred_panoptic_seg`` per frame, thing ids consistent
across frames). For VSS / VPS every class region / segment is an object (DVIS's recipe), so
training is the same for the three tasks (``VSPWVideoDataset`` / ``VIPSegVideoDataset`` turn
labels into tracked targets).
"""
import contextlib
import os.path as osp
from typing import Dict, List, Optional, Tuple, Union

import torch
from mmengine.config import ConfigDict
from mmengine.model import BaseModel
from mmengine.structures import PixelData
from torch import Tensor

from mmdet.registry import MODELS
from mmdet.structures import TrackDataSample
from .clip_criterion import ClipMatchingCriterion
from .segmentation_outputs import panoptic_from_objects, semantic_from_objects
from .segmenter_tap import SegmenterTap
from .video_results import (RLEMaskStore, check_frame_sizes, postprocess_masks,
                            select_video_topk)
from .video_streaming import StreamState, VideoStreamingMixin

__all__ = ['DecoupledVideoSegmentor', 'STAGES', 'TASKS']

STAGES = ('segmenter', 'tracker', 'refiner')
MODES = ('online', 'offline')
TASKS = ('vis', 'vss', 'vps')


def _pretrained_checkpoint(init_cfg: Union[dict, List[dict], None]) -> Optional[str]:
    cfgs = init_cfg if isinstance(init_cfg, (list, tuple)) else [init_cfg]
    for cfg in cfgs:
        if isinstance(cfg, dict) and cfg.get('type') == 'Pretrained' and cfg.get('checkpoint'):
            return str(cfg['checkpoint'])
    return None


@MODELS.register_module()
class DecoupledVideoSegmentor(VideoStreamingMixin, BaseModel):
    """Decoupled video segmenter (see the module docstring).

    Args:
        segmenter: config of an mmdet ``Mask2Former`` whose head predicts every class as an
            object (``num_stuff_classes=0``; for VSS / VPS ``num_things_classes`` = all classes).
        task: ``'vis' | 'vss' | 'vps'``, the output produced by ``predict``.
        num_thing_classes: VPS only: labels below it are things (instance ids), the rest stuff.
        tracker: config of :class:`ReferringTracker`; ``num_classes``, ``embed_dims`` and
            ``mask_dims`` default to the segmenter head's.
        refiner: optional config of :class:`TemporalRefiner` (same defaults).
        stage: the module trained by ``loss``: ``'segmenter' | 'tracker' | 'refiner'``.
        mode: inference with the tracker (``'online'``) or tracker + refiner (``'offline'``).
        criterion: arguments of :class:`ClipMatchingCriterion` (tracker / refiner stages).
        query_mask_ratio: share of frame queries zeroed for the trained video head (training).
        test_cfg: ``max_per_video`` (VIS: top-k objects kept, default 10), ``window`` (offline
            refiner window, None = whole video), ``frame_batch`` (frames per segmenter pass,
            default ``window`` or 1), ``object_mask_thr`` / ``overlap_thr`` (VPS fusion, 0.8 /
            0.8 as mmdet's Mask2Former).
        init_heads_from_previous: when a stage starts (``init_weights``), copy the class and
            mask heads of the previous module (segmenter -> tracker, tracker -> refiner): they
            have the same form, so the new module starts by predicting what its input predicts.
        allow_random_init: let a tracker / refiner stage start without the previous stage's
            checkpoint (tests only).
        data_preprocessor: mmdet ``TrackDataPreprocessor`` config.
        init_cfg: for stages after the first, ``dict(type='Pretrained', checkpoint=...)``
            pointing at the previous stage's checkpoint (required).
    """

    def __init__(self, segmenter: dict, tracker: dict, refiner: Optional[dict] = None,
                 stage: str = 'segmenter', mode: str = 'online', task: str = 'vis',
                 num_thing_classes: Optional[int] = None,
                 criterion: Optional[dict] = None, query_mask_ratio: float = 0.0,
                 test_cfg: Optional[dict] = None, init_heads_from_previous: bool = True,
                 allow_random_init: bool = False,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Union[dict, List[dict], None] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if stage not in STAGES:
            raise ValueError(f'DecoupledVideoSegmentor: stage must be one of {STAGES}, '
                             f'got {stage!r}')
        if mode not in MODES:
            raise ValueError(f'DecoupledVideoSegmentor: mode must be one of {MODES}, got {mode!r}')
        if task not in TASKS:
            raise ValueError(f'DecoupledVideoSegmentor: task must be one of {TASKS}, got {task!r}')
        if refiner is None and (stage == 'refiner' or mode == 'offline'):
            raise ValueError(f"DecoupledVideoSegmentor: stage={stage!r}, mode={mode!r} needs a "
                             'refiner config')
        if not 0.0 <= query_mask_ratio < 1.0:
            raise ValueError(f'query_mask_ratio must be in [0, 1), got {query_mask_ratio}')
        self.stage, self.mode = stage, mode
        self.query_mask_ratio = float(query_mask_ratio)
        self.init_heads_from_previous = init_heads_from_previous
        self.task = task
        self.test_cfg = dict(max_per_video=10, window=None, object_mask_thr=0.8, overlap_thr=0.8)
        self.test_cfg.update(test_cfg or {})
        self.stage_checkpoint = _pretrained_checkpoint(init_cfg)
        if stage != 'segmenter' and self.stage_checkpoint is None and not allow_random_init:
            previous = STAGES[STAGES.index(stage) - 1]
            raise ValueError(
                f"DecoupledVideoSegmentor: stage {stage!r} starts from the {previous!r} stage's "
                f"checkpoint, but none is given. Train the {previous!r} stage first and set "
                "model.init_cfg=dict(type='Pretrained', checkpoint='work_dirs/<name>/iter_N.pth')"
                ' (or allow_random_init=True, for tests only).')

        self.segmenter = MODELS.build(ConfigDict(segmenter))  # MaskFormer deep-copies sub-configs
        self.tap = SegmenterTap(self.segmenter)
        head = self.segmenter.panoptic_head
        if getattr(head, 'num_stuff_classes', 0):
            raise ValueError('DecoupledVideoSegmentor: the segmenter head must treat every class '
                             'as an object (num_things_classes = all classes, '
                             f'num_stuff_classes=0), got num_stuff_classes='
                             f'{head.num_stuff_classes}; for VPS set num_thing_classes on the '
                             'DecoupledVideoSegmentor instead')
        if task == 'vps' and not (isinstance(num_thing_classes, int)
                                  and 0 <= num_thing_classes <= head.num_classes):
            raise ValueError('DecoupledVideoSegmentor: task="vps" needs num_thing_classes, an int '
                             f'in [0, {head.num_classes}] (things come first), got '
                             f'{num_thing_classes!r}')
        self.num_thing_classes = num_thing_classes
        dims = dict(num_classes=head.num_classes,
                    embed_dims=head.transformer_decoder.embed_dims,
                    mask_dims=head.mask_embed[-1].out_features)
        self.tracker = MODELS.build(self._with_dims(tracker, dims, 'tracker'))
        self.refiner = None if refiner is None else MODELS.build(
            self._with_dims(refiner, dims, 'refiner'))
        self.criterion = ClipMatchingCriterion(num_classes=head.num_classes,
                                               **(criterion or {}))
        self._freeze()

    @staticmethod
    def _with_dims(cfg: dict, dims: Dict[str, int], name: str) -> dict:
        cfg = dict(cfg)
        for key, value in dims.items():
            if cfg.setdefault(key, value) != value:
                raise ValueError(f'DecoupledVideoSegmentor: {name}.{key}={cfg[key]} does not '
                                 f"match the segmenter's {value}")
        return cfg

    # -- stages ------------------------------------------------------------------------------
    def _frozen_modules(self) -> List[torch.nn.Module]:
        """Modules before the trained one (run in eval mode, no gradients)."""
        return [getattr(self, n) for n in STAGES[:STAGES.index(self.stage)]]

    def _freeze(self) -> None:
        for name in STAGES:
            module = getattr(self, name)
            if module is not None:
                module.requires_grad_(name == self.stage)

    def train(self, mode: bool = True) -> 'DecoupledVideoSegmentor':
        super().train(mode)
        for module in self._frozen_modules():
            module.eval()
        return self

    def init_weights(self) -> None:
        """Check that the previous stage's checkpoint exists, load it, seed the new heads."""
        path = self.stage_checkpoint
        if path is not None and '://' not in path and not osp.isfile(path):
            raise ValueError(f'DecoupledVideoSegmentor: the checkpoint to start stage '
                             f'{self.stage!r} from does not exist: {path}. Train the previous '
                             'stage first or point model.init_cfg.checkpoint at its checkpoint.')
        super().init_weights()
        if self.init_heads_from_previous and self.stage != 'segmenter':
            src = self.segmenter.panoptic_head if self.stage == 'tracker' else self.tracker.heads
            dst = getattr(self, self.stage).heads
            dst.cls_embed.load_state_dict(src.cls_embed.state_dict())
            dst.mask_embed.load_state_dict(src.mask_embed.state_dict())

    # -- training ----------------------------------------------------------------------------
    def _clip_outputs(self, inputs: Tensor, data_samples: List[TrackDataSample]):
        """Frozen segmenter outputs reshaped to ``(B, T, ...)``."""
        b, t = inputs.shape[:2]
        frames = [f for s in data_samples for f in s.video_data_samples]
        with torch.no_grad():
            out = self.tap(inputs.flatten(0, 1), frames)
        return [x.unflatten(0, (b, t)) for x in (out.queries, out.cls_logits,
                                                 out.mask_features)]

    def _mask_queries(self, queries: Tensor) -> Tensor:
        if not self.training or self.query_mask_ratio <= 0:
            return queries
        keep = torch.rand(queries.shape[:-1], device=queries.device) >= self.query_mask_ratio
        return queries * keep[..., None]

    def loss(self, inputs: Tensor, data_samples: List[TrackDataSample]) -> Dict[str, Tensor]:
        """Losses of the current stage on clips ``(B, T, C, H, W)``."""
        if inputs.dim() != 5:
            raise ValueError(f'inputs must be (B, T, C, H, W), got {tuple(inputs.shape)}')
        if self.stage == 'segmenter':
            frames = [f for s in data_samples for f in s.video_data_samples]
            head = self.segmenter.panoptic_head  # DVIS++'s head trains on clips (re-id loss)
            clips = head.clip_context(inputs.shape[1]) if hasattr(head, 'clip_context') \
                else contextlib.nullcontext()
            with clips:
                return self.segmenter.loss(inputs.flatten(0, 1), frames)
        queries, logits, features = self._clip_outputs(inputs, data_samples)
        targets = self.criterion.targets(data_samples, inputs.device)
        if self.stage == 'tracker':
            objects = self.tracker(self._mask_queries(queries), logits)
            cls_logits, mask_logits = self.tracker.predict_heads(objects, features)
        else:
            with torch.no_grad():
                objects = self.tracker(queries, logits)
            refined = self.refiner(objects, self._mask_queries(queries), logits)
            cls_logits, mask_logits = self.refiner.predict_heads(refined, features)
            cls_logits = cls_logits[:, None]
        return self.criterion(cls_logits, mask_logits, targets)

    # -- inference ---------------------------------------------------------------------------
    def predict(self, inputs: Tensor, data_samples: List[TrackDataSample],
                rescale: bool = True) -> List[TrackDataSample]:
        """Stream each video; set the task's prediction on every frame (see the module doc)."""
        if inputs.dim() != 5:
            raise ValueError(f'inputs must be (B, T, C, H, W), got {tuple(inputs.shape)}')
        results = []
        for video, sample in zip(inputs, data_samples):
            frames = list(sample.video_data_samples)
            metas = [f.metainfo for f in frames]
            check_frame_sizes(metas)
            state = StreamState()
            stream = self.stream((frame[None] for frame in video), state)
            if self.task == 'vis':
                store = RLEMaskStore()
                for res in stream:
                    store.add(postprocess_masks(res.mask_logits[0], metas[res.index], rescale))
                per_frame = select_video_topk(state.video_scores()[0], store,
                                              self.test_cfg['max_per_video'])
                for frame, instances in zip(frames, per_frame):
                    frame.pred_track_instances = instances
            else:
                for res in stream:
                    self._set_segmentation(frames[res.index], state.video_scores()[0],
                                           res.mask_logits[0], rescale)
            out = TrackDataSample()
            out.video_data_samples = frames
            results.append(out)
        return results

    def _set_segmentation(self, frame, class_probs: Tensor, mask_logits: Tensor,
                          rescale: bool) -> None:
        """``pred_sem_seg`` (VSS) or ``pred_panoptic_seg`` (VPS) of one frame, kept as int32
        on the CPU (as mmdet's fusion head's dtype) so a long video's maps do not pile up on the
        accelerator."""
        if self.task == 'vss':
            pred = semantic_from_objects(class_probs, mask_logits, frame.metainfo, rescale)
            frame.pred_sem_seg = PixelData(data=pred.data.to(torch.int32).cpu())
        else:
            pred = panoptic_from_objects(
                class_probs, mask_logits, frame.metainfo, self.num_thing_classes,
                self.test_cfg['object_mask_thr'], self.test_cfg['overlap_thr'], rescale)
            frame.pred_panoptic_seg = PixelData(sem_seg=pred.sem_seg.to(torch.int32).cpu())

    def _forward(self, inputs: Tensor,
                 data_samples: Optional[List[TrackDataSample]] = None) -> Tuple[Tensor, Tensor]:
        """Raw class and mask logits of the tracker (or refiner, offline) on clips."""
        b, t = inputs.shape[:2]
        with torch.no_grad():
            out = self.tap(inputs.flatten(0, 1))
        queries, logits, features = (x.unflatten(0, (b, t)) for x in (
            out.queries, out.cls_logits, out.mask_features))
        objects = self.tracker(queries, logits)
        if self.mode == 'offline':
            return self.refiner.predict_heads(self.refiner(objects, queries, logits), features)
        return self.tracker.predict_heads(objects, features)

    def forward(self, inputs: Tensor, data_samples: Optional[List[TrackDataSample]] = None,
                mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self._forward(inputs, data_samples)
        raise RuntimeError(f'Invalid mode "{mode}". Only supports loss, predict and tensor mode')
