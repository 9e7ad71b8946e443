"""Every shipped config that no other test trains builds its evaluators and trains one iteration
under a plain ``mmengine.runner.Runner.from_cfg(cfg)`` (no ``tools/train.py``): the 60 legacy
decoupled configs (``configs/dvis/``) and the 25 top-level configs but the quick start (which
``test_plain_runner.py`` trains; ``test_dvis_pp_configs_train.py`` trains ``configs/dvis_pp/``).

``tiny_cfg`` is the only change to a config: data paths (tiny synthetic sets of each format and a
tiny CamVid-like folder), sizes (64 x 96 px frames, 64 px crops, 1-frame clips for the per-frame
segmenter stage and 2-frame clips for the video stages, batch 1, no loader workers), point counts
(256), iterations (1; the val loop is built, not run) and the pretrained switches (downloads
off). The model's design is kept. Stage-2/3 configs (trackers, refiners) of the ResNet and
synthetic models start from a real previous-stage checkpoint under the plain Runner: the
``iter_1.pth`` that the segmenter-stage run of the same dataset and backbone writes (baseline and
MVC + OMA share parameter names). Those of Swin-L start from random weights
(``init_cfg=None, allow_random_init=True``): their 1 GB checkpoints would add about 3 s to write
and 2 s to load per run, through the same loading code as the ResNet ones.

The runs are in-process runners spread over two worker processes of one thread each
(``MVC_TEST_WORKERS`` to change), as in ``test_dvis_pp_configs_train.py``."""
import copy
import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest
from mmengine.config import Config

from .config_files import CONFIG_DIR, CONFIGS

# trained by other tests under a plain Runner: test_dvis_pp_configs_train.py, test_plain_runner.py
TRAINED_ELSEWHERE = {p for p in CONFIGS if p.parent.name == 'dvis_pp'} | \
    {CONFIG_DIR / 'vis_synthetic_quickstart.py'}
DVIS = sorted(p.stem for p in (CONFIG_DIR / 'dvis').glob('dvis_*.py'))
DVIS_SYNTHETIC = sorted(p.stem for p in CONFIG_DIR.glob('dvis_synthetic_*.py'))
MASK2FORMER = sorted(p.stem for p in CONFIG_DIR.glob('v*.py')  # vis_*, vss_*, vps_*
                     if p.stem != 'vis_synthetic_quickstart')

TINY = dict(height=64, width=96)
SCALE = (96, 64)  # (w, h): every resize
CROP = (64, 64)  # every crop
PAD = (64, 96)  # (h, w): every fixed-size pad
NUM_POINTS = 256
FRAMES = dict(segmenter=1, tracker=2, refiner=2)  # frames per training clip, by stage
STAGES = ('segmenter', 'tracker', 'refiner')


def _path(name: str) -> Path:
    return CONFIG_DIR / 'dvis' / f'{name}.py' if name.startswith('dvis_') and \
        not name.startswith('dvis_synthetic') else CONFIG_DIR / f'{name}.py'


# -- tiny data ------------------------------------------------------------------------------------
def write_tiny_sets(root: Path) -> Dict[str, Path]:
    """A train and a val split of each format under ``root``: ``ytvis``, ``vspw``, ``vipseg``
    (one 2-frame video each) and ``camvid`` (images/ + labels/, 11 classes)."""
    import numpy as np
    from mmcv import imwrite

    from mvc_plugin.datasets.synthetic import (SyntheticVideoSpec, write_vipseg, write_vspw,
                                               write_ytvis)
    sets = {name: root / name for name in ('ytvis', 'vspw', 'vipseg', 'camvid')}
    for split, first in (('train', 0), ('val', 50)):
        spec = SyntheticVideoSpec(num_videos=1, num_frames=2, seed=4, first_index=first, **TINY)
        for write, name in ((write_ytvis, 'ytvis'), (write_vspw, 'vspw'),
                            (write_vipseg, 'vipseg')):
            write(spec, str(sets[name]), split=split, progress=False)
    rng = np.random.default_rng(0)
    for i in range(2):
        imwrite(rng.integers(0, 255, (*PAD, 3), dtype=np.uint8),
                str(sets['camvid'] / 'images' / f'f{i}.png'))
        imwrite(np.repeat(np.arange(11, dtype=np.uint8), 9)[None, :96].repeat(64, 0),
                str(sets['camvid'] / 'labels' / f'f{i}.png'))
    return sets


def _point_dataset(dataset: dict, sets: Dict[str, Path], split: str) -> None:
    kind = dataset['type']
    if kind in ('VideoInstanceDataset', 'OVISDataset'):
        dataset.update(data_root=str(sets['ytvis']), ann_file=f'annotations/{split}.json',
                       data_prefix=dict(img_path=f'{split}/JPEGImages'),
                       dataset_version=None)  # the synthetic classes, not the official names
    elif kind in ('VSPWVideoDataset', 'VSPWDataset'):
        dataset.update(data_root=str(sets['vspw']), split=f'{split}.txt')
    elif kind in ('VIPSegVideoDataset', 'VIPSegDataset'):
        dataset.update(data_root=str(sets['vipseg']), ann_file=f'panoptic_gt_VIPSeg_{split}.json')
    elif kind == 'BaseSegDataset':  # CamVid: one folder for both splits
        dataset.update(data_root=str(sets['camvid']))
    else:
        raise AssertionError(f'no tiny data for {kind}')


def _point_evaluator(evaluator: Any, sets: Dict[str, Path]) -> None:
    for metric in evaluator if isinstance(evaluator, list) else [evaluator]:
        if metric.get('type') == 'VIPSegMetric':
            metric.update(ann_file=str(sets['vipseg'] / 'panoptic_gt_VIPSeg_val.json'),
                          seg_prefix=str(sets['vipseg'] / 'panomasksRGB'))


# -- shrinking ------------------------------------------------------------------------------------
def _shrink(node: Any, frames: int, key: str = '') -> None:
    """In place, whole config tree: every resize to ``SCALE``, crop to ``CROP``, fixed-size pad
    to ``PAD``, clip to at most ``frames`` frames, training point count to ``NUM_POINTS``."""
    if isinstance(node, dict):
        kind = node.get('type')
        if kind in ('Resize', 'RandomResize') and 'scale' in node:
            node['scale'] = SCALE
        elif kind == 'RandomChoiceResize':
            node['scales'] = [SCALE]
        elif kind == 'RandomCrop':
            node['crop_size'] = CROP
        elif kind == 'BatchFixedSizePad' or (kind == 'SegDataPreProcessor' and node.get('size')):
            node['size'] = PAD
        elif kind == 'VideoClipSample':
            node['num_frames'] = min(node['num_frames'], frames)
        if key in ('train_cfg', 'criterion') and 'num_points' in node:
            node['num_points'] = NUM_POINTS
        for k, value in node.items():
            _shrink(value, frames, k)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _shrink(value, frames)


def _no_downloads(node: Any) -> None:
    """Every ``Pretrained`` init of the model tree off (the stage checkpoint is set apart)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == 'init_cfg' and isinstance(value, dict) and value.get('type') == 'Pretrained':
                node[key] = None
            else:
                _no_downloads(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _no_downloads(value)


def host_of(cfg: Config) -> dict:
    return cfg.model.model if cfg.model.type == 'MaskedVideoConsistency' else cfg.model


def tiny_cfg(path: Path, sets: Dict[str, Path], work_dir: Path,
             previous: Optional[Path] = None, save: bool = False) -> Config:
    """The shipped config at ``path``, set to train one iteration on the tiny sets.

    Only data paths, sizes, point counts, iterations and pretrained switches change. A tracker /
    refiner stage starts from the checkpoint ``previous``, or from random weights where it is
    None; ``save``: write ``iter_1.pth`` (weights only), to start the next stages from."""
    cfg = Config.fromfile(str(path))
    host = host_of(cfg)
    stage = host.get('stage', 'segmenter')
    stage_init = host.get('init_cfg') if stage != 'segmenter' else None
    _no_downloads(cfg.model)
    if stage_init is not None and previous is not None:
        host.init_cfg = dict(stage_init, checkpoint=str(previous))
    elif stage_init is not None:
        host.init_cfg, host.allow_random_init = None, True
    _shrink(cfg._cfg_dict, FRAMES[stage])
    for split, key in (('train', 'train_dataloader'), ('val', 'val_dataloader'),
                       ('val', 'test_dataloader')):
        loader = cfg[key]
        loader.update(num_workers=0, persistent_workers=False)
        _point_dataset(loader.dataset, sets, split)
    cfg.train_dataloader.batch_size = 1
    for key in ('val_evaluator', 'test_evaluator'):
        _point_evaluator(cfg[key], sets)
    cfg.train_cfg.update(max_iters=1, val_interval=2, val_begin=2)  # the val loop is built only
    checkpoint = cfg.default_hooks.checkpoint
    checkpoint.update(interval=1 if save else 2, save_last=save, save_optimizer=False)
    cfg.default_hooks.logger.interval = 1
    cfg.work_dir = str(work_dir)
    cfg.randomness = dict(seed=0)
    return cfg


# -- runs -----------------------------------------------------------------------------------------
def _cost(name: str) -> float:
    """Rough seconds of one run (for the order of the jobs): Swin-L models weigh most, an MVC
    model trains twice, the segmenter stage trains the backbone."""
    cost = 8.0 if '_swinl_' in name else 1.5 if 'synthetic' in name else 3.0
    mvc = not name.endswith('_baseline') and 'quickstart' not in name
    return cost * (1.5 if mvc else 1.0) * (1.5 if '_segmenter' in name else 1.0)


def _jobs() -> List[Tuple[List[str], bool]]:
    """(names, chained), heaviest first (the pool hands the next job to the first free worker): a
    chained job's first config is the segmenter stage whose checkpoint the others start from."""
    groups: Dict[str, List[str]] = {}
    for name in DVIS:  # dvis_<dataset>_<backbone>_<stage>[_baseline]
        if '_r50_' in name:
            groups.setdefault('_'.join(name.split('_')[:3]), []).append(name)
    for name in DVIS_SYNTHETIC:  # dvis_synthetic[_<task>]_<stage>
        groups.setdefault(name.rsplit('_', 1)[0], []).append(name)

    def order(name):
        stage = next(s for s in STAGES if f'_{s}' in name)
        return STAGES.index(stage), not name.endswith('_baseline')

    jobs = [(sorted(names, key=order), True) for names in groups.values()]
    jobs += [([n], False) for n in DVIS + MASK2FORMER if '_r50_' not in n]
    return sorted(jobs, key=lambda job: -sum(_cost(n) for n in job[0]))


def train_configs(names: List[str], chained: bool, sets: Dict[str, Path],
                  root: Path) -> Dict[str, dict]:
    """Train each config of ``names`` for one iteration under a plain Runner in this process
    (one thread); with ``chained`` the first one saves ``iter_1.pth`` and the others start from
    it. Returns ``name -> dict(ok, error, seconds, cpu, iter, loss, evaluators, val_size, stage,
    checkpoint)``; never raises, so that a worker reports every config."""
    import functools
    import gc
    import time
    import traceback

    import torch
    from mmengine.config import utils as config_utils
    from mmengine.runner import Runner

    import mvc_plugin  # noqa: F401

    torch.set_num_threads(1)  # one core per worker: threads oversubscribe two busy cores
    Config.pretty_text = property(lambda self: repr(self._cfg_dict))  # no yapf: seconds per run
    # an ``mmdet::`` base reads mmdet's ~100 metafiles each time: 0.3 s per config, read once
    metainfo = getattr(config_utils, '_get_cfg_metainfo', None)
    if metainfo is not None and not hasattr(metainfo, 'cache_info'):
        config_utils._get_cfg_metainfo = functools.lru_cache(None)(metainfo)
    gc.collect()
    gc.freeze()  # the datasets' gc.collect() calls skip the imported modules: ~0.5 s per run
    results, previous = {}, None
    for i, name in enumerate(names):
        start, cpu, runner = time.time(), time.process_time(), None
        work_dir = root / name
        try:
            save = chained and i == 0
            cfg = tiny_cfg(_path(name), sets, work_dir, previous=previous, save=save)
            runner = Runner.from_cfg(cfg)
            evaluators = [type(m).__name__ for key in ('val_evaluator', 'test_evaluator')
                          for m in runner.build_evaluator(copy.deepcopy(cfg[key])).metrics]
            runner.train()
            loss = float(runner.message_hub.get_scalar('train/loss').current())
            host = host_of(cfg)
            results[name] = dict(ok=True, error='', seconds=time.time() - start,
                                 cpu=time.process_time() - cpu, loss=loss,
                                 iter=runner.iter, evaluators=evaluators,
                                 val_size=len(runner.val_loop.dataloader.dataset),
                                 stage=host.get('stage', 'segmenter'),
                                 checkpoint=(host.get('init_cfg') or {}).get('checkpoint'))
            if save:
                previous = work_dir / 'iter_1.pth'
        except Exception:  # reported by the test, with the traceback
            results[name] = dict(ok=False, error=traceback.format_exc()[-6000:],
                                 seconds=time.time() - start, cpu=time.process_time() - cpu)
        del runner
        gc.collect()
    return results


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """Train every config of this module once (two workers); ``name -> result``."""
    sets = write_tiny_sets(tmp_path_factory.mktemp('plain_runner_sets'))
    root = tmp_path_factory.mktemp('plain_runner_runs')
    # always in worker processes: train_configs speeds mmengine up process-wide (cached
    # metafiles, frozen gc), which must not leak into the test session
    workers = max(1, int(os.environ.get('MVC_TEST_WORKERS', 2)))
    results = {}
    with ProcessPoolExecutor(workers, mp_context=get_context('spawn')) as pool:
        futures = [pool.submit(train_configs, names, chained, sets, root)
                   for names, chained in _jobs()]
        for future in futures:
            results.update(future.result())
    total = sum(r['seconds'] for r in results.values())
    cpu = sum(r['cpu'] for r in results.values())
    print(f'\nconfigs under a plain Runner, 1 iteration each: {total:.0f} s of runs in all '
          f'({cpu:.0f} s CPU)')
    for name, r in sorted(results.items(), key=lambda kv: -kv[1]['seconds']):
        print(f"  {r['seconds']:6.1f} s  {r['cpu']:6.1f} s CPU  {name}")
    return results


def _check(result: dict, name: str) -> None:
    assert result['ok'], result['error']
    assert result['iter'] == 1
    assert result['loss'] == result['loss'] and abs(result['loss']) < float('inf')  # finite
    assert len(result['evaluators']) >= 2  # val and test
    assert result['val_size'] >= 1  # the val loop (dataset, evaluator) was built by train()
    if result['stage'] != 'segmenter' and '_swinl_' in name:  # from random weights
        assert result['checkpoint'] is None
    elif result['stage'] != 'segmenter':  # from the segmenter run's checkpoint
        assert str(result['checkpoint']).endswith('iter_1.pth'), 'no segmenter-stage checkpoint'
        assert Path(result['checkpoint']).parent.name.split('_segmenter')[0] == \
            name.split(f"_{result['stage']}")[0]


def test_every_shipped_config_trains_under_a_plain_runner():
    """This module and the two others cover every shipped config."""
    here = {_path(n) for n in DVIS + DVIS_SYNTHETIC + MASK2FORMER}
    assert len(here) == len(DVIS) + len(DVIS_SYNTHETIC) + len(MASK2FORMER)
    assert not here & TRAINED_ELSEWHERE
    assert here | TRAINED_ELSEWHERE == set(CONFIGS)


@pytest.mark.parametrize('name', DVIS)
def test_decoupled_config_trains(name, trained):
    _check(trained[name], name)


@pytest.mark.parametrize('name', DVIS_SYNTHETIC)
def test_synthetic_decoupled_config_trains(name, trained):
    _check(trained[name], name)


@pytest.mark.parametrize('name', MASK2FORMER)
def test_mask2former_config_trains(name, trained):
    _check(trained[name], name)
