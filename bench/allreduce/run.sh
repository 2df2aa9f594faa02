#!/usr/bin/env bash
# Allreduce bandwidth on 2 ranks: Cascade's Communicator vs mpi4py (same Open MPI), one table.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=bench/.venv
if ! "$venv/bin/python" -c 'import mpi4py, numpy' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet numpy
    # mpi4py compiled against the system Open MPI (binary wheels may bundle another MPI).
    "$venv/bin/pip" install --quiet --no-binary mpi4py mpi4py
fi
swift build -c release --product cascade-bench-allreduce 2>&1 | tail -1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cluster/mpirun.sh -np 2 .build/release/cascade-bench-allreduce > "$tmp/cascade"
cluster/mpirun.sh -np 2 "$venv/bin/python" bench/allreduce/reference_mpi4py.py > "$tmp/mpi4py"
echo "allreduce sum in place, 2 ranks, median of repetitions (GB/s = bytes / time)"
paste "$tmp/cascade" "$tmp/mpi4py" | awk '{ printf "%10d B   cascade %7.3f GB/s   mpi4py %7.3f GB/s   ratio %.3f\n", $1, $1/$2/1e9, $3/$4/1e9, ($1/$2)/($3/$4) }'
