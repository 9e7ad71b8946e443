"""``tools/benchmark.py metrics --official-*``: the official scorers against ours, same files.

For each official checkout given, writes one generated data set in the official layout
(``official_data``), runs the official scorer(s) and ``tools/eval_offline.py`` with default
options, each as a fresh process at its default process count (the official VPQ script: 8
worker processes; everything else: 1), checks every number agrees to ``TOLERANCE`` percentage
points and reports ``speedup_<metric>`` = official seconds / ours. Ours scores all metrics of a
data set in one run (mIoU + VC8 + VC16; VPQ + STQ), so each metric's speed-up divides by the
time of that whole run.
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any, Callable

import official_data
import official_runners

__all__ = ['TOLERANCE', 'compare_with_official']

#: Largest allowed difference between the official numbers and ours, in percentage points.
TOLERANCE = 1e-6


def _compare(name: str, official: dict, ours: dict, out: dict) -> None:
    diffs = {k: abs(float(ours[k]) - v) for k, v in official.items()}
    worst = max(diffs, key=diffs.get)
    out[f'max_abs_diff_{name}'] = diffs[worst]
    out[f'worst_key_{name}'] = worst
    out[f'agree_{name}'] = diffs[worst] <= TOLERANCE
    out[f'official_{name}'] = official


def compare_with_official(args: argparse.Namespace) -> dict[str, Any]:
    """Run the comparisons for the checkouts given in ``args``; one dict of results."""
    out: dict[str, Any] = dict(benchmark='metrics_official', seed=args.seed,
                               tolerance_pct_points=TOLERANCE)
    h, w = args.official_size
    jobs: list[tuple[str, str, Callable, Callable, dict]] = []
    if args.official_vipseg:
        jobs.append(('vipseg', args.official_vipseg, official_data.write_vipseg,
                     official_runners.official_vipseg,
                     dict(num_videos=args.official_videos, num_frames=args.official_frames,
                          h=h, w=w)))
    if args.official_vspw:
        jobs.append(('vspw', args.official_vspw, official_data.write_vspw,
                     official_runners.official_vspw,
                     dict(num_videos=args.official_videos, num_frames=args.official_frames,
                          h=h, w=w)))
    if args.official_ytvis:
        yh, yw = args.ytvis_size
        jobs.append(('ytvis', args.official_ytvis, official_data.write_ytvis,
                     official_runners.official_ytvis,
                     dict(num_videos=args.ytvis_videos, num_frames=args.ytvis_frames,
                          h=yh, w=yw)))
    if not jobs:
        raise ValueError('give at least one of --official-vipseg / --official-vspw / '
                         '--official-ytvis')
    with tempfile.TemporaryDirectory() as tmp:
        for name, checkout, write, run_official, size in jobs:
            scratch = Path(tmp) / name
            data = write(scratch / 'data', args.seed, size['num_videos'], size['num_frames'],
                         size['h'], size['w'])
            out[f'data_{name}'] = dict(videos=size['num_videos'], frames=size['num_frames'],
                                       size=[size['h'], size['w']])
            official, official_s = run_official(checkout, data, scratch)
            ours, ours_s = official_runners.ours(name, data, scratch)
            _compare(name, official, ours, out)
            out[f'ours_s_{name}'] = round(ours_s, 3)
            for metric, seconds in official_s.items():
                out[f'official_s_{metric}'] = round(seconds, 3)
                out[f'speedup_{metric}'] = round(seconds / ours_s, 2)
    out['agree'] = all(v for k, v in out.items() if k.startswith('agree_'))
    return out
