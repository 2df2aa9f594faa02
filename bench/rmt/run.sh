#!/usr/bin/env bash
# Streaming covariance (bounded memory) against numpy on the same HDF5 file, 1 rank, one run.
#
#   bench/rmt/run.sh              # (n, d) = (40000, 2048) and (20000, 4096) float64, 655 MB each
#   bench/rmt/run.sh N D          # one other size
#
# Cascade: `cascade-bench-covariance stream` reads the file block by block (source.block_rows automatic,
# ~16 MiB), centres each block, folds it with dsyrk and merges (Chan et al.) — what a `covariance` job does.
# numpy: reads the whole file with h5py, centres, `Xc.T @ Xc` (syrk). Both with 1 BLAS thread, alternated
# twice (the best of each kept), timed in process CPU seconds; the file is in the page cache after the first
# read. Ratios are numpy / Cascade (> 1: Cascade faster): against numpy's read + centring + product, and
# against the product alone (the goal: >= 0.95). Peak resident memory (VmHWM / ru_maxrss) printed beside.
set -euo pipefail
cd "$(dirname "$0")/../.."
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
if [ $# -ge 2 ]; then sizes=("$1" "$2"); else sizes=(40000 2048 20000 4096); fi

cluster/install-deps.sh --python > /dev/null
swift build -c release --product cascade-bench-covariance 2>&1 | tail -1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cascade-bench-rmt.XXXXXX"); trap 'rm -rf "$tmp"' EXIT
for ((i = 0; i < ${#sizes[@]}; i += 2)); do
    n=${sizes[i]}; d=${sizes[i+1]}
    py=.build/pyvenv/bin/python
    "$py" - "$tmp/data.h5" "$n" "$d" <<'PY'
import sys, h5py, numpy as np
path, n, d = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(1)
with h5py.File(path, "w") as h:
    ds = h.create_dataset("x", shape=(n, d), dtype=np.float64)
    for s in range(0, n, 4096):
        m = min(4096, n - s)
        ds[s:s + m] = rng.standard_normal((m, d)) + 5.0
PY
    echo "load before: $(cat /proc/loadavg)"
    for round in 1 2; do
        cluster/mpirun.sh -np 1 .build/release/cascade-bench-covariance stream "$tmp/data.h5" x > "$tmp/cascade$round"
        "$py" bench/rmt/reference_numpy.py "$tmp/data.h5" x > "$tmp/numpy$round"
    done
    echo "load after:  $(cat /proc/loadavg)"
    best() { awk -v k="$2" '$1 == k { print $2 }' "$1"1 "$1"2 | sort -g | head -1; }
    c=$(best "$tmp/cascade" stream_cpu); w=$(best "$tmp/cascade" stream_wall); cr=$(best "$tmp/cascade" stream_peak_rss_mb)
    rows=$(best "$tmp/cascade" stream_block_rows)
    nf=$(best "$tmp/numpy" numpy_cpu); np_=$(best "$tmp/numpy" numpy_product_cpu); nr=$(best "$tmp/numpy" numpy_peak_rss_mb)
    cc=$(awk '$1 == "stream_check" { print $2 }' "$tmp/cascade1"); nc=$(awk '$1 == "numpy_check" { print $2 }' "$tmp/numpy1")
    echo "streaming covariance of a ($n, $d) float64 HDF5 file, 1 rank, 1 BLAS thread (blocks of $rows samples)"
    awk -v c="$c" -v w="$w" -v nf="$nf" -v np_="$np_" -v cr="$cr" -v nr="$nr" 'BEGIN {
        printf "cascade stream (read+centre+syrk+merge)  %8.3f s CPU (%.3f s wall)   peak RSS %7.0f MB\n", c, w, cr
        printf "numpy read+centre+Xc.T@Xc                %8.3f s CPU                 peak RSS %7.0f MB   ratio %6.3f\n", nf, nr, nf / c
        printf "numpy Xc.T@Xc alone                      %8.3f s CPU                                      ratio %6.3f   (goal >= 0.95)\n", np_, np_ / c
    }'
    awk -v a="$cc" -v b="$nc" 'BEGIN { printf "C[0,0]: cascade %.15g, numpy %.15g (relative difference %.1e)\n", a, b, (a - b) / b }'
    rm -f "$tmp/data.h5"
done
