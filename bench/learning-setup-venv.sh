#!/usr/bin/env bash
# Creates bench/.venv-torch with the PyTorch CPU wheel from /opt/wheels (never PyPI's torch: that one
# pulls about 5 GB of CUDA libraries) and numpy: the reference for the learning benchmarks (bench/mlp).
#
#   bench/learning-setup-venv.sh                 # idempotent: does nothing when the venv already works
#   TORCH_WHEEL=/path/torch-…+cpu-….whl PYTHON=/path/python3 bench/learning-setup-venv.sh
#
# The wheel is built for CPython 3.11 (cp311); PYTHON must be that version.
set -euo pipefail
cd "$(dirname "$0")"
venv="$PWD/.venv-torch"

check() { "$venv/bin/python" -c "import torch, numpy" 2>/dev/null; }

if [ -x "$venv/bin/python" ] && check; then
    echo "learning-setup-venv: $venv already has torch $("$venv/bin/python" -c 'import torch; print(torch.__version__)')"
    exit 0
fi
wheel="${TORCH_WHEEL:-$(ls /opt/wheels/torch-*+cpu-*.whl 2>/dev/null | sort | tail -1)}"
if [ -z "$wheel" ] || [ ! -f "$wheel" ]; then
    echo "learning-setup-venv: no CPU torch wheel in /opt/wheels; set TORCH_WHEEL to one (a +cpu build for this python)" >&2
    exit 1
fi
if [ -z "${PYTHON:-}" ]; then
    if [ -x /root/.pyenv/shims/python3 ]; then PYTHON=/root/.pyenv/shims/python3; else PYTHON=python3; fi
fi
[ -x "$venv/bin/python" ] || "$PYTHON" -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q "$wheel" numpy
check || { echo "learning-setup-venv: the venv does not import torch and numpy" >&2; exit 1; }
echo "learning-setup-venv: ready: $venv/bin/python (torch $("$venv/bin/python" -c 'import torch; print(torch.__version__)'))"
