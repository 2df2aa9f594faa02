#!/usr/bin/env bash
# ns2d: seconds per RK4 step at 256², 512², 1024² on 1 and 2 ranks — Cascade beside its own bare
# FFT pairs and beside fluidsim's ns2d solver (RK4, tcrandom forcing) run in the same script.
#   bench/ns2d/run.sh [N ...]        (default 256 512 1024)
#   CASCADE_BENCH_NO_FLUIDSIM=1 bench/ns2d/run.sh   skips the fluidsim side (no venv install)
set -euo pipefail
cd "$(dirname "$0")/../.."
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(256 512 1024)
swift build -c release --product cascade-bench-ns2d 2>&1 | tail -1
have_fluidsim=0
if [ -z "${CASCADE_BENCH_NO_FLUIDSIM:-}" ] && bench/ns2d/setup-venv.sh >&2; then have_fluidsim=1; fi
results=$(mktemp)
for np in 1 2; do
    for n in "${sizes[@]}"; do
        cluster/mpirun.sh -np "$np" .build/release/cascade-bench-ns2d "$n" | tee -a "$results"
        if [ "$have_fluidsim" = 1 ]; then
            cluster/mpirun.sh -np "$np" bench/.venv-fluidsim/bin/python bench/ns2d/reference_fluidsim.py "$n" 2>/dev/null \
                | grep '^fluidsim' | tee -a "$results" || echo "fluidsim N=$n procs=$np failed" | tee -a "$results"
        fi
    done
done
python3 - "$results" <<'PY'
import re, sys
rows = {}
for line in open(sys.argv[1]):
    m = dict(re.findall(r"(\w+)=([\w.]+)", line))
    if not m: continue
    key = (int(m["N"]), int(m["procs"]))
    rows.setdefault(key, {})[line.split()[0]] = m
print("\n   N  procs  cascade s/step  full-FFT s/step  step/FFT  pruned s/step  step/pruned   fluidsim s/step  fluidsim/cascade   peak MB cascade / fluidsim")
for (n, p), r in sorted(rows.items(), key=lambda kv: (kv[0][1], kv[0][0])):
    c, f = r.get("cascade", {}), r.get("fluidsim", {})
    cs = float(c.get("s_per_step", "nan")); fs = float(f.get("s_per_step", "nan"))
    print(f"{n:5d}  {p:4d}   {cs:13.4f}   {float(c.get('fft_s_per_step','nan')):14.4f}   {float(c.get('step_over_fft','nan')):7.3f}"
          f"   {float(c.get('pruned_s_per_step','nan')):12.4f}   {float(c.get('step_over_pruned','nan')):10.3f}"
          f"   {fs:14.4f}   {fs / cs:15.2f}   {float(c.get('peak_rss_mb','nan')):8.1f} / {float(f.get('peak_rss_mb','nan')):.1f}")
print("goals: at 1024² on 1 rank fluidsim/cascade ≥ 2, step/FFT ≤ 1.3 (full FFT pairs; step/pruned: against the pruned transforms the step really makes), peak memory below fluidsim's")
PY
rm -f "$results"
