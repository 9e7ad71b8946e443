"""Check a video dataset on disk and list every problem, before a training run finds one.

Examples::

    python tools/check_dataset.py ytvis --ann data/youtube_vis_2019/train.json \
        --img-root data/youtube_vis_2019/train/JPEGImages
    python tools/check_dataset.py vspw --root data/vspw [--split train.txt]
    python tools/check_dataset.py vipseg --ann data/vipseg/panoptic_gt_VIPSeg_train.json \
        --img-root data/vipseg/images --pan-root data/vipseg/panomasksRGB
    ... --full    # also decode every frame and mask (slow; see docs/reliability.md)

Prints one line per problem (file, video, frame, what is wrong and its [kind]), then a summary.
Exit status: 0 no problems, 1 problems found, 2 usage error.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

_REPO = Path(__file__).resolve().parents[1]
if (_REPO / 'mvc_plugin' / '__init__.py').is_file():
    sys.path.insert(0, str(_REPO))  # run from a checkout: use its package, not an old install

from mvc_plugin.datasets.checks import (CheckReport, check_vipseg, check_vspw,  # noqa: E402
                                        check_ytvis)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    formats = parser.add_subparsers(dest='format', required=True, metavar='FORMAT',
                                    help='ytvis | vspw | vipseg')

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = formats.add_parser(name, help=help_text)
        sub.add_argument('--full', action='store_true',
                         help='also decode every frame and mask (slow)')
        sub.add_argument('--no-progress', action='store_true', help='hide the progress bar')
        return sub

    ytvis = add('ytvis', 'YouTube-VIS / OVIS JSON and frames')
    ytvis.add_argument('--ann', required=True, help='the annotation JSON')
    ytvis.add_argument('--img-root', required=True,
                       help='folder the JSON "file_names" are relative to')
    vspw = add('vspw', 'VSPW layout (data/<video>/{origin,mask}/)')
    vspw.add_argument('--root', required=True, help='VSPW root folder')
    vspw.add_argument('--split', help='split file (relative to --root or a path); '
                      'default: every folder of <root>/data')
    vipseg = add('vipseg', 'VIPSeg panoptic JSON, frames and panoptic PNGs')
    vipseg.add_argument('--ann', required=True, help='panoptic_gt_VIPSeg_<split>.json')
    vipseg.add_argument('--img-root', required=True,
                        help='the frame folder (images/ of the official 720p conversion, or imgs/)')
    vipseg.add_argument('--pan-root', required=True, help='the panomasksRGB/ folder')
    return parser.parse_args(argv)


def run_check(args: argparse.Namespace) -> CheckReport:
    """Dispatch to the checker of ``args.format``."""
    progress = not args.no_progress
    if args.format == 'ytvis':
        return check_ytvis(args.ann, args.img_root, args.full, progress)
    if args.format == 'vspw':
        return check_vspw(args.root, args.split, args.full, progress)
    return check_vipseg(args.ann, args.img_root, args.pan_root, args.full, progress)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    report = run_check(args)
    for problem in report.problems:
        print(problem.describe())
    mode = 'full' if args.full else 'cheap (use --full to decode every frame and mask)'
    print(f'{report.summary()} -- {mode} check')
    return 0 if report.ok else 1


if __name__ == '__main__':
    sys.exit(main())
