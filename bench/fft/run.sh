#!/usr/bin/env bash
# Distributed FFT pair: Cascade's plan vs FFTW-MPI called directly, 1 and 2 ranks.
#   bench/fft/run.sh [N ...]     (default 256 512 1024)
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product cascade-bench-fft 2>&1 | tail -1
for np in 1 2; do
    cluster/mpirun.sh -np "$np" .build/release/cascade-bench-fft "$@"
done
