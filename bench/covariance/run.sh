#!/usr/bin/env bash
# Covariance kernel, eigen-solve and RMT statistics: Cascade against numpy/scipy and empyricalRMT, one run.
#
#   bench/covariance/run.sh            # (n, d) = (20000, 2048) and (50000, 4096); d = 2048, 4096; N = 2000, 5000
#   bench/covariance/run.sh --quick    # (20000, 2048), d = 2048, N = 2000 only
#
# Everything with 1 BLAS thread. Ratios are reference time / Cascade time (> 1: Cascade faster), from one run.
# Covariance: Cascade's ShardedCovariance (centring, syrk, merge) on 1 and 2 ranks vs numpy `X.T @ X` (syrk,
# no centring). Eigen: SymmetricEigen (dsyevd, with vectors) vs scipy `eigh(driver="evd")`. Statistics: degree-9
# polynomial unfolding, Σ² (98 L) and Δ₃ (48 L) of the same GOE levels vs empyricalRMT 1.1.1 (Python 3.10 venv
# in bench/.venv-rmt; skipped with a note if it cannot be made).
set -euo pipefail
cd "$(dirname "$0")/../.."
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
cov=(cov 20000 2048 cov 50000 4096); eig=(eig 2048 eig 4096); stats=(2000 5000)
if [ "${1:-}" = "--quick" ]; then cov=(cov 20000 2048); eig=(eig 2048); stats=(2000); fi

cluster/install-deps.sh --python > /dev/null
swift build -c release --product cascade-bench-covariance 2>&1 | tail -1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
stat_args=(); for n in "${stats[@]}"; do stat_args+=(stats "$n"); done
cluster/mpirun.sh -np 1 .build/release/cascade-bench-covariance out "$tmp" "${cov[@]}" "${eig[@]}" "${stat_args[@]}" > "$tmp/np1"
cluster/mpirun.sh -np 2 .build/release/cascade-bench-covariance "${cov[@]}" > "$tmp/np2"
.build/pyvenv/bin/python bench/covariance/reference_numpy.py "${cov[@]}" "${eig[@]}" > "$tmp/numpy"

venv=bench/.venv-rmt
py310=${PYTHON310:-$HOME/.pyenv/versions/3.10.13/bin/python}
if ! "$venv/bin/python" -c 'import empyricalRMT' 2>/dev/null && [ -x "$py310" ]; then
    "$py310" -m venv "$venv" && "$venv/bin/pip" install --quiet --disable-pip-version-check empyricalrmt==1.1.1 || true
fi
if "$venv/bin/python" -c 'import empyricalRMT' 2>/dev/null; then
    "$venv/bin/python" bench/covariance/reference_empyricalrmt.py "$tmp" "${stats[@]}" > "$tmp/rmt" 2> "$tmp/rmt.err" || cat "$tmp/rmt.err"
else
    echo "(empyricalRMT needs Python 3.10: set PYTHON310; statistics reference skipped)"; : > "$tmp/rmt"
fi

value() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }
row() {  # row LABEL KEY REFFILE REFNAME [NP2]
    local c r; c=$(value "$tmp/np1" "$2"); r=$(value "$3" "$2")
    [ -z "$c" ] || [ -z "$r" ] && return 0
    awk -v l="$1" -v c="$c" -v r="$r" -v n="$4" 'BEGIN { printf "%-34s cascade %9.4f s   %-13s %9.4f s   ratio %7.2f\n", l, c, n, r, r / c }'
}
echo "covariance, 1 BLAS thread (ratio = reference / Cascade; > 1 means Cascade is faster)"
for ((i = 0; i < ${#cov[@]}; i += 3)); do
    key="cov_${cov[i+1]}x${cov[i+2]}"
    row "covariance (${cov[i+1]}, ${cov[i+2]}) 1 rank" "$key" "$tmp/numpy" "numpy X.T@X"
    c1=$(value "$tmp/np1" "$key"); c2=$(value "$tmp/np2" "$key")
    awk -v l="covariance (${cov[i+1]}, ${cov[i+2]}) 2 ranks" -v a="$c2" -v b="$c1" 'BEGIN { printf "%-34s cascade %9.4f s   %-13s %9.4f s   ratio %7.2f\n", l, a, "1 rank", b, b / a }'
done
for ((i = 0; i < ${#eig[@]}; i += 2)); do row "eigen-solve d = ${eig[i+1]} (with vectors)" "eig_${eig[i+1]}" "$tmp/numpy" "scipy eigh"; done
for n in "${stats[@]}"; do
    for s in unfold sigma2 delta3; do row "$s, GOE N = $n" "${s}_$n" "$tmp/rmt" "empyricalRMT"; done
    # The three together (the statistics empyricalRMT has), summed on each side.
    sum() { awk -v n="$2" '$1 == "unfold_"n || $1 == "sigma2_"n || $1 == "delta3_"n { s += $2; k++ } END { if (k == 3) print s }' "$1"; }
    cs=$(sum "$tmp/np1" "$n"); rs=$(sum "$tmp/rmt" "$n")
    [ -n "$cs" ] && [ -n "$rs" ] && awk -v l="unfold + sigma2 + delta3, N = $n" -v c="$cs" -v r="$rs" \
        'BEGIN { printf "%-34s cascade %9.4f s   %-13s %9.4f s   ratio %7.2f   (goal >= 50)\n", l, c, "empyricalRMT", r, r / c }'
    c=$(value "$tmp/np1" "all_statistics_$n"); echo "all statistics of docs/rmt.md, GOE N = $n: cascade ${c} s"
    grep -E "^(compare|goe_deviation)_.*_$n " "$tmp/rmt" | sed 's/^/  /' || true
done
