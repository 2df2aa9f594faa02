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
set +e
srun --mpi=pmix "$CASCADE" run "$JOB" --out "$OUT" "${extra[@]}"
code=$?
set -e

# Decide from the run record, not from srun's exit status: when every rank exits 3 (interrupted
# with a checkpoint) the launcher still reports a failure.
field() { grep -o "\"$1\" *: *[a-z\"]*" "$OUT/run.json" 2>/dev/null | head -1 | sed 's/.*: *//; s/"//g'; }
status=$(field status)
case "$status" in
    completed)
        if [ "$(field succeeded)" = true ]; then exit 0; fi
        echo "cascade: the run completed but its checks failed; see $OUT/run.json"; exit 1 ;;
    interrupted)
        echo "cascade: interrupted with a checkpoint; submit again with OUT=$OUT to resume"; exit 3 ;;
    "")
        echo "cascade: no run record in $OUT (srun exit status $code): the run did not start"; exit "${code/#0/1}" ;;
    *)
        echo "cascade: run $status (srun exit status $code); see $OUT/run.json"; exit 1 ;;
esac
