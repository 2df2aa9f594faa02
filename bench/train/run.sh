#!/usr/bin/env bash
# Data-parallel training throughput (MLP 1024-4096-4096-10, batch 256, Adam, 1 thread per rank):
# Cascade on 1 and 2 ranks (backward on a worker thread, and inline for comparison), PyTorch in one
# process (default and fused Adam) and DDP with gloo on 2 processes; ratios from this one run.
#   bench/train/run.sh [--steps N]
set -euo pipefail
cd "$(dirname "$0")/../.."
steps=20
[ "${1:-}" = "--steps" ] && steps=$2
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 SWIFT_BACKTRACE=enable=no
if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
venv=bench/.venv-torch
if ! "$venv/bin/python" -c 'import torch, numpy' 2>/dev/null; then
    wheel=$(ls /opt/wheels/torch-*+cpu-*.whl 2>/dev/null | head -1)
    [ -n "$wheel" ] || { echo "bench/train: no CPU torch wheel in /opt/wheels (never pip install torch from PyPI: CUDA)"; exit 1; }
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "$wheel" numpy
fi
swift build -c release --product cascade-bench-train 2>&1 | tail -1
bin=.build/release/cascade-bench-train
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cluster/mpirun.sh -np 1 "$bin" --steps "$steps" | tee "$tmp/c1"
cluster/mpirun.sh -np 2 --oversubscribe "$bin" --steps "$steps" | tee "$tmp/c2"
cluster/mpirun.sh -np 2 --oversubscribe "$bin" --steps "$steps" --nonblocking | tee "$tmp/c2n"
cluster/mpirun.sh -np 2 --oversubscribe "$bin" --steps "$steps" --inline | tee "$tmp/c2i"
"$venv/bin/python" bench/train/reference_torch.py single --steps "$steps" | tee "$tmp/t1"
"$venv/bin/python" bench/train/reference_torch.py single --fused --steps "$steps" | tee "$tmp/t1f"
# Another port per run: other users of the machine may run DDP too.
"$venv/bin/python" bench/train/reference_torch.py ddp --steps "$steps" --port $((20000 + RANDOM % 20000)) | tee "$tmp/t2"
get() { grep -o "$2=[0-9.]*" "$1" | cut -d= -f2; }
awk -v c1="$(get "$tmp/c1" step_s)" -v c2="$(get "$tmp/c2" step_s)" -v c2i="$(get "$tmp/c2i" step_s)" \
    -v t1="$(get "$tmp/t1" step_s)" -v t1f="$(get "$tmp/t1f" step_s)" -v t2="$(get "$tmp/t2" step_s)" \
    -v c2n="$(get "$tmp/c2n" step_s)" -v h="$(get "$tmp/c2" hidden_fraction)" -v hn="$(get "$tmp/c2n" hidden_fraction)" \
    -v hi="$(get "$tmp/c2i" hidden_fraction)" 'BEGIN {
    printf "Cascade 2 ranks vs 1 rank throughput        %.2fx (goal >= 1.8)\n", c1 / c2
    printf "  nonblocking polled allreduce vs 1 rank    %.2fx\n", c1 / c2n
    printf "  inline backward (no worker) vs 1 rank     %.2fx\n", c1 / c2i
    printf "allreduce hidden behind backward            %.0f%% (worker, blocking), %.0f%% (worker, nonblocking), %.0f%% (inline)\n", 100 * h, 100 * hn, 100 * hi
    printf "Cascade 1 rank vs PyTorch (default Adam)    %.2fx\n", t1 / c1
    printf "Cascade 1 rank vs PyTorch (fused Adam)      %.2fx\n", t1f / c1
    printf "Cascade 2 ranks vs PyTorch DDP gloo 2 procs %.2fx\n", t2 / c2
    printf "PyTorch DDP 2 procs vs PyTorch 1 process    %.2fx\n", t1 / t2
}'
