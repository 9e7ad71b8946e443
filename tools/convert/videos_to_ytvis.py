#!/usr/bin/env python
"""Convert a folder of videos with per-frame instance masks to YouTube-VIS JSON + frames.

    python tools/convert/videos_to_ytvis.py data/my_clips data/my_ytvis --split train

Input: ``SRC/<video>/frames/*.jpg|png`` or ``SRC/<video>.mp4|avi``, with
``SRC/<video>/masks/<frame>.png`` (palette / grey ids or RGB-encoded ids, 0 = background) and an
optional ``SRC/<video>/meta.json`` (``{"1": "dog"}``). Output: ``OUT/annotations/<split>.json``
and ``OUT/<split>/JPEGImages/<video>/``. The logic lives in
:func:`mvc_plugin.datasets.converters.convert_videos_to_ytvis`.
"""
import argparse
import sys
from pathlib import Path

_REPO = Path(__file__).resolve().parents[2]
if (_REPO / 'mvc_plugin' / '__init__.py').is_file():
    sys.path.insert(0, str(_REPO))  # run from a checkout: use its package, not an old install

from mvc_plugin.datasets.converters import convert_videos_to_ytvis  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='folder of videos (<video>/frames/ or <video>.mp4, and '
                        '<video>/masks/)')
    parser.add_argument('out', help='output root (a config\'s data_root)')
    parser.add_argument('--split', default='train',
                        help='name of the JSON (annotations/<split>.json) and frame folder')
    parser.add_argument('--classes', nargs='+', default=None,
                        help='full class list (fixes category ids across splits)')
    parser.add_argument('--default-class', default='object',
                        help='class of instances without a meta.json entry')
    parser.add_argument('--link-frames', action='store_true',
                        help='symlink frame-folder frames instead of copying them')
    parser.add_argument('--no-progress', action='store_true')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    """Run the conversion; errors are reported without a traceback."""
    args = parse_args(argv)
    try:
        out = convert_videos_to_ytvis(args.src, args.out, split=args.split,
                                      classes=args.classes, default_class=args.default_class,
                                      link_frames=args.link_frames,
                                      progress=not args.no_progress)
    except (OSError, ValueError) as err:
        print(f'videos_to_ytvis: error: {err}', file=sys.stderr)
        return 2
    frames = sum(v['length'] for v in out['videos'])
    print(f"wrote {Path(args.out) / 'annotations' / (args.split + '.json')}: "
          f"{len(out['videos'])} videos, {frames} frames, {len(out['annotations'])} tracks, "
          f"{len(out['categories'])} categories; frames under "
          f"{Path(args.out) / args.split / 'JPEGImages'}")
    return 0


if __name__ == '__main__':
    sys.exit(main())
