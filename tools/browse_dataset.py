#!/usr/bin/env python
"""Render a few videos of a config's dataset with their annotations to PNG images.

    python tools/browse_dataset.py configs/vis_synthetic_quickstart.py --split val \
        --num-videos 4 --frames 6 --out work_dirs/browse

One PNG per video: a row of evenly spaced frames with instance masks in one colour per track id
and class names (video instance sets), or the semantic / panoptic ground truth (VSPW / VIPSeg).
The logic lives in :func:`mvc_plugin.visualization.browse_dataset`.
"""
import argparse
import sys
from pathlib import Path

_REPO = Path(__file__).resolve().parents[1]
if (_REPO / 'mvc_plugin' / '__init__.py').is_file():
    sys.path.insert(0, str(_REPO))  # run from a checkout: use its package, not an old install

import mvc_plugin  # noqa: E402,F401  (registers the plug-in's datasets)
from mmengine.config import DictAction  # noqa: E402

from mvc_plugin.datasets.validation import DatasetError  # noqa: E402
from mvc_plugin.visualization import SPLITS, browse_dataset  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='config file path')
    parser.add_argument('--split', default='train', choices=SPLITS,
                        help='which dataloader\'s dataset to render')
    parser.add_argument('--num-videos', type=int, default=4, help='videos to render')
    parser.add_argument('--frames', type=int, default=4,
                        help='evenly spaced frames per video (one row)')
    parser.add_argument('--out', default='work_dirs/browse', help='output folder')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, e.g. train_dataloader.dataset.data_root=')
    parser.add_argument('--no-progress', action='store_true')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if not Path(args.config).is_file():
        print(f'browse_dataset: error: config file not found: {args.config}', file=sys.stderr)
        return 2
    try:
        paths = browse_dataset(args.config, args.out, split=args.split,
                               num_videos=args.num_videos, num_frames=args.frames,
                               cfg_options=args.cfg_options, progress=not args.no_progress)
    except (DatasetError, OSError, TypeError, ValueError) as err:
        print(f'browse_dataset: error: {err}', file=sys.stderr)
        return 2
    print(f'wrote {len(paths)} images to {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
