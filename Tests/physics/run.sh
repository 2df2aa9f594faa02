#!/usr/bin/env bash
# Opt-in physics checks, too long for Tests/run-all.sh (minutes each in a release build):
#   Tests/physics/check_diffusion_grf.py: a U-Net trained on Gaussian random fields with a known
#   power-law spectrum generates fields with that spectrum (10% per shell) and a Gaussian one-point
#   PDF (KS distance below 0.01), and a barely trained model does not (about 10 minutes on 2 ranks).
#
#   Tests/physics/run.sh [--ranks N]
# Builds `cascade` in release mode, runs each check, ends with `N passed, M failed`; exit 0 only if
# nothing failed. Installs what is missing like Tests/run-all.sh (cluster/install-deps.sh --python).
set -uo pipefail
cd "$(dirname "$0")/../.."
ranks=2
[ "${1:-}" = "--ranks" ] && ranks=$2
cluster/install-deps.sh --python || { echo "0 passed, 1 failed"; exit 1; }
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 SWIFT_BACKTRACE=enable=no
if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
swift build -c release --product cascade 2>&1 | tail -1
[ -x .build/release/cascade ] || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }
work=$(mktemp -d /tmp/cascade-physics.XXXXXX)
trap 'rm -rf "$work"' EXIT
.build/pyvenv/bin/python Tests/physics/check_diffusion_grf.py --cascade .build/release/cascade --work "$work/grf" --ranks "$ranks" 2>&1 | tee "$work/grf.log"
tail -1 "$work/grf.log"
grep -qE '^[0-9]+ passed, 0 failed$' "$work/grf.log"
