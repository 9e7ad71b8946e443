#!/usr/bin/env python
"""Generate a deterministic synthetic video segmentation dataset in an official layout.

Examples::

    python tools/make_synthetic.py ytvis data/synthetic_ytvis
    python tools/make_synthetic.py vipseg data/synthetic_vipseg --num-videos 4 --split val \
        --seed 1

Same arguments give byte-identical files. For a validation split next to a training split,
use another ``--seed`` or a ``--first-index`` past the training videos.
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

_REPO = Path(__file__).resolve().parents[1]
if (_REPO / 'mvc_plugin' / '__init__.py').is_file():
    sys.path.insert(0, str(_REPO))  # run from a checkout: use its package, not an old install

from mvc_plugin.datasets.synthetic import (SUPPORTED_FORMATS, SyntheticVideo,  # noqa: E402
                                           SyntheticVideoSpec, thing_class_names, write_dataset)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    d = SyntheticVideoSpec()
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('format', help=f'output format: {", ".join(SUPPORTED_FORMATS)}')
    p.add_argument('out_dir', help='output root folder (created if needed)')
    p.add_argument('--num-videos', type=int, default=d.num_videos)
    p.add_argument('--num-frames', type=int, default=d.num_frames)
    p.add_argument('--size', type=int, nargs=2, metavar=('H', 'W'), default=(d.height, d.width))
    p.add_argument('--seed', type=int, default=d.seed)
    p.add_argument('--split', default='train', help='split name (default: train)')
    p.add_argument('--first-index', type=int, default=d.first_index,
                   help='number of the first video (names vid_<index>, seeds per video)')
    p.add_argument('--num-thing-classes', type=int, default=d.num_thing_classes)
    p.add_argument('--num-stuff-classes', type=int, default=d.num_stuff_classes)
    p.add_argument('--objects', '--objects-per-video', type=int, nargs=2, metavar=('MIN', 'MAX'),
                   default=d.objects_per_video, help='objects per video')
    p.add_argument('--object-size', type=float, nargs=2, metavar=('MIN', 'MAX'),
                   default=d.object_size, help='object diameter as a fraction of min(H, W)')
    p.add_argument('--speed', type=float, nargs=2, metavar=('MIN', 'MAX'), default=d.speed_range,
                   help='object displacement over the clip, in frame diagonals')
    p.add_argument('--class-skew', type=float, default=d.class_skew,
                   help='thing class prior exponent: p(k) ~ 1/(k+1)^skew (0 = uniform)')
    p.add_argument('--stuff-drift', type=float, default=d.stuff_drift,
                   help='stuff texture drift, pixels per frame')
    p.add_argument('--others-prob', type=float, default=d.others_prob,
                   help='probability that a video has an unlabelled (others/void) patch')
    p.add_argument('--no-progress', action='store_true', help='hide the progress bar')
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; raises ``ValueError`` on an unknown format or invalid parameters."""
    args = parse_args(argv)
    if args.format not in SUPPORTED_FORMATS:
        raise ValueError(f'format must be one of {", ".join(SUPPORTED_FORMATS)}, '
                         f'got {args.format!r}')
    spec = SyntheticVideoSpec(
        num_videos=args.num_videos, num_frames=args.num_frames, height=args.size[0],
        width=args.size[1], num_thing_classes=args.num_thing_classes,
        num_stuff_classes=args.num_stuff_classes, objects_per_video=tuple(args.objects),
        class_skew=args.class_skew, object_size=tuple(args.object_size),
        speed_range=tuple(args.speed), stuff_drift=args.stuff_drift,
        others_prob=args.others_prob, seed=args.seed, first_index=args.first_index)
    out_dir = Path(args.out_dir).resolve()
    names: list[str] = []
    per_class: Counter[int] = Counter()
    frames = 0

    def collect(video: SyntheticVideo) -> None:
        nonlocal frames
        names.append(video.name)
        frames += video.num_frames
        per_class.update(int(k) for k in video.instance_classes)

    path = write_dataset(args.format, spec, out_dir, args.split, progress=not args.no_progress,
                         on_video=collect)
    where = {
        'ytvis': [('annotations', path), ('frames', out_dir / args.split / 'JPEGImages')],
        'vspw': [('root', path), ('frames + masks', out_dir / 'data'),
                 ('video list', out_dir / f'{args.split}.txt'),
                 ('label map', out_dir / 'label_num_dic_final.json')],
        'vipseg': [('annotations', path), ('frames', out_dir / 'images'),
                   ('panoptic masks', out_dir / 'panomasksRGB'),
                   ('video list', out_dir / f'{args.split}.txt')],
    }[args.format]
    print(f'Wrote synthetic {args.format} split {args.split!r} (seed {spec.seed}):')
    for label, p in where:
        print(f'  {label:<15} {p}')
    print(f'  videos: {len(names)} ({names[0]} .. {names[-1]}), frames: {frames} '
          f'({spec.num_frames} per video, {spec.height}x{spec.width})')
    print(f'  thing instances: {sum(per_class.values())}')
    for k, name in enumerate(thing_class_names(spec)):
        print(f'    {name:<12} {per_class[k]}')
    return 0


if __name__ == '__main__':
    try:
        sys.exit(main())
    except ValueError as err:
        print(f'{Path(sys.argv[0]).name}: error: {err}', file=sys.stderr)
        sys.exit(2)
