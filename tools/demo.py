"""Segment and track the objects of your own video with an online model (VIS, VSS or VPS).

    python tools/demo.py VIDEO CONFIG CHECKPOINT [--out DIR] [--device cpu] [--window N]
        [--score-thr THR] [--max-frames N]

VIDEO is an mp4/avi file, a folder of frames or a glob ("frames/*.jpg"). Writes DIR/overlay.mp4,
DIR/masks/<frame>.png and a JSON summary, by the model's task (docs/demo.md):
VIS: masks hold track id + 1 per pixel (uint16, 0 = background), DIR/tracks.json;
VSS: masks hold the class id per pixel (uint8), DIR/classes.json;
VPS: masks hold VIPSeg RGB segment ids (R + 256 G + 256^2 B, 0 = void), DIR/segments.json.
The model streams frame by frame (configs/dvis_*.py), so memory stays flat in the video length.
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
    parser.add_argument('--score-thr', type=float, default=None,
                        help='VIS: minimum object score (default 0.5); VPS: object score '
                        'threshold of the panoptic fusion (default: the config\'s '
                        'test_cfg.object_mask_thr); VSS: unused')
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
    task = summary.get('task', 'vis')
    if task == 'vis':
        found, name = f'{len(summary["tracks"])} tracks', 'tracks.json'
    elif task == 'vss':
        found, name = f'{len(summary["classes"])} classes', 'classes.json'
    else:
        things = sum(s['isthing'] for s in summary['segments'])
        found = f'{len(summary["segments"])} segments ({things} thing tracks)'
        name = 'segments.json'
    print(f'demo: {summary["frames"]} frames, {found} -> '
          f'{osp.join(args.out, "overlay.mp4")}, {osp.join(args.out, "masks")}/, '
          f'{osp.join(args.out, name)}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
