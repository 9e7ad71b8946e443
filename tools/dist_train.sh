#!/usr/bin/env bash
# Distributed training with torchrun: one process per GPU, on one or several nodes.
#
#   tools/dist_train.sh CONFIG NGPUS [tools/train.py args...]
#
# Environment: NNODES (1), NODE_RANK (0), MASTER_ADDR (127.0.0.1), PORT (29500),
# PYTHON (python). Multi-node: run the same command on every node with its NODE_RANK and the
# first node's MASTER_ADDR. CPU-only machines: add `--cfg-options env_cfg.dist_cfg.backend=gloo`.
set -euo pipefail

usage() {
    echo "usage: $(basename "$0") CONFIG NGPUS [tools/train.py args...]" >&2
    echo "  env: NNODES=1 NODE_RANK=0 MASTER_ADDR=127.0.0.1 PORT=29500 PYTHON=python" >&2
    exit 2
}
[[ $# -ge 2 ]] || usage
CONFIG=$1
NGPUS=$2
shift 2
[[ $NGPUS =~ ^[1-9][0-9]*$ ]] || { echo "NGPUS must be a positive integer, got '$NGPUS'" >&2; usage; }

TOOLS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec "${PYTHON:-python}" -m torch.distributed.run \
    --nnodes="${NNODES:-1}" \
    --node_rank="${NODE_RANK:-0}" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" \
    --master_port="${PORT:-29500}" \
    --nproc_per_node="$NGPUS" \
    "$TOOLS/train.py" "$CONFIG" --launcher pytorch "$@"
