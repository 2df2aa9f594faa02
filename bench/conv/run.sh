#!/usr/bin/env bash
# Conv stack (4 x conv 3x3 64->64 + ReLU, 64x64, batch 16, forward + backward, 1 thread): Cascade's oneDNN
# and im2col backends against PyTorch NCHW and channels_last, zero padding and periodic vs "circular".
#
#   bench/conv/run.sh                  # the issue's sizes, 3 rounds
#   bench/conv/run.sh size 32 steps 5  # other sizes (keys of cascade-bench-conv / reference_torch.py)
#   CASCADE_BENCH_ROUNDS=5 bench/conv/run.sh
#
# Each round runs, back to back, the Cascade stack and the PyTorch stacks of the same padding (so a change in
# machine load hits both sides of a ratio alike), for zero then periodic padding, then the im2col stacks.
# Every run prints its median step of `steps` after `warmup`, in process CPU time and in wall time. The
# ratios use CPU time: on a shared machine a descheduled single-threaded process loses wall time, not CPU
# time (wall-time figures are printed too). Ratios are PyTorch ms / Cascade ms (> 1: Cascade faster) per
# round; the table gives the median over rounds and, in brackets, the smallest and largest round. PyTorch comes from the CPU wheel in /opt/wheels (bench/.venv-torch).
set -euo pipefail
cd "$(dirname "$0")/../.."
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
venv=bench/.venv-torch
if ! "$venv/bin/python" -c 'import torch' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet /opt/wheels/torch-*.whl numpy
fi
swift build -c release --product cascade-bench-conv 2>&1 | tail -1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
rounds=${CASCADE_BENCH_ROUNDS:-3}
bench=.build/release/cascade-bench-conv
for r in $(seq "$rounds"); do
    { "$bench" "$@" only onednn_zero; "$venv/bin/python" bench/conv/reference_torch.py "$@" only zero
      "$bench" "$@" only onednn_periodic; "$venv/bin/python" bench/conv/reference_torch.py "$@" only circular
      "$bench" "$@" only im2col_zero,im2col_periodic; } | sed "s/^/$r /" >> "$tmp/all"
done
# Median, min and max over rounds of one name's value (column 3), or of a per-round ratio a/b.
stats() { sort -g | awk '{ v[NR] = $1 } END { if (NR) printf "%s %s %s\n", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), v[1], v[NR] }'; }
value() { awk -v k="$1" -v c="${2:-3}" '$2 == k { print $c }' "$tmp/all" | stats; }
per_round_ratio() { awk -v a="$1" -v b="$2" '$2 == a { t[$1] = $3 } $2 == b { c[$1] = $3 } END { for (r in t) if (r in c) print t[r] / c[r] }' "$tmp/all" | stats; }
torch_version=$("$venv/bin/python" -c 'import torch; print(torch.__version__)')
echo "conv stack, ms per step (forward + backward): median over $rounds rounds [min, max]; PyTorch $torch_version, 1 thread"
printf "  %-30s %9s  %-18s %9s\n" "" "CPU" "" "wall"
for k in onednn_zero im2col_zero onednn_periodic im2col_periodic torch_nchw_zero torch_channels_last_zero \
         torch_nchw_circular torch_channels_last_circular; do
    v=$(value "$k"); w=$(value "$k" 4)
    [ -n "$v" ] && echo "$k $v $w" | awk '{ printf "  %-30s %9.1f  [%6.1f, %6.1f] %9.1f  [%6.1f, %6.1f]\n", $1, $2, $3, $4, $5, $6, $7 }'
done
ratio() {  # ratio LABEL CASCADE TORCH GOAL
    local v; v=$(per_round_ratio "$3" "$2"); [ -z "$v" ] && return 0
    echo "$v" | awk -v l="$1" -v g="$4" '{ printf "  %-48s %.2fx  [%.2f, %.2f]  (goal >= %s)\n", l, $1, $2, $3, g }'
}
echo "ratios (PyTorch / Cascade, per round):"
ratio "oneDNN zero vs torch channels_last" onednn_zero torch_channels_last_zero 1.0
ratio "oneDNN zero vs torch NCHW" onednn_zero torch_nchw_zero 1.2
ratio "oneDNN periodic vs torch channels_last circular" onednn_periodic torch_channels_last_circular 1.0
ratio "oneDNN periodic vs torch NCHW circular" onednn_periodic torch_nchw_circular 1.2
ratio "im2col zero vs torch channels_last" im2col_zero torch_channels_last_zero -
ratio "oneDNN periodic time / oneDNN zero time (halo)" onednn_zero onednn_periodic -
reorder=$(value reorder_ms_per_step | cut -d' ' -f1); c=$(value onednn_zero | cut -d' ' -f1)
w=$(value reorders_weights | cut -d' ' -f1)
[ -n "$reorder" ] && awk -v r="$reorder" -v c="$c" -v w="$w" \
    'BEGIN { printf "weight reorders (store OHWI -> oneDNN layouts): %s, %.3f ms per step = %.3f%% of the oneDNN step\n", (w == 1 ? "yes" : "no"), r, 100 * r / c }'
