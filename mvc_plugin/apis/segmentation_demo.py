"""Demo outputs of video semantic (VSS) and panoptic (VPS) models, frame by frame.

Each streamed frame becomes the task's map with the model's own functions, exactly as
``DecoupledVideoSegmentor.predict`` does: the class probabilities are ``state.video_scores()[0]``
(each object's mean over the frames seen so far) and the masks the frame's object masks, fed to
:func:`semantic_from_objects` (VSS) or :func:`panoptic_from_objects` (VPS, the model's
``num_thing_classes`` and ``test_cfg`` thresholds). Per frame ``<name>``:

* VSS -- ``masks/<name>.png``: the class id of each pixel (uint8, or uint16 for more than 255
  classes; every pixel gets a class, the model has no "none"), i.e. the VSPW prediction format
  that ``tools/eval_offline.py vspw`` scores. ``classes.json``: per class present in at least
  one frame, the frames (indices into ``frame_names``), its pixel count on each of them and
  its share of all pixels of the processed frames.
* VPS -- ``masks/<name>.png``: RGB, segment id ``R + 256 G + 256^2 B`` (VIPSeg's encoding, the
  one ``tools/eval_offline.py vipseg`` reads), 0 = void; a segment id is mmdet's panoptic value
  + 1, as in ``VIPSegMetric``: ``id - 1 = label + instance * 1000`` (``INSTANCE_OFFSET``), with
  ``instance`` = tracked object index + 1 for things (the same on every frame: a thing's id is
  its track) and 0 for stuff. ``segments.json``: per segment id its label, class, thing flag,
  instance, frames and pixel counts (things: also their mean class probability).

The overlay is drawn with mmseg's ``SegLocalVisualizer`` (VSS: one palette colour per class)
and, for VPS, :class:`VideoPanopticVisualizer` (stuff in the class colour, each thing in the
colour of its instance id).
"""
import json
import os.path as osp
import time
from typing import Dict, List, Optional, Sequence

import mmcv
import numpy as np
from mmdet.evaluation.functional import INSTANCE_OFFSET
from PIL import Image

from ..evaluation.functional.vipseg_eval import id2rgb
from ..models.video_heads.segmentation_outputs import (panoptic_from_objects,
                                                       semantic_from_objects)
from ..visualization import SemanticMapVisualizer, VideoPanopticVisualizer, dataset_palette

__all__ = ['PanopticOutputs', 'SemanticOutputs', 'decode_panoptic_ids']

VSS_ENCODING = ('class id per pixel ({dtype}); class names: class_names')
VPS_ENCODING = ('RGB, segment id = R + 256*G + 65536*B; 0 = void; otherwise id - 1 = label + '
                f'{INSTANCE_OFFSET} * instance (instance 0 = stuff, > 0 = thing track)')


def decode_panoptic_ids(ids: np.ndarray) -> tuple:
    """VPS segment ids (see the module doc) -> ``(label, instance)`` arrays; void pixels get
    label -1 and instance 0."""
    ids = np.asarray(ids).astype(np.int64)
    value = ids - 1
    label = np.where(ids > 0, value % INSTANCE_OFFSET, -1)
    instance = np.where(ids > 0, value // INSTANCE_OFFSET, 0)
    return label, instance


class _Outputs:
    """Shared part: the mask folder, frame names, the summary file."""

    task = ''
    summary_name = ''

    def __init__(self, out_dir: str, classes: Sequence[str]) -> None:
        self.out_dir = out_dir
        self.classes = list(classes)
        self.frame_names: List[str] = []

    def _class_name(self, label: int) -> str:
        return self.classes[label] if 0 <= label < len(self.classes) else str(label)

    def _write(self, video, frames: int, complete: bool, **fields) -> Dict:
        summary = dict(source=video.path, task=self.task, frames=frames, fps=video.fps,
                       size=list(video.size), complete=complete,
                       frame_names=self.frame_names[:frames], class_names=self.classes,
                       **fields)
        name = f'{self.summary_name}.json' if complete else f'{self.summary_name}.partial.json'
        with open(osp.join(self.out_dir, name), 'w') as f:
            json.dump(summary, f, indent=1)
        return summary


class SemanticOutputs(_Outputs):
    """VSS: class-id PNGs, a class-coloured overlay and ``classes.json``."""

    task, summary_name = 'vss', 'classes'

    def __init__(self, out_dir: str, classes: Sequence[str],
                 palette: Optional[Sequence] = None, alpha: float = 0.5) -> None:
        super().__init__(out_dir, classes)
        self.vis = SemanticMapVisualizer(name=f'demo-vss-{time.time()}', alpha=alpha)
        self.vis.dataset_meta = dict(classes=self.classes,
                                     palette=dataset_palette(self.classes, palette))
        self.dtype = np.uint8 if len(self.classes) <= 255 else np.uint16
        self.present: Dict[int, dict] = {}

    def add(self, index: int, name: str, frame: np.ndarray, result, state,
            meta: dict) -> np.ndarray:
        """Write frame ``index`` (BGR ``frame``, stream ``result``); returns the RGB overlay."""
        sem_seg = semantic_from_objects(state.video_scores()[0], result.mask_logits[0], meta)
        sem = sem_seg.data[0].cpu().numpy().astype(self.dtype)
        Image.fromarray(sem).save(osp.join(self.out_dir, 'masks', f'{name}.png'))
        for label, count in zip(*np.unique(sem, return_counts=True)):
            entry = self.present.setdefault(int(label), dict(frames=[], pixels=[]))
            entry['frames'].append(index)
            entry['pixels'].append(int(count))
        self.frame_names.append(name)
        return self.vis.draw_semantic(mmcv.bgr2rgb(frame), sem)

    def finish(self, video, frames: int, complete: bool) -> Dict:
        total = max(frames * video.size[0] * video.size[1], 1)
        entries = [dict(label=label, class_name=self._class_name(label), frames=e['frames'],
                        pixels=e['pixels'], share=round(sum(e['pixels']) / total, 6))
                   for label, e in self.present.items()]
        entries.sort(key=lambda e: (-e['share'], e['label']))
        return self._write(video, frames, complete,
                           mask_encoding=VSS_ENCODING.format(dtype=np.dtype(self.dtype).name),
                           classes=entries)


class PanopticOutputs(_Outputs):
    """VPS: VIPSeg RGB id PNGs, an overlay (stuff by class, things by track) and
    ``segments.json``."""

    task, summary_name = 'vps', 'segments'

    def __init__(self, out_dir: str, classes: Sequence[str], palette: Optional[Sequence],
                 num_thing_classes: int, object_mask_thr: float = 0.8,
                 overlap_thr: float = 0.8, alpha: float = 0.5) -> None:
        super().__init__(out_dir, classes)
        self.num_thing_classes = int(num_thing_classes)
        self.object_mask_thr, self.overlap_thr = float(object_mask_thr), float(overlap_thr)
        self.vis = VideoPanopticVisualizer(self.classes, self.num_thing_classes, palette, alpha)
        self.segments: Dict[int, dict] = {}

    def add(self, index: int, name: str, frame: np.ndarray, result, state,
            meta: dict) -> np.ndarray:
        """Write frame ``index`` (BGR ``frame``, stream ``result``); returns the RGB overlay."""
        probs = state.video_scores()[0]
        pan = panoptic_from_objects(probs, result.mask_logits[0], meta, self.num_thing_classes,
                                    self.object_mask_thr, self.overlap_thr).sem_seg[0]
        pan = pan.cpu().numpy()
        void = probs.shape[-1]
        ids = np.where(pan == void, 0, pan + 1)
        Image.fromarray(id2rgb(ids)).save(osp.join(self.out_dir, 'masks', f'{name}.png'))
        scores = {}
        for value, count in zip(*np.unique(pan, return_counts=True)):
            if value == void:
                continue
            label, instance = int(value % INSTANCE_OFFSET), int(value // INSTANCE_OFFSET)
            seg = self.segments.setdefault(int(value) + 1, dict(
                id=int(value) + 1, label=label, class_name=self._class_name(label),
                isthing=instance > 0, instance=instance, frames=[], pixels=[], scores=[]))
            seg['frames'].append(index)
            seg['pixels'].append(int(count))
            if instance:
                scores[instance] = float(probs[instance - 1, label])
                seg['scores'].append(round(scores[instance], 4))
        self.frame_names.append(name)
        return self.vis.draw(mmcv.bgr2rgb(frame), pan, scores)

    def finish(self, video, frames: int, complete: bool) -> Dict:
        segments = []
        for seg_id in sorted(self.segments):
            seg = dict(self.segments[seg_id])
            scores = seg.pop('scores')
            if seg['isthing']:
                seg['score'] = round(float(np.mean(scores)), 4)
            segments.append(seg)
        return self._write(video, frames, complete, num_thing_classes=self.num_thing_classes,
                           object_mask_thr=self.object_mask_thr, overlap_thr=self.overlap_thr,
                           mask_encoding=VPS_ENCODING, segments=segments)
