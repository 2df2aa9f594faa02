#!/usr/bin/env bash
# mlp: one training step of MLP 1024 → 4096 → 4096 → 10, batch 256, Adam, float32, ONE thread:
# Cascade (Sequential + Adam + SoftmaxCrossEntropy) beside PyTorch's default Adam and Adam(fused=True),
# measured in the same run; ratios = PyTorch time / Cascade time (goals ≥ 1.2 and ≥ 1.0).
#   bench/mlp/run.sh [steps] [rounds]             (default 20 timed steps after 3 warm-up steps, 3 rounds)
#
# The three programs run one after the other, round after round, so a busy period of the shared machine
# hits all of them; the table shows medians over rounds and the ratio column the median of the per-round
# ratios. Process CPU time per step is printed too: on a shared machine it is the steadier comparison.
#   CASCADE_BENCH_NO_TORCH=1 bench/mlp/run.sh     skips PyTorch (no venv install)
set -euo pipefail
cd "$(dirname "$0")/../.."
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
steps="${1:-20}"
rounds="${2:-3}"
swift build -c release --product cascade-bench-mlp 2>&1 | tail -1
have_torch=0
if [ -z "${CASCADE_BENCH_NO_TORCH:-}" ] && bench/learning-setup-venv.sh >&2; then have_torch=1; fi
results=$(mktemp)
for round in $(seq 1 "$rounds"); do
    .build/release/cascade-bench-mlp steps "$steps" | sed "s/\$/ round=$round/" | tee -a "$results"
    if [ "$have_torch" = 1 ]; then
        for adam in default fused; do
            bench/.venv-torch/bin/python bench/mlp/reference_torch.py --adam "$adam" --steps "$steps" | sed "s/\$/ round=$round/" | tee -a "$results"
        done
    fi
done
python3 - "$results" <<'PY'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    r = dict(re.findall(r"(\w+)=([^\s]+)", line))
    rows.setdefault(line.split()[0], {})[r["round"]] = r
def med(name, key):
    return statistics.median(float(r[key]) for r in rows[name].values())
c = rows["cascade"]
flop = float(next(iter(c.values()))["gemm_gflop_per_step"])
print(f"\n{'':14s} {'s/step':>8s} {'forward':>8s} {'backward':>8s} {'optim':>8s} {'GFLOP/s':>8s} {'peak MB':>8s} {'ratio':>6s}  per-round ratios  {'cpu s':>7s} {'cpu ratio':>9s}")
for name in ["cascade", "torch_default", "torch_fused"]:
    if name not in rows: continue
    ratios = [float(r["step_s"]) / float(c[k]["step_s"]) for k, r in sorted(rows[name].items()) if k in c]
    cpu_ratios = [float(r["cpu_step_s"]) / float(c[k]["cpu_step_s"]) for k, r in sorted(rows[name].items()) if k in c]
    s = med(name, "step_s")
    print(f"{name:14s} {s:8.4f} {med(name, 'forward_s'):8.4f} {med(name, 'backward_s'):8.4f} {med(name, 'optimizer_s'):8.4f}"
          f" {flop / s:8.1f} {med(name, 'peak_rss_mb'):8.1f} {statistics.median(ratios):6.2f}  {' '.join(f'{x:.2f}' for x in ratios):16s}"
          f"  {med(name, 'cpu_step_s'):7.4f} {statistics.median(cpu_ratios):9.2f}")
print(f"GEMM work {flop:.2f} GFLOP/step (6·params·batch = {float(next(iter(c.values()))['nominal_6PB_gflop']):.2f});"
      f" sgemm 2048³ peak (median of rounds): OpenBLAS {med('cascade', 'sgemm2048_gflops'):.1f} GFLOP/s"
      + (f", torch.mm {med('torch_default', 'torch_mm2048_gflops'):.1f} GFLOP/s" if "torch_default" in rows else ""))
print("goals: torch_default / cascade ≥ 1.2, torch_fused / cascade ≥ 1.0 (ratio column; cpu ratio: the same from process CPU")
print("time per step, which waiting for a shared core does not inflate)")
PY
rm -f "$results"
# What the training sources cost per batch of 256 at d = 1024 (one thread): synthetic draws, HDF5 rows.
.build/release/cascade-bench-mlp data
