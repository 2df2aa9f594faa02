#!/usr/bin/env bash
# Symmetric eigen-solve: ScaLAPACK on 2 ranks (1 × 2 grid) against LAPACK on 1 rank, one run.
#
#   bench/eigen/run.sh                 # d = 512, 1024, 2048, 4096, values only and with vectors; nb = 32/64/128 at d = 2048
#   bench/eigen/run.sh 1024 2048       # other sizes
#
# One BLAS thread per rank. The matrix is GOE-like (the same on every rank count). Values only:
# LAPACK dsyevd (jobz N) vs ScaLAPACK pdsyevr; with vectors: dsyevd vs pdsyevd. For each size the
# 1-rank run (LAPACK and the 1 × 1 grid) and the 2-rank run alternate, so drifts in load hit both.
# Ratio = LAPACK 1-rank wall / ScaLAPACK 2-rank wall (> 1: the distributed solve is faster).
set -euo pipefail
cd "$(dirname "$0")/../.."
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
sizes=("$@"); [ ${#sizes[@]} -eq 0 ] && sizes=(512 1024 2048 4096)
swift build -c release --product cascade-bench-eigen 2>&1 | tail -1
bin=.build/release/cascade-bench-eigen
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "load before: $(cat /proc/loadavg)"
for d in "${sizes[@]}"; do
    timeout 1800 cluster/mpirun.sh -np 1 "$bin" "$d" >> "$tmp/np1"
    timeout 1800 cluster/mpirun.sh -np 2 "$bin" "$d" >> "$tmp/np2"
done
if [ $# -eq 0 ]; then
    for nb in 32 128; do timeout 1800 cluster/mpirun.sh -np 2 "$bin" nb=$nb 2048 >> "$tmp/nb"; done
fi
echo "load after: $(cat /proc/loadavg)"
# Lines: solver ranks d vectors wall cpu rss
pick() { awk -v s="$2" -v d="$3" -v v="$4" 'index($1, s) == 1 && $3 == d && $4 == v { print $5, $6, $7 }' "$1"; }
printf "%-6s %-8s %22s %26s %26s %8s\n" d vectors "LAPACK 1 rank wall/cpu" "ScaLAPACK 1x1 wall/cpu" "ScaLAPACK 1x2 wall/cpu" ratio
for d in "${sizes[@]}"; do
    for v in 0 1; do
        read -r lw lc lr <<< "$(pick "$tmp/np1" lapack "$d" "$v")"
        read -r sw sc sr <<< "$(pick "$tmp/np1" pdsyev "$d" "$v")"
        read -r pw pc pr <<< "$(pick "$tmp/np2" pdsyev "$d" "$v")"
        awk -v d="$d" -v v="$v" -v lw="$lw" -v lc="$lc" -v sw="$sw" -v sc="$sc" -v pw="$pw" -v pc="$pc" -v lr="$lr" -v pr="$pr" 'BEGIN {
            printf "%-6d %-8s %10.3f s / %6.3f s %11.3f s / %7.3f s %11.3f s / %7.3f s %8.2f   (peak RSS %.0f MB on 1 rank, %.0f MB per rank on 2)\n",
                   d, v ? "yes" : "no", lw, lc, sw, sc, pw, pc, lw / pw, lr, pr }'
    done
done
if [ -s "$tmp/nb" ]; then
    echo "block size at d = 2048 on 2 ranks (nb = 64 above):"
    awk '{ printf "  %-16s vectors %s  wall %.3f s  cpu %.3f s\n", $1, $4 ? "yes" : "no", $5, $6 }' "$tmp/nb"
fi
