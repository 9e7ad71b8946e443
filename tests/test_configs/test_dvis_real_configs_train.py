"""The real-dataset decoupled configs train as shipped (only data paths, input size, point
counts and the pretrained download switched off): VIPSeg, MVC + OMA, stage 1 then stage 3."""
import re
import sys

import pytest

from ..conftest import REPO, run_tool

ENV = {'OMP_NUM_THREADS': '2'}


@pytest.fixture(scope='module')
def vipseg_root(tmp_path_factory):
    from mvc_plugin.datasets.synthetic import SyntheticVideoSpec, write_vipseg
    root = tmp_path_factory.mktemp('vipseg_real_cfg')
    write_vipseg(SyntheticVideoSpec(num_videos=2, num_frames=4, height=64, width=96, seed=5),
                 str(root), split='train', progress=False)
    return root


def _options(root, host='model.model'):
    ann = root / 'panoptic_gt_VIPSeg_train.json'
    opts = [f'{k}.dataset.{f}' for k in ('train_dataloader', 'val_dataloader')
            for f in (f'data_root={root}', 'ann_file=panoptic_gt_VIPSeg_train.json')]
    opts += [f'{k}.{f}' for k in ('train_dataloader', 'val_dataloader')
             for f in ('num_workers=0', 'persistent_workers=False')]
    opts += [f'val_evaluator.ann_file={ann}', f'val_evaluator.seg_prefix={root / "panomasksRGB"}',
             'train_dataloader.batch_size=1', 'train_dataloader.dataset.pipeline.1.transforms.2.'
             'scale=(128,96)', 'train_cfg.max_iters=1', 'train_cfg.val_begin=100',
             f'{host}.segmenter.train_cfg.num_points=512', f'{host}.criterion.num_points=512',
             'default_hooks.logger.interval=1', 'default_hooks.checkpoint.interval=1']
    return opts


def test_vipseg_mvc_oma_configs_train(vipseg_root, tmp_path):
    configs = REPO / 'configs' / 'dvis'
    seg = run_tool([sys.executable, str(REPO / 'tools' / 'train.py'),
                    str(configs / 'dvis_vipseg_r50_segmenter.py'), '--work-dir',
                    str(tmp_path / 'seg'), '--cfg-options', *_options(vipseg_root),
                    'model.model.segmenter.init_cfg=None'], env=ENV)
    out = seg.stdout + seg.stderr
    assert seg.returncode == 0, out[-5000:]
    assert re.search(r'Iter\(train\) \[1/1\].*d8\.loss_dice.*mvc\.loss_cls', out)
    ref = run_tool([sys.executable, str(REPO / 'tools' / 'train.py'),
                    str(configs / 'dvis_vipseg_r50_refiner.py'), '--work-dir',
                    str(tmp_path / 'ref'), '--cfg-options', *_options(vipseg_root),
                    f'model.model.init_cfg.checkpoint={tmp_path / "seg" / "iter_1.pth"}'],
                   env=ENV)
    out = ref.stdout + ref.stderr
    assert ref.returncode == 0, out[-5000:]
    assert f'load model from: {tmp_path / "seg" / "iter_1.pth"}' in out
    assert re.search(r'Iter\(train\) \[1/1\].*loss_mask: [0-9.]+.*mvc\.loss_mask', out)
