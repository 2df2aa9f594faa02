#!/usr/bin/env bash
# Install what is missing, build Cascade (release) and run the main job on 2 ranks: the quickstart
# pipeline (jobs/quickstart.toml): a forced inverse-cascade ns2d simulation, the Gram spectrum and
# RMT statistics of its snapshots, and a report. About a minute of running on 2 cores after the build.
# Running it again skips the stages that are up to date (docs/pipelines.md).
set -euo pipefail
cd "$(dirname "$0")/.."
cluster/install-deps.sh
swift build -c release --product cascade
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
out=runs/quickstart
cluster/mpirun.sh -np 2 .build/release/cascade run jobs/quickstart.toml --out "$out"
report="$out/report.html"
echo
echo "quickstart: stages in $out/simulate and $out/spectrum (run records, logs, HDF5 outputs)"
if [ -f "$report" ]; then
    echo "quickstart: report: $(cd "$(dirname "$report")" && pwd)/report.html"
    echo "  open it in a browser, e.g.: xdg-open $report   (or chromium $report; it needs no network)"
else
    echo "quickstart: no report was written ($report); inspect the outputs with:"
    echo "  .build/release/cascade inspect $out/spectrum/rmt.h5"
fi
