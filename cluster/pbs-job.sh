#!/bin/bash
# PBS Pro / Torque batch template for Cascade: a run that outlives its walltime.
# UNTESTED: there is no PBS to run it against here; the test suite only checks that it parses
# (bash -n). It follows cluster/slurm-job.sh, which is tested on a throw-away Slurm. Copy, edit the
# #PBS lines, then:
#   qsub -v JOB=jobs/ns2d-inverse-cascade.toml,OUT=runs/inverse cluster/pbs-job.sh
#
# How it survives the walltime:
#   1. PBS gives no configurable warning signal (it sends SIGTERM at the walltime and SIGKILL a
#      short kill_delay later, often too short to write a checkpoint), so this script sets its own
#      timer: LEAD seconds before the walltime it sends SIGUSR1 to mpirun, which passes it on to
#      every rank. A SIGTERM from PBS itself is passed on the same way, as a last chance.
#   2. Cascade writes a checkpoint, records run.json as "interrupted" and exits 3 on every rank.
#   3. The script reads run.json (not mpirun's exit status, which is 1 even when every rank exits
#      3): interrupted with a checkpoint -> the job submits itself again with the same JOB and OUT
#      (qsub; `qrerun` needs operator rights on most sites), and the new job continues with
#      --resume; completed -> exit 0; otherwise 1. A cap (MAX_RESUBMITS, counted in
#      $OUT/.pbs-resubmits) stops a run that never gets further.
# Pipelines work the same way: `cascade run PIPELINE.toml --resume` continues the interrupted stage.
# `cascade status OUT` (on a login node, no MPI) shows how far it is.
#PBS -N cascade
#PBS -l select=1:ncpus=4:mpiprocs=4
#PBS -l walltime=00:30:00
#PBS -j oe
#PBS -r y

set -euo pipefail
cd "${PBS_O_WORKDIR:-.}"
JOB=${JOB:-jobs/selftest.toml}
# Not the job id: a resubmitted job gets a new one, and the run must stay in the same folder.
OUT=${OUT:-runs/$(basename "$JOB" .toml)}
CASCADE=${CASCADE:-.build/release/cascade}
NPROCS=${NPROCS:-$(wc -l < "${PBS_NODEFILE:-/dev/null}" 2>/dev/null || echo 1)}
[ "$NPROCS" -ge 1 ] 2>/dev/null || NPROCS=1
LEAD=${LEAD:-120}                 # seconds before the walltime to ask for a checkpoint
MAX_RESUBMITS=${MAX_RESUBMITS:-20}
# This script's own path for resubmission (PBS runs a spooled copy, so $0 is no use).
SCRIPT=${SCRIPT:-cluster/pbs-job.sh}

# On a cluster with modules, load the four libraries Cascade was built against, e.g.
#   module load openmpi fftw/3.3-mpi hdf5/1.10-mpi openblas
export OPENBLAS_NUM_THREADS=1          # one BLAS thread per rank: ranks are the parallelism
export SWIFT_BACKTRACE=enable=no       # short crash reports from many ranks

say() { echo "cascade-pbs $(date -u +%Y-%m-%dT%H:%M:%SZ): $*"; }
has_checkpoint() { [ -n "$(find "$OUT" -maxdepth 2 -name checkpoint.h5 -print -quit 2>/dev/null)" ]; }
field() { grep -o "\"$1\" *: *[a-z\"]*" "$OUT/run.json" 2>/dev/null | head -1 | sed 's/.*: *//; s/"//g'; }

# The walltime in seconds: Torque exports PBS_WALLTIME; PBS Pro tells it through qstat.
walltime_seconds() {
    if [ -n "${PBS_WALLTIME:-}" ]; then echo "$PBS_WALLTIME"; return; fi
    local hms
    hms=$(qstat -f "${PBS_JOBID:-}" 2>/dev/null | sed -n 's/^ *Resource_List.walltime = *//p' | head -1)
    [ -n "$hms" ] || return 0
    IFS=: read -r h m s <<< "$hms"
    echo $(( 10#$h * 3600 + 10#$m * 60 + 10#$s ))
}

extra=()
if has_checkpoint; then extra+=(--resume); say "resuming from the checkpoint in $OUT"; fi

mpirun_pid=
# shellcheck disable=SC2317  # run by the traps below
forward() {
    say "$1: asking the run to checkpoint and stop"
    if [ -n "$mpirun_pid" ]; then kill -USR1 "$mpirun_pid" 2>/dev/null || true; fi
}
trap 'forward "walltime near"' USR1
trap 'forward "SIGTERM from PBS"' TERM

set +e
mpirun -np "$NPROCS" "$CASCADE" run "$JOB" --out "$OUT" "${extra[@]}" &
mpirun_pid=$!
timer_pid=
walltime=$(walltime_seconds)
if [ -n "$walltime" ] && [ "$walltime" -gt "$LEAD" ]; then
    ( sleep $(( walltime - LEAD )) && kill -USR1 $$ ) &
    timer_pid=$!
else
    say "walltime unknown: no warning signal (set run.walltime_limit in the job file instead)"
fi
while true; do
    wait "$mpirun_pid"
    code=$?
    kill -0 "$mpirun_pid" 2>/dev/null || break
done
[ -n "$timer_pid" ] && kill "$timer_pid" 2>/dev/null
set -e

status=$(field status)
case "$status" in
    completed)
        rm -f "$OUT/.pbs-resubmits"
        if [ "$(field succeeded)" = true ]; then say "completed"; exit 0; fi
        say "the run completed but its checks failed; see $OUT/run.json"; exit 1 ;;
    interrupted)
        if ! has_checkpoint; then
            say "interrupted without a checkpoint (this kind cannot resume); see $OUT/run.json"; exit 3
        fi
        count=$(( $(cat "$OUT/.pbs-resubmits" 2>/dev/null || echo 0) + 1 ))
        if [ "$count" -gt "$MAX_RESUBMITS" ]; then
            say "interrupted again after $MAX_RESUBMITS resubmissions: stopping (remove $OUT/.pbs-resubmits and qsub again to continue)"
            exit 3
        fi
        echo "$count" > "$OUT/.pbs-resubmits"
        say "interrupted with a checkpoint: submitting again ($count of at most $MAX_RESUBMITS)"
        if qsub -v "JOB=$JOB,OUT=$OUT,CASCADE=$CASCADE,SCRIPT=$SCRIPT,LEAD=$LEAD,MAX_RESUBMITS=$MAX_RESUBMITS" "$SCRIPT"; then exit 0; fi
        say "qsub failed; submit again with OUT=$OUT to resume"
        exit 3 ;;
    "")
        say "no run record in $OUT (mpirun exit status $code): the run did not start"; exit "${code/#0/1}" ;;
    *)
        say "run $status (mpirun exit status $code); see $OUT/run.json"; exit 1 ;;
esac
