#!/usr/bin/env bash
# Installs what Cascade needs on Debian 12 / Ubuntu 22.04+, skipping what is already there.
#
#   cluster/install-deps.sh            # the C libraries (MPI, FFTW-MPI, parallel HDF5, OpenBLAS, ScaLAPACK, oneDNN)
#   cluster/install-deps.sh --python   # also what the tests need: a Python venv in .build/pyvenv with
#                                      # h5py, numpy and scipy to read and check Cascade's HDF5 files,
#                                      # ParaView (pvbatch) with Xvfb (xvfb-run) to open its .xmf, and
#                                      # chromium (headless) to open the pages of `cascade report`
#
# Swift itself is not a Debian package: install Swift 6 from swift.org (or `swiftly`) first.
# On a cluster, load modules instead (see docs/cluster.md).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libopenmpi-dev openmpi-bin libopenblas-dev libfftw3-dev libfftw3-mpi-dev libdnnl-dev
          libhdf5-openmpi-dev hdf5-tools libscalapack-openmpi-dev pkg-config)
want_python=0
[ "${1:-}" = "--python" ] && want_python=1

sudo_cmd=()
if [ "$(id -u)" != 0 ]; then sudo_cmd=(sudo); fi

missing=()
for p in "${packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "$want_python" = 1 ] && ! command -v python3 >/dev/null 2>&1; then
    missing+=(python3 python3-venv)
fi
if [ "$want_python" = 1 ]; then
    # Tests/e2e/check_paraview.py runs under `xvfb-run -a pvbatch`; xvfb-run needs xauth.
    # Tests/e2e/check_report.py opens the report pages in headless chromium.
    for p in python3-paraview xvfb xauth chromium; do
        dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
    done
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
else
    echo "install-deps: system packages present"
fi

if ! command -v swift >/dev/null 2>&1; then
    echo "install-deps: error: no 'swift' on PATH. Install Swift 6.x from https://www.swift.org/install/linux/ and retry." >&2
    exit 1
fi

if [ "$want_python" = 1 ]; then
    venv=.build/pyvenv
    if ! "$venv/bin/python" -c 'import h5py, numpy, scipy' >/dev/null 2>&1; then
        mkdir -p .build
        if ! python3 -m venv "$venv" >/dev/null 2>&1; then
            # Debian's python3 needs python3-venv for `-m venv`.
            DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq python3-venv >/dev/null
            rm -rf "$venv"; python3 -m venv "$venv"
        fi
        "$venv/bin/pip" install --quiet --disable-pip-version-check h5py numpy scipy
        echo "install-deps: python venv with h5py, numpy and scipy in $venv"
    fi
fi
