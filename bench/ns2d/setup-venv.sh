#!/usr/bin/env bash
# Creates bench/.venv-fluidsim with fluidsim and its FFTW plugins, the reference for the ns2d benchmark.
#
#   bench/ns2d/setup-venv.sh          # idempotent: does nothing when the venv already works
#   PYTHON=/path/to/python3 bench/ns2d/setup-venv.sh
#
# The fluidfft-fftw and fluidfft-fftwmpi plugins compile from source (about 4 minutes on 2 cores) against
# the system FFTW and OpenMPI, so the Debian development packages must be there (installed when missing,
# as root). mpi4py is needed only for runs under mpirun.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="$PWD/.venv-fluidsim"

check() {
    "$venv/bin/python" - <<'PY' 2>/dev/null
import fluidsim, mpi4py
from fluidfft import import_fft_class
# fluidfft >= 0.4 finds its FFTW classes through plugins (fluidfft_fftw, fluidfft_fftwmpi)
import_fft_class("fft2d.with_fftw2d")
import_fft_class("fft2d.mpi_with_fftwmpi2d")
PY
}

if [ -x "$venv/bin/python" ] && check; then
    echo "setup-venv: $venv already has fluidsim and fluidfft's FFTW plugins"
    exit 0
fi

debs=(python3-dev libfftw3-dev libfftw3-mpi-dev libopenmpi-dev openmpi-bin pkg-config)
missing=()
for p in "${debs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup-venv: installing ${missing[*]}"
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi

if [ -z "${PYTHON:-}" ]; then
    if [ -x /root/.pyenv/shims/python3 ]; then PYTHON=/root/.pyenv/shims/python3; else PYTHON=python3; fi
fi
[ -x "$venv/bin/python" ] || "$PYTHON" -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
# The plugins build with meson against the system FFTW; MPICC/MPICXX point mpi4py and fftwmpi at OpenMPI.
export MPICC="${MPICC:-mpicc}" MPICXX="${MPICXX:-mpicxx}"
"$venv/bin/python" -m pip install fluidsim fluidfft fluidfft-fftw fluidfft-fftwmpi mpi4py
check || { echo "setup-venv: the venv does not import fluidsim and fluidfft's FFTW plugins" >&2; exit 1; }
echo "setup-venv: ready: $venv/bin/python"
