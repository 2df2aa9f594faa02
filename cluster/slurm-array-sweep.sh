#!/bin/bash
# One job file run many times with one parameter varied: a Slurm job array.
#   VALUES="64 128 256" KEY=fft.shape_2d ... is awkward for arrays, so name the values here:
#   sbatch --array=0-2 cluster/slurm-array-sweep.sh
#SBATCH --job-name=cascade-sweep
#SBATCH --ntasks=2
#SBATCH --time=00:20:00
#SBATCH --output=cascade-sweep-%A_%a.out
set -euo pipefail
JOB=${JOB:-jobs/selftest.toml}
KEY=${KEY:-storage.frames}
VALUES=(${VALUES:-2 4 8})
value=${VALUES[$SLURM_ARRAY_TASK_ID]}
export OPENBLAS_NUM_THREADS=1 SWIFT_BACKTRACE=enable=no
srun --mpi=pmix .build/release/cascade run "$JOB" --set "$KEY=$value" \
    --out "runs/$(basename "$JOB" .toml)-$KEY-$value"
