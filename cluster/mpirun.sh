#!/usr/bin/env bash
# mpirun with the flags a workstation or container needs: running as root (containers,
# CI) and more ranks than cores (tests with 3 or 4 ranks on a laptop). One BLAS thread
# per rank, short Swift crash reports. On a cluster call mpirun/srun directly instead.
#
#   cluster/mpirun.sh -np 4 .build/release/cascade run jobs/selftest.toml
set -euo pipefail
flags=(--oversubscribe)
if [ "$(id -u)" = 0 ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}" OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
export SWIFT_BACKTRACE="${SWIFT_BACKTRACE:-enable=no}"
exec mpirun "${flags[@]}" "$@"
