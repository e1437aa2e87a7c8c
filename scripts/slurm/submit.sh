#!/bin/bash
# Prepare the dataset once, then fan the (model, task) matrix out over a SLURM array.
#
#   export BENCHSUITE_CACHE=/shared/benchsuite/cache BENCHSUITE_OUT=/shared/benchsuite/runs/hg38
#   scripts/slurm/submit.sh 8              # 8 array tasks (shards 1/8 ... 8/8)
#
# When the array has finished: benchsuite leaderboard --records "$BENCHSUITE_OUT" --out leaderboards-hg38
set -euo pipefail
SHARDS=${1:-8}
cd "$(dirname "$0")/../.."
mkdir -p slurm-logs
: "${BENCHSUITE_CACHE:?set BENCHSUITE_CACHE to a folder on the shared file system}"
prepare=$(sbatch --parsable --export=ALL scripts/slurm/prepare.sbatch)
array=$(sbatch --parsable --export=ALL --dependency=afterok:"$prepare" --array=1-"$SHARDS" \
    scripts/slurm/run_array.sbatch)
echo "prepare job $prepare; array job $array (shards 1..$SHARDS run after the prepare job succeeds)"
