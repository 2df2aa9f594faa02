#!/usr/bin/env bash
# Install what is missing, build Cascade (release) and run the main job on 2 ranks.
# Today the main job is the selftest: it checks MPI, FFTW-MPI, parallel HDF5 and BLAS.
set -euo pipefail
cd "$(dirname "$0")/.."
cluster/install-deps.sh
swift build -c release --product cascade
cluster/mpirun.sh -np 2 .build/release/cascade run jobs/selftest.toml --out runs/selftest --overwrite
echo "quickstart: outputs in runs/selftest (inspect with: .build/release/cascade inspect runs/selftest/selftest.h5)"
