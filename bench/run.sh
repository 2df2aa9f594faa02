#!/usr/bin/env bash
# Runs Cascade's benchmarks. Each prints its own timings beside a reference measured in the
# same run (FFTW called directly, mpi4py, …) and the ratio, so results are comparable across
# machines and busy periods.
#
#   bench/run.sh            # every benchmark
#   bench/run.sh fft        # one (a directory name under bench/)
set -euo pipefail
cd "$(dirname "$0")"
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
    for d in */; do [ -x "$d/run.sh" ] && names+=("${d%/}"); done
fi
for name in "${names[@]}"; do
    if [ ! -x "$name/run.sh" ]; then echo "bench: no benchmark '$name' (try: $(ls -d */ | tr -d / | tr '\n' ' '))" >&2; exit 2; fi
    echo "=== bench/$name"
    "./$name/run.sh"
    echo
done
