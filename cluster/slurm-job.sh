#!/bin/bash
# Slurm batch template for Cascade: a run that outlives its time limit. Copy, edit the #SBATCH lines
# and JOB, then:
#   JOB=jobs/ns2d-inverse-cascade.toml OUT=runs/inverse sbatch cluster/slurm-job.sh
#
# How it survives the time limit:
#   1. Slurm sends SIGUSR1 to this batch shell LEAD seconds before the limit (--signal=B:USR1@LEAD;
#      "B:" because only this shell must get it: it forwards the signal to the srun step itself).
#   2. Cascade writes a checkpoint, records run.json as "interrupted" and exits 3 on every rank.
#   3. This script reads run.json (not srun's exit status, which is 1 even when every rank exits 3):
#      interrupted with a checkpoint -> `scontrol requeue`: the same job (same SLURM_JOB_ID, so the
#      same OUT) starts again later and continues with --resume; completed -> exit 0; otherwise 1.
#   A requeue cap (MAX_REQUEUES, counted in $OUT/.slurm-requeues) stops a run that never gets
#   further from requeueing itself for ever.
# Pipelines work the same way: `cascade run PIPELINE.toml --resume` continues the interrupted stage.
# `cascade status OUT` (on a login node, no MPI) shows how far it is.
#SBATCH --job-name=cascade
#SBATCH --nodes=1
#SBATCH --ntasks=4
#SBATCH --cpus-per-task=1
#SBATCH --time=00:30:00
#SBATCH --output=cascade-%j.out
#SBATCH --open-mode=append
#SBATCH --requeue
#SBATCH --signal=B:USR1@120

set -euo pipefail
JOB=${JOB:-jobs/selftest.toml}
# A requeued job keeps its SLURM_JOB_ID, so this default is stable across requeues (a job submitted
# anew gets a new id: pass OUT explicitly to continue a run in a new job).
OUT=${OUT:-runs/$(basename "$JOB" .toml)-$SLURM_JOB_ID}
CASCADE=${CASCADE:-.build/release/cascade}
MAX_REQUEUES=${MAX_REQUEUES:-20}

# On a cluster with modules, load the four libraries Cascade was built against, e.g.
#   module load openmpi fftw/3.3-mpi hdf5/1.10-mpi openblas
export OPENBLAS_NUM_THREADS=1          # one BLAS thread per rank: ranks are the parallelism
export SWIFT_BACKTRACE=enable=no       # short crash reports from many ranks

say() { echo "cascade-slurm $(date -u +%Y-%m-%dT%H:%M:%SZ): $*"; }
# A checkpoint in OUT (a run) or in one of its stage folders (a pipeline).
has_checkpoint() { [ -n "$(find "$OUT" -maxdepth 2 -name checkpoint.h5 -print -quit 2>/dev/null)" ]; }
# A field of run.json, read without Python or jq (compute nodes may have neither).
field() { grep -o "\"$1\" *: *[a-z\"]*" "$OUT/run.json" 2>/dev/null | head -1 | sed 's/.*: *//; s/"//g'; }

extra=()
if has_checkpoint; then
    extra+=(--resume)
    say "resuming from the checkpoint in $OUT (restart ${SLURM_RESTART_COUNT:-0})"
fi

# srun runs in the background so that this shell can take the warning signal while it waits.
srun_pid=
# shellcheck disable=SC2317  # run by the trap below
forward_warning() {
    say "time limit near (SIGUSR1): asking the run to checkpoint and stop"
    if [ -n "$srun_pid" ]; then
        # srun passes SIGUSR1 on to every task of its step.
        kill -USR1 "$srun_pid" 2>/dev/null || scancel --signal=USR1 "$SLURM_JOB_ID" 2>/dev/null || true
    fi
}
trap forward_warning USR1

# Open MPI's launcher talks PMIx with Slurm; pmi2 does not work with Debian's builds.
set +e
srun --mpi=pmix "$CASCADE" run "$JOB" --out "$OUT" "${extra[@]}" &
srun_pid=$!
# `wait` returns early when a trapped signal arrives; wait again until srun itself has ended.
while true; do
    wait "$srun_pid"
    code=$?
    kill -0 "$srun_pid" 2>/dev/null || break
done
set -e

status=$(field status)
case "$status" in
    completed)
        rm -f "$OUT/.slurm-requeues"
        if [ "$(field succeeded)" = true ]; then say "completed"; exit 0; fi
        say "the run completed but its checks failed; see $OUT/run.json"; exit 1 ;;
    interrupted)
        if ! has_checkpoint; then
            say "interrupted without a checkpoint (this kind cannot resume); see $OUT/run.json"; exit 3
        fi
        count=$(( $(cat "$OUT/.slurm-requeues" 2>/dev/null || echo 0) + 1 ))
        if [ "$count" -gt "$MAX_REQUEUES" ]; then
            say "interrupted again after $MAX_REQUEUES requeues: not requeueing (remove $OUT/.slurm-requeues and submit again with OUT=$OUT to continue)"
            exit 3
        fi
        echo "$count" > "$OUT/.slurm-requeues"
        say "interrupted with a checkpoint: requeueing job $SLURM_JOB_ID ($count of at most $MAX_REQUEUES)"
        if scontrol requeue "$SLURM_JOB_ID"; then exit 0; fi
        say "scontrol requeue failed (is JobRequeue allowed here?); submit again with OUT=$OUT to resume"
        exit 3 ;;
    "")
        say "no run record in $OUT (srun exit status $code): the run did not start"; exit "${code/#0/1}" ;;
    *)
        say "run $status (srun exit status $code); see $OUT/run.json"; exit 1 ;;
esac
