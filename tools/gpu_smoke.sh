#!/usr/bin/env bash
# GPU smoke run of DVIS++ (issue: "runs the three stages for a few iterations on a GPU and prints
# it/s and peak memory"): the shipped R50 YouTube-VIS 2019 configs, baseline then MVC + OMA,
# 20 iterations per stage with AMP on synthetic 360 x 640 videos. One JSON line per stage;
# record them in docs/benchmarks.md with the card's name. Extra arguments go to
# tools/dev/gpu_smoke.py (e.g. --iters 10 --size 480 854).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-python}
for variant in dvis-pp mvc-oma_dvis-pp; do
  "$PY" tools/dev/gpu_smoke.py --variant "$variant" --work-dir "work_dirs/gpu_smoke/$variant" "$@"
done
