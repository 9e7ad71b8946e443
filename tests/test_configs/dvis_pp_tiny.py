"""Tiny synthetic data and overrides that let a shipped DVIS++ config train on the CPU.

Only what cannot run on a CPU in seconds is changed: data paths (synthetic sets of each format,
a tiny COCO file written from synthetic frames), input sizes (64 px), point counts, workers,
iterations, validation and the pretrained download. The recipe (schedule, optimiser, clip
sampler and its frame count, augmentation types, dataset mix and ratios) is kept as shipped.
"""
import json
from pathlib import Path
from typing import Any, Dict, List, Optional

from mmengine.config import Config

__all__ = ['COCO_IDS', 'tiny_cfg', 'train_configs', 'write_tiny_coco', 'write_tiny_sets']

# synthetic YouTube-VIS category k (1-based) -> a COCO category id: person, car, dog (mapped for
# every VIS target), traffic light (mapped for none: dropped), bicycle
COCO_IDS = {1: 1, 2: 3, 3: 18, 4: 10, 5: 2}
TINY = dict(height=64, width=96)
# (max long edge, max short edge) of every resize, crop sizes at that scale
SCALE = (64, 64)
CROPS = {'absolute_range': (32, 48), 'absolute': (40, 40)}


def write_tiny_coco(ytvis_root: Path) -> Path:
    """A COCO instances file whose images are the first frames of the synthetic YouTube-VIS
    train videos (``ytvis_root/annotations/train.json``); returns its path."""
    data = json.loads((ytvis_root / 'annotations' / 'train.json').read_text())
    images, annotations = [], []
    for video in data['videos']:
        images.append(dict(id=video['id'], file_name=f"train/JPEGImages/{video['file_names'][0]}",
                           height=video['height'], width=video['width']))
    for ann in data['annotations']:
        if ann['segmentations'][0] is None:
            continue
        x, y, w, h = ann['bboxes'][0]
        annotations.append(dict(id=len(annotations) + 1, image_id=ann['video_id'],
                                category_id=COCO_IDS[ann['category_id']], iscrowd=0,
                                segmentation=ann['segmentations'][0], area=ann['areas'][0],
                                bbox=[x, y, w, h]))
    names = {1: 'person', 2: 'bicycle', 3: 'car', 10: 'traffic light', 18: 'dog'}
    coco = dict(images=images, annotations=annotations,
                categories=[dict(id=i, name=n, supercategory='x') for i, n in names.items()])
    path = ytvis_root / 'annotations' / 'coco_instances.json'
    path.write_text(json.dumps(coco))
    return path


def write_tiny_sets(root: Path) -> Dict[str, Path]:
    """One tiny train set per format under ``root``: ``ytvis`` (+ its COCO file), ``vspw``,
    ``vipseg``."""
    from mvc_plugin.datasets.synthetic import (SyntheticVideoSpec, write_vipseg, write_vspw,
                                               write_ytvis)
    spec = SyntheticVideoSpec(num_videos=2, num_frames=4, seed=3, **TINY)
    sets = {name: root / name for name in ('ytvis', 'vspw', 'vipseg')}
    write_ytvis(spec, str(sets['ytvis']), split='train', progress=False)
    write_vspw(spec, str(sets['vspw']), split='train', progress=False)
    write_vipseg(spec, str(sets['vipseg']), split='train', progress=False)
    write_tiny_coco(sets['ytvis'])
    return sets


def _shrink(node: Any) -> None:
    """Every resize to ``SCALE``, every crop to ``CROPS`` (in place, whole config tree)."""
    if isinstance(node, dict):
        kind = node.get('type')
        if kind == 'RandomChoiceResize':
            node['scales'] = [SCALE]
        elif kind == 'Resize':
            node['scale'] = SCALE
        elif kind == 'RandomCrop':
            node['crop_size'] = CROPS[node['crop_type']]
        for value in node.values():
            _shrink(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _shrink(value)


def _video_data(dataset: dict, sets: Dict[str, Path]) -> None:
    kind = dataset['type']
    if kind in ('VideoInstanceDataset', 'OVISDataset'):
        dataset.update(data_root=str(sets['ytvis']), ann_file='annotations/train.json',
                       data_prefix=dict(img_path='train/JPEGImages'),
                       dataset_version=None)  # the synthetic classes, not the official names
    elif kind == 'VSPWVideoDataset':
        dataset.update(data_root=str(sets['vspw']))
    elif kind == 'VIPSegVideoDataset':
        dataset.update(data_root=str(sets['vipseg']))
    elif kind == 'CocoPseudoVideoDataset':
        dataset.update(data_root=str(sets['ytvis']), ann_file='annotations/coco_instances.json',
                       data_prefix=dict(img=''))
    else:
        raise AssertionError(f'no tiny data for {kind}')


def tiny_cfg(path: Path, sets: Dict[str, Path], work_dir: Path, iters: int = 2,
             previous: Optional[Path] = None, save: bool = False) -> Config:
    """The shipped config at ``path``, set to train ``iters`` iterations on the tiny sets.

    Stage-2/3 configs start from ``stage://previous`` when given, else from random weights;
    ``save``: write the final checkpoint (for a next stage)."""
    cfg = Config.fromfile(str(path))
    host = cfg.model.model if cfg.model.type == 'MaskedVideoConsistency' else cfg.model
    host.segmenter.init_cfg = None  # no download
    host.segmenter.train_cfg.num_points = 256
    host.criterion = dict(num_points=256)
    if host.stage != 'segmenter':
        if previous is None:
            host.init_cfg, host.allow_random_init = None, True
        else:
            host.init_cfg.checkpoint = f'stage://{previous}'
    loader = cfg.train_dataloader
    loader.update(num_workers=0, persistent_workers=False)
    datasets = loader.dataset.datasets if loader.dataset.type == 'ConcatDataset' \
        else [loader.dataset]
    for dataset in datasets:
        _video_data(dataset, sets)
    if loader.dataset.type == 'ConcatDataset':  # synthetic class names vs the COCO table's
        loader.dataset.ignore_keys = ['palette', 'classes']
    _shrink(cfg._cfg_dict)
    cfg.train_cfg.max_iters = iters
    cfg.train_cfg.val_interval = iters + 1
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.test_cfg = cfg.test_dataloader = cfg.test_evaluator = None
    cfg.default_hooks.checkpoint.interval = iters if save else iters + 1
    cfg.default_hooks.checkpoint.save_last = save
    cfg.default_hooks.checkpoint.save_optimizer = False  # the next stage needs the weights only
    cfg.default_hooks.logger.interval = 1
    cfg.work_dir = str(work_dir)
    cfg.randomness = dict(seed=0)
    return cfg


def train_configs(names: List[str], sets: Dict[str, Path], root: Path,
                  chain: bool = False) -> Dict[str, dict]:
    """Train each config of ``names`` for two iterations in this process (one thread); with
    ``chain`` each one after the first starts from the previous one's ``last_checkpoint``.
    Returns ``name -> dict(ok, error, seconds, loss, iter, checkpoint)``; never raises, so that a
    worker process reports every config."""
    import time
    import traceback

    import torch
    from mmengine.runner import Runner

    import mvc_plugin  # noqa: F401
    from .config_files import CONFIG_DIR

    torch.set_num_threads(1)  # one core per worker: threads oversubscribe two busy cores
    Config.pretty_text = property(lambda self: repr(self._cfg_dict))  # no yapf: seconds per run
    results, previous = {}, None
    for name in names:
        start = time.time()
        work_dir = root / name
        try:
            cfg = tiny_cfg(CONFIG_DIR / 'dvis_pp' / f'{name}.py', sets, work_dir,
                           previous=previous, save=chain)
            runner = Runner.from_cfg(cfg)
            runner.train()
            loss = float(runner.message_hub.get_scalar('train/loss').current())
            host = cfg.model.model if cfg.model.type == 'MaskedVideoConsistency' else cfg.model
            results[name] = dict(ok=True, error='', seconds=time.time() - start, loss=loss,
                                 iter=runner.iter,
                                 checkpoint=str((host.get('init_cfg') or {}).get('checkpoint')))
            previous = work_dir if chain else None
        except Exception:  # reported by the test, with the traceback
            results[name] = dict(ok=False, error=traceback.format_exc()[-6000:],
                                 seconds=time.time() - start, loss=None, iter=None,
                                 checkpoint=None)
            previous = None
    return results
