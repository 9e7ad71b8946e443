#!/usr/bin/env python
"""Split a YouTube-VIS / OVIS train JSON into train and held-out val by video (seeded).

    python tools/convert/ytvis_holdout.py data/youtube_vis_2019/train.json \
        --out-train data/youtube_vis_2019/train_sub.json \
        --out-val data/youtube_vis_2019/holdout_val.json --val-fraction 0.1 --seed 0

Frames stay where they are (both halves use train/JPEGImages); evaluate on the held-out half with
``val_evaluator.format_only=False`` for a local AP.
"""
import argparse
import json
import sys
from pathlib import Path

_REPO = Path(__file__).resolve().parents[2]
if (_REPO / 'mvc_plugin' / '__init__.py').is_file():
    sys.path.insert(0, str(_REPO))

from mvc_plugin.datasets.converters import split_ytvis_by_video  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('ann', help='YouTube-VIS/OVIS train JSON with ground truth')
    parser.add_argument('--out-train', required=True)
    parser.add_argument('--out-val', required=True)
    parser.add_argument('--val-fraction', type=float, default=0.1)
    parser.add_argument('--num-val', type=int, default=None, help='overrides --val-fraction')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    try:
        with open(args.ann) as f:
            data = json.load(f)
        train, val = split_ytvis_by_video(data, args.val_fraction, args.num_val, args.seed)
    except (OSError, ValueError) as e:
        print(f'ytvis_holdout: error: {args.ann}: {e}', file=sys.stderr)
        return 2
    for path, part in ((args.out_train, train), (args.out_val, val)):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with open(path, 'w') as f:
            json.dump(part, f)
        print(f'{path}: {len(part["videos"])} videos, {len(part["annotations"])} tracks')
    return 0


if __name__ == '__main__':
    sys.exit(main())
