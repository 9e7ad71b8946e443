#!/usr/bin/env python
"""Convert an official DVIS++ R50 checkpoint to this plug-in's model.

Example::

    python tools/convert/dvispp_to_mmdet.py DVIS_Plus_Offline_R50_YTVIS19.pth \
        work_dirs/dvis-pp_r50_ytvis19_offline.pth \
        --config configs/dvis_pp/dvis-pp_r50_ytvis19_offline.py

The official checkpoints are published by the DVIS++ authors (see the official repository's
``MODEL_ZOO.md``). ``--config`` (recommended) builds the matching shipped config and checks that
the result loads into it with ``strict=True`` (every key present, no extra key, same shapes:
stage, backbone and class count must match; for a segmenter-stage checkpoint, into the config's
segmenter, the tracker being trained in the next stage). Any problem -- keys no table maps, keys the config
expects and the checkpoint lacks, shape differences -- is listed, the exit code is 2 and nothing
is written; the output file only ever appears complete (atomic write).

Class order: YouTube-VIS 2019 / 2021, OVIS and VSPW label classes as the official code does
(category id order; VSPW pixel value - 1), so the class heads are copied as they are. VIPSeg: the
official model predicts category ids 0-123 in id order, ``VIPSegVideoDataset`` labels things
first, then stuff, so the rows of every class head (segmenter, tracker, refiner) are permuted
(``--class-order``, automatic for a VPS ``--config``).
"""
import argparse
import io
import sys
from pathlib import Path
from typing import List

_REPO = Path(__file__).resolve().parents[2]
if (_REPO / 'mvc_plugin' / '__init__.py').is_file():
    sys.path.insert(0, str(_REPO))  # run from a checkout: use its package, not an old install

import torch  # noqa: E402

from mvc_plugin.engine.atomic_io import atomic_write  # noqa: E402
from mvc_plugin.engine.safe_checkpoint import safe_load_checkpoint  # noqa: E402
from mvc_plugin.models.dvis_plus.checkpoint_conversion import (  # noqa: E402
    VIPSEG_THING_IDS, DVISPPConversionError, convert_dvispp_state_dict, official_stage,
    reorder_classes, vipseg_label_order)

STAGE_OF_CONFIG = {'segmenter': 'segmenter', 'tracker': 'online', 'refiner': 'offline'}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='official DVIS++ checkpoint (.pth)')
    parser.add_argument('dst', help='output checkpoint for this plug-in')
    parser.add_argument('--config', help='shipped config the result must load into strictly')
    parser.add_argument('--class-order', choices=['auto', 'official', 'vipseg'], default='auto',
                        help='official: keep the official class order (YouTube-VIS, OVIS, '
                        'VSPW: the same as ours); vipseg: things first, then stuff, as '
                        'VIPSegVideoDataset labels them (the official model predicts VIPSeg '
                        'categories in id order); auto (default): vipseg for a --config whose '
                        'task is vps, else official')
    parser.add_argument('--vipseg-json', help='VIPSeg panoptic JSON to read the thing ids from '
                        '(default: the 58 thing ids of the VIPSeg release)')
    return parser.parse_args(argv)


def class_order_of(args: argparse.Namespace) -> str:
    """``'official'`` or ``'vipseg'`` (``auto``: from the config's ``task``)."""
    if args.class_order != 'auto':
        return args.class_order
    if not args.config:
        return 'official'
    from mmengine.config import Config
    model = Config.fromfile(args.config).model
    return 'vipseg' if model.get('model', model).get('task') == 'vps' else 'official'


def vipseg_thing_ids(json_file: str = None) -> List[int]:
    """Thing category ids from a VIPSeg panoptic JSON (or the release's table)."""
    if json_file is None:
        return list(VIPSEG_THING_IDS)
    import json
    try:
        with open(json_file) as f:
            cats = json.load(f)['categories']
        return [int(c['id']) for c in cats if c['isthing']]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise DVISPPConversionError(f'--vipseg-json {json_file}: expected a VIPSeg panoptic '
                                    f'JSON with categories[].id / isthing ({e})') from e


def check_against_config(converted: dict, config: str, stage: str) -> List[str]:
    """Problems loading ``converted`` into the model of ``config`` (empty: loads strictly)."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import mvc_plugin  # noqa: F401  (registers the modules)
    from mmdet.registry import MODELS
    cfg = Config.fromfile(config)
    init_default_scope('mmdet')
    model_cfg = cfg.model.to_dict()
    inner = model_cfg.get('model', model_cfg)  # a MaskedVideoConsistency wrapper holds `model`
    inner.update(init_cfg=None, allow_random_init=True)
    inner.get('segmenter', {})['init_cfg'] = None
    problems = []
    wanted = STAGE_OF_CONFIG.get(inner.get('stage'), inner.get('stage'))
    if wanted != stage:
        problems.append(f'the checkpoint is a DVIS++ {stage} model, {config} expects a '
                        f'{wanted} model')
    model = MODELS.build(model_cfg)
    if stage == 'segmenter':  # the tracker of a segmenter-stage config starts in stage 2
        model = model.segmenter
        converted = {k[len('segmenter.'):]: v for k, v in converted.items()}
    expected = model.state_dict()
    problems += [f'missing in the checkpoint: {k}' for k in expected if k not in converted]
    problems += [f'not in the config: {k}' for k in converted if k not in expected]
    problems += [f'shape of {k}: checkpoint {tuple(v.shape)}, config '
                 f'{tuple(expected[k].shape)}' for k, v in converted.items()
                 if k in expected and tuple(v.shape) != tuple(expected[k].shape)]
    if not problems:
        model.load_state_dict(converted, strict=True)
    return problems


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        ckpt = safe_load_checkpoint(args.src)
        state = ckpt.get('model', ckpt) if isinstance(ckpt, dict) else None
        if not isinstance(state, dict):
            raise DVISPPConversionError('expected a dict (optionally under "model") of tensors')
        stage = official_stage(state)
        converted, unmapped = convert_dvispp_state_dict(state)
        order = class_order_of(args)
        if order == 'vipseg':
            converted = reorder_classes(converted, vipseg_label_order(
                vipseg_thing_ids(args.vipseg_json)))
        problems = [f'no mapping for official key: {k}' for k in unmapped]
        if args.config and not problems:
            problems = check_against_config(converted, args.config, stage)
    except (OSError, DVISPPConversionError) as e:
        print(f'dvispp_to_mmdet: {args.src}: {e}', file=sys.stderr)
        return 2
    if problems:
        print(f'dvispp_to_mmdet: {args.src}: {len(problems)} problem(s), nothing written:',
              file=sys.stderr)
        for p in problems[:50]:
            print(f'  {p}', file=sys.stderr)
        if len(problems) > 50:
            print(f'  ... and {len(problems) - 50} more', file=sys.stderr)
        return 2
    buffer = io.BytesIO()
    torch.save(dict(state_dict=converted,
                    meta=dict(source=str(args.src), dvispp_stage=stage, class_order=order,
                              converted_by='mvc_plugin tools/convert/dvispp_to_mmdet.py')),
               buffer)
    atomic_write(args.dst, buffer.getvalue())
    print(f'wrote {args.dst}: DVIS++ {stage} model, {len(converted)} tensors')
    return 0


if __name__ == '__main__':
    sys.exit(main())
