"""Score saved predictions in the official formats, without a model.

    python tools/eval_offline.py vspw --gt-root DIR --pred-root DIR [--split val.txt]
        [--num-classes 124] [--miou-classes gt|union] [--nproc N] --out res.json
    python tools/eval_offline.py vipseg --gt-json FILE --gt-root DIR --pred-json FILE
        --pred-root DIR [--tube-key id|category_id] [--crowd last|all] [--gt-area json|pixels]
        [--stq official|corrected] [--nproc N] --out res.json
    python tools/eval_offline.py ytvis --gt-json FILE --pred-json results.json [--occlusion-split]
        --out res.json

Writes a JSON object of scores in percent (-1 where undefined) and prints them as a table.
Every default is the official scorer's rule (docs/metrics.md); the options select the
documented variants.
Bad input exits with code 2 and a one-line-per-problem message on stderr (no traceback).
Works from any working directory. Run as a script, it loads only the evaluation code (numpy,
PIL, pycocotools), not the package's model registry (torch, mmdet): start-up takes a fraction of
a second instead of several.
"""
from __future__ import annotations

import argparse
import json
import types
import os
import os.path as osp
import sys
from typing import Any, Callable, Optional, Sequence

_REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
if osp.isfile(osp.join(_REPO, 'mvc_plugin', '__init__.py')):
    sys.path.insert(0, _REPO)  # run from a source checkout: use its package, not an old install

__all__ = ['OVIS_OCCLUSION_KEYS', 'VIPSEG_KEYS', 'VSPW_KEYS', 'YTVIS_KEYS', 'main', 'parse_args']

VSPW_KEYS = ('mIoU', 'VC8', 'VC16')
VIPSEG_KEYS = ('VPQ', 'VPQ_thing', 'VPQ_stuff', 'VPQ@1', 'VPQ@2', 'VPQ@4', 'VPQ@6', 'VPQ@8',
               'STQ', 'AQ', 'SQ') + tuple(f'VPQ_{part}@{k}' for part in ('thing', 'stuff')
                                          for k in (1, 2, 4, 6, 8))
YTVIS_KEYS = ('AP', 'AP50', 'AP75', 'APs', 'APm', 'APl', 'AR1', 'AR10', 'AR100', 'ARs', 'ARm',
              'ARl')
OVIS_OCCLUSION_KEYS = ('APso', 'APmo', 'APho')  # with --occlusion-split
EXIT_BAD_INPUT = 2


class InputError(Exception):
    """Bad user input: reported on stderr with exit code 2."""


def _load_json(path: str, what: str) -> Any:
    if not osp.isfile(path):
        raise InputError(f'{what} {path}: file not found')
    try:
        with open(path, 'rb') as f:
            return json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InputError(f'{what} {path}: not valid JSON ({e})') from None


def _run_vspw(args: argparse.Namespace) -> dict:
    from mvc_plugin.evaluation.functional.vspw_eval import evaluate_vspw_dirs
    stats = evaluate_vspw_dirs(args.gt_root, args.pred_root, split_file=args.split,
                               num_classes=args.num_classes, nproc=args.nproc,
                               miou_classes=args.miou_classes)
    return {k: stats[k] for k in VSPW_KEYS}


def _run_vipseg(args: argparse.Namespace) -> dict:
    try:
        from mvc_plugin.evaluation.functional.vipseg_eval import evaluate_vipseg_files
    except ModuleNotFoundError as e:
        if e.name != 'mvc_plugin.evaluation.functional.vipseg_eval':
            raise
        raise InputError('the VIPSeg evaluator (mvc_plugin.evaluation.functional.vipseg_eval) '
                         'is not installed in this checkout') from None
    for path, what in ((args.gt_json, 'GT JSON'), (args.pred_json, 'prediction JSON')):
        if not isinstance(_load_json(path, what), dict):  # name the file on bad JSON
            raise InputError(f'{what} {path}: expected a JSON object')
    for path, what in ((args.gt_root, 'GT root'), (args.pred_root, 'prediction root')):
        if not osp.isdir(path):
            raise InputError(f'{what} {path}: no such folder')
    stats = evaluate_vipseg_files(args.gt_json, args.gt_root, args.pred_json, args.pred_root,
                                  nproc=args.nproc, stq_official_quirk=args.stq == 'official',
                                  vpq_tube_key=args.tube_key, vpq_crowd=args.crowd,
                                  vpq_gt_area=args.gt_area)
    return {k: stats[k] for k in VIPSEG_KEYS}


def _run_ytvis(args: argparse.Namespace) -> dict:
    from mvc_plugin.evaluation.functional.ytvis_eval import evaluate_ytvis
    gt = _load_json(args.gt_json, 'GT JSON')
    results = _load_json(args.pred_json, 'prediction JSON')
    if not isinstance(gt, dict):
        raise InputError(f'GT JSON {args.gt_json}: expected a JSON object')
    if not isinstance(results, list):
        raise InputError(f'prediction JSON {args.pred_json}: expected a JSON list of results')
    stats = evaluate_ytvis(gt, results, verbose=False, occlusion_split=args.occlusion_split)
    keys = YTVIS_KEYS + (OVIS_OCCLUSION_KEYS if args.occlusion_split else ())
    return {k: stats[k] for k in keys}


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f'must be >= 1, got {value}')
    return value


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Score saved predictions (VSPW, VIPSeg, YouTube-VIS formats); no model.')
    sub = parser.add_subparsers(dest='dataset', required=True)

    p = sub.add_parser('vspw', help='VSPW mIoU / VC8 / VC16 from prediction PNGs')
    p.add_argument('--gt-root', required=True, help='VSPW root holding data/<video>/mask/')
    p.add_argument('--pred-root', required=True, help='folder of <video>/<frame>.png')
    p.add_argument('--split', default=None, help='video list (default: all GT videos)')
    p.add_argument('--num-classes', type=_positive_int, default=124)
    p.add_argument('--miou-classes', choices=('gt', 'union'), default='gt',
                   help='mIoU over classes in the GT (official) or with a non-empty union')
    p.set_defaults(run=_run_vspw)

    p = sub.add_parser('vipseg', help='VIPSeg VPQ / STQ from panoptic PNGs + JSON')
    p.add_argument('--gt-json', required=True)
    p.add_argument('--gt-root', required=True)
    p.add_argument('--pred-json', required=True)
    p.add_argument('--pred-root', required=True)
    p.add_argument('--tube-key', choices=('id', 'category_id'), default='id',
                   help='VPQ tube: segment id with its first category in the window (official) '
                        'or (category, id)')
    p.add_argument('--crowd', choices=('last', 'all'), default='last',
                   help='VPQ: crowd GT discounting false positives: the last listed per '
                        'category in a window (official) or all')
    p.add_argument('--gt-area', choices=('json', 'pixels'), default='json',
                   help='VPQ GT tube area: segments_info "area" (official) or pixel counts')
    p.add_argument('--stq', choices=('official', 'corrected'), default='official',
                   help='STQ: as the official pipeline (stq_official_quirk) or corrected')
    p.set_defaults(run=_run_vipseg)

    p = sub.add_parser('ytvis', help='YouTube-VIS / OVIS AP from a results JSON')
    p.add_argument('--gt-json', required=True)
    p.add_argument('--pred-json', required=True, help='official results list')
    p.add_argument('--occlusion-split', action='store_true',
                   help='OVIS: also APso / APmo / APho from the GT "occlusion" labels')
    p.set_defaults(run=_run_ytvis)

    for name, p in sub.choices.items():
        if name != 'ytvis':
            p.add_argument('--nproc', type=_positive_int, default=1, help='worker processes')
        p.add_argument('--out', required=True, help='output JSON (scores in percent)')
    return parser.parse_args(argv)


def format_table(scores: dict) -> str:
    """Aligned two-column table of percent scores."""
    width = max(len('metric'), *(len(k) for k in scores))
    lines = [f'{"metric":<{width}}  {"value":>7}', f'{"-" * width}  {"-" * 7}']
    lines += [f'{k:<{width}}  {v:7.2f}' for k, v in scores.items()]
    return '\n'.join(lines)


def _light_import() -> None:
    """Make ``mvc_plugin``, ``.datasets`` and ``.evaluation`` bare packages, so importing the
    evaluation functions does not run their ``__init__`` (which registers every model, dataset
    and hook with mmdet / mmseg). Only for a fresh script process: never when the package is
    already loaded."""
    if 'mvc_plugin' in sys.modules:
        return
    import importlib.util
    spec = importlib.util.find_spec('mvc_plugin')
    if spec is None or not spec.submodule_search_locations:
        return
    root = list(spec.submodule_search_locations)[0]
    for name in ('mvc_plugin', 'mvc_plugin.datasets', 'mvc_plugin.evaluation'):
        module = types.ModuleType(name)
        module.__path__ = [osp.join(root, *name.split('.')[1:])]
        sys.modules[name] = module


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    run: Callable[[argparse.Namespace], dict] = args.run
    try:
        from mvc_plugin.evaluation.functional.ytvis_eval import to_percent
        scores = to_percent(run(args))
        out_dir = osp.dirname(osp.abspath(args.out))
        os.makedirs(out_dir, exist_ok=True)
        with open(args.out, 'w', encoding='utf-8') as f:
            json.dump(scores, f, indent=2)
    except (InputError, ValueError, KeyError, TypeError, OSError) as e:
        # DatasetError and the evaluators' errors are ValueErrors naming file / video / frame.
        msg = str(e) if not isinstance(e, KeyError) else f'missing key {e}'
        print(f'error ({args.dataset}): {msg}', file=sys.stderr)
        return EXIT_BAD_INPUT
    print(format_table(scores))
    print(f'scores written to {args.out}')
    return 0


if __name__ == '__main__':
    _light_import()
    sys.exit(main())
