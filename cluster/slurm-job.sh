#!/bin/bash
# Slurm batch template for Cascade. Copy, edit the #SBATCH lines and JOB, then:
#   sbatch cluster/slurm-job.sh
#
# Slurm sends SIGUSR1 to the ranks 60 s before the time limit (--signal below); long jobs write a
# checkpoint when they get it, and `cascade run ... --resume` continues from it.
#SBATCH --job-name=cascade
#SBATCH --nodes=1
#SBATCH --ntasks=4
#SBATCH --cpus-per-task=1
#SBATCH --time=00:30:00
#SBATCH --output=cascade-%j.out
#SBATCH --signal=USR1@60

set -euo pipefail
JOB=${JOB:-jobs/selftest.toml}
OUT=${OUT:-runs/$(basename "$JOB" .toml)-$SLURM_JOB_ID}
CASCADE=${CASCADE:-.build/release/cascade}

# On a cluster with modules, load the four libraries Cascade was built against, e.g.
#   module load openmpi fftw/3.3-mpi hdf5/1.10-mpi openblas
export OPENBLAS_NUM_THREADS=1          # one BLAS thread per rank: ranks are the parallelism
export SWIFT_BACKTRACE=enable=no       # short crash reports from many ranks

# Open MPI's launcher talks PMIx with Slurm; pmi2 does not work with Debian's builds.
srun --mpi=pmix "$CASCADE" run "$JOB" --out "$OUT"
