"""Shipped configs run under a plain ``mmengine.runner.Runner.from_cfg`` (as mmdet's
``tools/train.py`` or a user's script builds them), without this repository's tools: a
``format_only`` evaluator with ``outfile_prefix=None`` writes into the run's log dir."""
from pathlib import Path

from mmengine.config import Config
from mmengine.runner import Runner

import mvc_plugin  # noqa: F401

from ..conftest import tiny_vis_options
from .config_files import CONFIG_DIR


def test_train_val_test_under_plain_runner(tiny_ytvis, tmp_path):
    cfg = Config.fromfile(str(CONFIG_DIR / 'vis_synthetic_quickstart.py'))
    options = dict(o.split('=', 1) for o in tiny_vis_options(tiny_ytvis, iters=1))
    cfg.merge_from_dict({k: (v if not v.lstrip('-').isdigit() else int(v)) for k, v in
                         options.items() if k != 'param_scheduler.milestones'})
    shipped = Config.fromfile(str(CONFIG_DIR / 'vis_youtube.py'))  # format_only, prefix None
    assert shipped.val_evaluator.format_only and shipped.val_evaluator.outfile_prefix is None
    cfg.val_evaluator = cfg.test_evaluator = shipped.val_evaluator
    cfg.train_cfg.val_interval = 1
    cfg.work_dir = str(tmp_path / 'work')
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[key].update(num_workers=0, persistent_workers=False)

    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 1
    assert runner.test() == {}  # format_only: files only
    written = sorted(p.relative_to(tmp_path) for p in Path(tmp_path).rglob('ytvis.*'))
    assert written and all(p.parts[:2] == ('work', runner.timestamp) for p in written), written
    assert {p.name for p in written} == {'ytvis.json', 'ytvis.submission_file.zip'}
