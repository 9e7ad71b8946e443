#!/usr/bin/env python
"""Convert a DAVIS folder to a YouTube-VIS JSON (one track per object).

Example::

    python tools/convert/davis_to_ytvis.py data/davis data/davis/val_ytvis.json \
        --sequences blackswan car-shadow --max-frames 20

The image root for a loader is then ``data/davis/JPEGImages/480p``. The logic
lives in :func:`mvc_plugin.datasets.converters.convert_davis_to_ytvis`.
"""
import argparse
import sys
from pathlib import Path

_REPO = Path(__file__).resolve().parents[2]
if (_REPO / 'mvc_plugin' / '__init__.py').is_file():
    sys.path.insert(0, str(_REPO))  # run from a checkout: use its package, not an old install

from mvc_plugin.datasets.converters import convert_davis_to_ytvis  # noqa


def parse_args(argv=None) -> argparse.Namespace:
    """Command-line arguments."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('davis_root', help='DAVIS root (JPEGImages/, '
                        'Annotations/, object_categories.json)')
    parser.add_argument('out_json', help='output YouTube-VIS json')
    parser.add_argument('--resolution', default='480p')
    parser.add_argument('--sequences', nargs='+', default=None,
                        help='sequences to convert (default: all)')
    parser.add_argument('--categories-json', default=None,
                        help='object category map (default: '
                        'DAVIS_ROOT/object_categories.json)')
    parser.add_argument('--link-frames-to', default=None,
                        help='also symlink the selected frames into this '
                        'folder (<seq>/<frame>)')
    parser.add_argument('--max-frames', type=int, default=None,
                        help='keep the first N frames (after the stride)')
    parser.add_argument('--frame-stride', type=int, default=1,
                        help='keep every K-th frame')
    parser.add_argument('--no-progress', action='store_true')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    """Run the conversion; errors are reported without a traceback."""
    args = parse_args(argv)
    try:
        out = convert_davis_to_ytvis(
            args.davis_root, args.out_json, resolution=args.resolution,
            sequences=args.sequences, categories_json=args.categories_json,
            link_frames_to=args.link_frames_to, max_frames=args.max_frames,
            frame_stride=args.frame_stride, progress=not args.no_progress)
    except (OSError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    frames = sum(v['length'] for v in out['videos'])
    print(f"wrote {args.out_json}: {len(out['videos'])} videos, {frames} "
          f"frames, {len(out['annotations'])} tracks, "
          f"{len(out['categories'])} categories; image root: "
          f"{Path(args.davis_root) / 'JPEGImages' / args.resolution}")
    return 0


if __name__ == '__main__':
    sys.exit(main())
