#!/usr/bin/env bash
# Training on a Slurm cluster: srun starts one task per GPU, mmengine reads Slurm's variables.
#
#   tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [tools/train.py args...]
#
# Environment: GPUS (8, total tasks), GPUS_PER_NODE (min(GPUS, 8)), CPUS_PER_TASK (5),
# SRUN_ARGS (extra srun arguments, e.g. "--quotatype=auto"), PYTHON (python).
set -euo pipefail

usage() {
    echo "usage: $(basename "$0") PARTITION JOB_NAME CONFIG WORK_DIR [tools/train.py args...]" >&2
    echo "  env: GPUS=8 GPUS_PER_NODE=min(GPUS,8) CPUS_PER_TASK=5 SRUN_ARGS='' PYTHON=python" >&2
    exit 2
}
[[ $# -ge 4 ]] || usage
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
WORK_DIR=$4
shift 4
GPUS=${GPUS:-8}
[[ $GPUS =~ ^[1-9][0-9]*$ ]] || { echo "GPUS must be a positive integer, got '$GPUS'" >&2; usage; }
GPUS_PER_NODE=${GPUS_PER_NODE:-$(( GPUS < 8 ? GPUS : 8 ))}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
read -r -a EXTRA_SRUN <<< "${SRUN_ARGS:-}"

TOOLS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec srun -p "$PARTITION" \
    --job-name="$JOB_NAME" \
    --gres=gpu:"$GPUS_PER_NODE" \
    --ntasks="$GPUS" \
    --ntasks-per-node="$GPUS_PER_NODE" \
    --cpus-per-task="$CPUS_PER_TASK" \
    --kill-on-bad-exit=1 \
    ${EXTRA_SRUN[@]+"${EXTRA_SRUN[@]}"} \
    "${PYTHON:-python}" -u "$TOOLS/train.py" "$CONFIG" --work-dir="$WORK_DIR" \
    --launcher slurm "$@"
