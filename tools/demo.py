"""Segment and track the objects of your own video with an online model.

    python tools/demo.py VIDEO CONFIG CHECKPOINT [--out DIR] [--device cpu] [--window N]
        [--score-thr 0.5] [--max-frames N]

VIDEO is an mp4/avi file, a folder of frames or a glob ("frames/*.jpg"). Writes DIR/overlay.mp4
(consistent colour per track), DIR/masks/<frame>.png (track id + 1 per pixel, 0 = background)
and DIR/tracks.json. The model streams frame by frame (configs/dvis_*.py), so memory stays flat
in the video length.
"""
import argparse
import os.path as osp
import sys

_REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
if osp.isfile(osp.join(_REPO, 'mvc_plugin', '__init__.py')):
    sys.path.insert(0, _REPO)

import mvc_plugin  # noqa: E402,F401


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('video', help='video file, frame folder or glob')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--out', default='work_dirs/demo')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--window', type=int, default=None,
                        help='frames per segmenter batch / refiner window (offline models)')
    parser.add_argument('--score-thr', type=float, default=0.5)
    parser.add_argument('--max-frames', type=int, default=None)
    parser.add_argument('--no-progress', action='store_true')
    args = parser.parse_args(argv)
    from mvc_plugin.apis import run_video_demo
    try:
        summary = run_video_demo(args.config, args.checkpoint, args.video, args.out,
                                 device=args.device, score_thr=args.score_thr,
                                 window=args.window, max_frames=args.max_frames,
                                 progress=not args.no_progress)
    except (ValueError, FileNotFoundError) as e:
        print(f'demo: error: {e}', file=sys.stderr)
        print(f'demo: outputs written so far are in {args.out}', file=sys.stderr)
        return 2
    print(f'demo: {summary["frames"]} frames, {len(summary["tracks"])} tracks -> '
          f'{osp.join(args.out, "overlay.mp4")}, {osp.join(args.out, "masks")}/, '
          f'{osp.join(args.out, "tracks.json")}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
