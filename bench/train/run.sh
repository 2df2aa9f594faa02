#!/usr/bin/env bash
# Data-parallel training throughput (MLP 1024-4096-4096-10, batch 256, Adam, 1 thread per rank):
# Cascade on 1 and 2 ranks (2 ranks with the node's shared memory, the default; with the bucketed
# allreduce, backward on a worker thread, and inline for comparison; with the sharded optimiser
# step), PyTorch in one process (default and fused Adam) and DDP with gloo on 2 processes; ratios
# from this one run.
#   bench/train/run.sh [--steps N] [--rounds R] [--no-torch]   (default 10 timed steps, 3 rounds)
# --no-torch: only Cascade's 1 rank, 2 ranks shared memory (Dense weight gradients partitioned, the
# default, and summed: --no-partition), allreduce and sharded (quicker rounds).
# Every round also runs 1 rank on half the global batch: the step each of 2 ranks computes, without any
# communication; with half its optimiser step taken off it bounds what 2 ranks can reach on this machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
steps=10 rounds=3 torch=1
while [ $# -gt 0 ]; do
    case "$1" in
        --steps) steps=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --no-torch) torch=0; shift ;;
        *) echo "usage: bench/train/run.sh [--steps N] [--rounds R] [--no-torch]" >&2; exit 2 ;;
    esac
done
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
# Rounds of every configuration one after the other, so that a busy period hits all of them; the
# summary takes the median step time of each configuration over the rounds.
for round in $(seq "$rounds"); do
    echo "-- round $round"
    cluster/mpirun.sh -np 1 "$bin" --steps "$steps" | tee -a "$tmp/c1"
    # The ceiling of data parallelism here: 1 rank on HALF the global batch (what each of 2 ranks computes),
    # with no communication and no second process.
    cluster/mpirun.sh -np 1 "$bin" --steps "$steps" --global-batch 128 | tee -a "$tmp/c1h"
    cluster/mpirun.sh -np 2 --oversubscribe "$bin" --steps "$steps" | tee -a "$tmp/c2"
    cluster/mpirun.sh -np 2 --oversubscribe "$bin" --steps "$steps" --no-partition | tee -a "$tmp/c2u"
    cluster/mpirun.sh -np 2 --oversubscribe "$bin" --steps "$steps" --no-shared | tee -a "$tmp/c2a"
    cluster/mpirun.sh -np 2 --oversubscribe "$bin" --steps "$steps" --shard | tee -a "$tmp/c2s"
    echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$tmp/load"
    [ "$torch" = 1 ] || continue
    cluster/mpirun.sh -np 2 --oversubscribe "$bin" --steps "$steps" --nonblocking | tee -a "$tmp/c2n"
    cluster/mpirun.sh -np 2 --oversubscribe "$bin" --steps "$steps" --inline | tee -a "$tmp/c2i"
    "$venv/bin/python" bench/train/reference_torch.py single --steps "$steps" | tee -a "$tmp/t1"
    "$venv/bin/python" bench/train/reference_torch.py single --fused --steps "$steps" | tee -a "$tmp/t1f"
    # Another port per run: other users of the machine may run DDP too.
    "$venv/bin/python" bench/train/reference_torch.py ddp --steps "$steps" --port $((20000 + RANDOM % 20000)) | tee -a "$tmp/t2"
done
"$venv/bin/python" - "$tmp" <<'PY'
import re, statistics, sys
d = sys.argv[1]
import os
def values(name, key):
    return [float(m) for m in re.findall(r"(?:^|\s)" + key + r"=([0-9.]+)", open(f"{d}/{name}").read())]
names = [n for n in ["c1", "c1h", "c2", "c2u", "c2a", "c2s", "c2n", "c2i", "t1", "t1f", "t2"] if os.path.exists(f"{d}/{n}")]
med = {n: statistics.median(values(n, "step_s")) for n in names}
gf = statistics.median(values("c1", "gflops"))
print(f"median step s over rounds: " + ", ".join(f"{n} {v:.4f}" for n, v in med.items()))
print(f"Cascade 1 rank: {gf:.1f} GFLOP/s (forward + backward GEMMs / step time)")
print(f"Cascade 2 ranks vs 1 rank throughput        {med['c1'] / med['c2']:.2f}x shared memory (goal >= 1.8), "
      f"{med['c1'] / med['c2u']:.2f}x shared memory with summed weight gradients, "
      f"{med['c1'] / med['c2a']:.2f}x allreduce, {med['c1'] / med['c2s']:.2f}x sharded optimiser step")
ratios = [(a / b, a / u, a / c, a / e) for a, b, u, c, e in zip(values("c1", "step_s"), values("c2", "step_s"), values("c2u", "step_s"),
                                                              values("c2a", "step_s"), values("c2s", "step_s"))]
# 2 ranks that each compute a half batch (c1h) and half of c1h's optimiser step, with free communication
# (the partitioned Dense weight gradients can beat it: their GEMMs run over the whole batch).
opt_h = statistics.median(values("c1h", "optimizer_s"))
ceiling = med["c1"] / (med["c1h"] - opt_h / 2)
print(f"  two half-batch steps, free communication  {ceiling:.2f}x (1 rank's step / (1 rank's step at half the batch "
      f"{med['c1h']:.4f} s minus half its optimiser step {opt_h:.4f} s))")
print("  per round (shared, shared summed, allreduce, sharded): " + ", ".join(f"{x:.2f}/{w:.2f}/{y:.2f}/{z:.2f}" for x, w, y, z in ratios))
print("  load average per round: " + "; ".join(open(f"{d}/load").read().replace("load average: ", "").split("\n")[:-1]))
for n, label in [("c1", "1 rank"), ("c1h", "1 rank, half batch"), ("c2", "2 ranks shared"), ("c2u", "2 ranks summed"), ("c2a", "2 ranks allreduce"), ("c2s", "2 ranks sharded")]:
    parts = {k: statistics.median(values(n, k)) for k in ["backward_s", "comm_s_per_step", "optimizer_s", "allgather_s", "rss_mb", "peak_rss_mb"]}
    print(f"  {label:18s} backward {parts['backward_s']:.4f} s, reduction {parts['comm_s_per_step']:.4f} s, "
          f"optimiser {parts['optimizer_s']:.4f} s, allgather {parts['allgather_s']:.4f} s per step; "
          f"RSS {parts['rss_mb']:.0f} MB (peak {parts['peak_rss_mb']:.0f} MB), the rank with most")
if "t1" not in med:
    sys.exit(0)
hid = {n: statistics.median(values(n, "hidden_fraction")) for n in ["c2a", "c2n", "c2i"]}
print(f"  nonblocking polled allreduce vs 1 rank    {med['c1'] / med['c2n']:.2f}x")
print(f"  inline backward (no worker) vs 1 rank     {med['c1'] / med['c2i']:.2f}x")
print(f"allreduce hidden behind backward            {100 * hid['c2a']:.0f}% (worker, blocking), "
      f"{100 * hid['c2n']:.0f}% (worker, nonblocking), {100 * hid['c2i']:.0f}% (inline)")
print(f"Cascade 1 rank vs PyTorch (default Adam)    {med['t1'] / med['c1']:.2f}x")
print(f"Cascade 1 rank vs PyTorch (fused Adam)      {med['t1f'] / med['c1']:.2f}x")
print(f"Cascade 2 ranks vs PyTorch DDP gloo 2 procs {med['t2'] / med['c2']:.2f}x")
print(f"PyTorch DDP 2 procs vs PyTorch 1 process    {med['t1'] / med['t2']:.2f}x")
PY
