#!/usr/bin/env bash
# The DVIS++ MVC / OMA ablation at the larger GPU preset (320 x 240 frames, 120 training videos,
# 400 / 200 / 200 iterations per stage), one (benchmark, seed) group per call so that a call fits
# a short GPU lease (about 5 min on one H100-class card, estimated, not yet measured).
# Results go to the `decoupled-gpu` block of docs/results.md, marked with the card's name.
#
#   PY=.venv/bin/python bash tools/experiments/dvispp_ablation_gpu.sh [BENCH] [SEED]
#   (default synthetic-vis 0)
set -euo pipefail
cd "$(dirname "$0")/../.."
BENCH="${1:-synthetic-vis}"
SEED="${2:-0}"
PY="${PY:-python}"  # the interpreter of the environment with torch, mmcv, mmdet, mmseg
CARD="$("$PY" -c 'import torch
print(torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")')" || {
    echo "dvispp_ablation_gpu.sh: $PY cannot import torch (set PY=/path/to/env/bin/python)" >&2
    exit 2; }
if [ -z "$CARD" ]; then
    echo "dvispp_ablation_gpu.sh: no CUDA device visible to $PY" \
         "(torch.cuda.is_available() is False)" >&2
    exit 2
fi
"$PY" tools/experiments/dvispp_ablation.py --preset gpu --benches "$BENCH" --seeds "$SEED" \
    --jobs 1 --out work_dirs/dvispp_ablation --update-docs --device-note "1x $CARD"
