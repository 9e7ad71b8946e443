"""Every config's datasets (with their pipelines) and evaluators build when its data paths point at
synthetic data of its format (real CamVid frames for the CamVid config)."""

from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.registry import DATASETS, METRICS, DefaultScope

import mvc_plugin  # noqa: F401
from mvc_plugin.datasets.synthetic import SyntheticVideoSpec, write_vipseg, write_vspw

from .config_files import CONFIGS
from .dvis_pp_tiny import write_tiny_coco

SPEC = dict(num_videos=2, num_frames=3, height=48, width=64, seed=9)


@pytest.fixture(scope='module')
def synthetic_roots(tiny_ytvis, tmp_path_factory):
    vspw, vipseg = tmp_path_factory.mktemp('vspw'), tmp_path_factory.mktemp('vipseg')
    for split, first in (('train', 0), ('val', 10)):
        spec = SyntheticVideoSpec(**SPEC, first_index=first)
        write_vspw(spec, str(vspw), split=split, progress=False)
        write_vipseg(spec, str(vipseg), split=split, progress=False)
    return dict(ytvis=tiny_ytvis, vspw=vspw, vipseg=vipseg)


def _point_at_data(cfg: Config, path: Path, roots: dict, request) -> None:
    """Point every dataset (by its type) and VIPSeg evaluator at synthetic data."""
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        split = 'train' if key.startswith('train') else 'val'
        if cfg[key].dataset.type == 'ConcatDataset':  # DVIS++ VIS: video + COCO pseudo clips
            cfg[key].dataset.ignore_keys = ['palette', 'classes']  # synthetic class names
            for ds in cfg[key].dataset.datasets:
                _point_dataset(ds, split, roots, request)
        else:
            _point_dataset(cfg[key].dataset, split, roots, request)
    for key in ('val_evaluator', 'test_evaluator'):
        if cfg[key].get('type') == 'VIPSegMetric':
            cfg[key].update(ann_file=str(roots['vipseg'] / 'panoptic_gt_VIPSeg_val.json'),
                            seg_prefix=str(roots['vipseg'] / 'panomasksRGB'))


def _point_dataset(ds, split: str, roots: dict, request) -> None:
    """Point one dataset config (by its type) at the synthetic data of its format."""
    if ds.type == 'CocoPseudoVideoDataset':  # COCO file written from the synthetic frames
        if not (roots['ytvis'] / 'annotations' / 'coco_instances.json').is_file():
            write_tiny_coco(roots['ytvis'])
        ds.update(data_root=str(roots['ytvis']), ann_file='annotations/coco_instances.json',
                  data_prefix=dict(img=''))
    elif ds.type in ('VideoInstanceDataset', 'OVISDataset'):
        ds.update(data_root=str(roots['ytvis']), ann_file=f'annotations/{split}.json',
                  data_prefix=dict(img_path=f'{split}/JPEGImages'), dataset_version=None)
    elif ds.type in ('VSPWDataset', 'VSPWVideoDataset'):
        ds.update(data_root=str(roots['vspw']), split=f'{split}.txt')
    elif ds.type in ('VIPSegDataset', 'VIPSegVideoDataset'):
        ds.update(data_root=str(roots['vipseg']), ann_file=f'panoptic_gt_VIPSeg_{split}.json')
    else:  # CamVid layout: images/ + labels/
        real = request.getfixturevalue('real_data_root')  # skips only this config
        ds.update(data_root=str(real / 'camvid_seq05vd'))


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: p.stem)
def test_config_datasets_and_evaluators_build(path, synthetic_roots, request, tmp_path):
    cfg = Config.fromfile(str(path))
    cfg.work_dir = str(tmp_path)
    # no fill_output_paths(): evaluators must build as under a plain Runner.from_cfg
    _point_at_data(cfg, path, synthetic_roots, request)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
            dataset = DATASETS.build(cfg[key].dataset)
            assert len(dataset) > 0, key
            sample = dataset[0]  # runs the whole pipeline on real files
            assert 'inputs' in sample and 'data_samples' in sample, key
        for key in ('val_evaluator', 'test_evaluator'):
            evaluators = cfg[key] if isinstance(cfg[key], list) else [cfg[key]]
            for ev in evaluators:
                assert METRICS.build(ev) is not None
