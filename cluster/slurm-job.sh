#!/bin/bash
# Slurm batch template for Cascade. Copy, edit the #SBATCH lines and JOB, then:
#   sbatch cluster/slurm-job.sh
#
# Slurm sends SIGUSR1 to the ranks 60 s before the time limit (--signal below); long jobs (ns2d)
# write a checkpoint when they get it and exit with status 3. Submitting again with the same OUT
# continues from that checkpoint (--resume is added when $OUT/checkpoint.h5 exists):
#   JOB=jobs/ns2d-inverse-cascade.toml OUT=runs/inverse sbatch cluster/slurm-job.sh   # again to continue
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

extra=()
if [ -f "$OUT/checkpoint.h5" ]; then extra+=(--resume); echo "resuming from $OUT/checkpoint.h5"; fi

# Open MPI's launcher talks PMIx with Slurm; pmi2 does not work with Debian's builds.
srun --mpi=pmix "$CASCADE" run "$JOB" --out "$OUT" "${extra[@]}"
