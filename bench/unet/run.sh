#!/usr/bin/env bash
# The diffusion U-Net against the same network in PyTorch, 1 thread per process (issue 12):
#   training step (forward + MSE + backward + Adam, batch 16 of 64 x 64 fields with t) against PyTorch NCHW and
#   channels_last; DDIM sampling (20 steps, batch 8) in fields per second on 1 and 2 ranks against 1 and 2
#   PyTorch processes started together; peak resident memory (VmHWM) of every process.
#
#   bench/unet/run.sh                       # 5 rounds, the default U-Net (levels 3, 32 x [1, 2, 2], 2 blocks, 8 groups, attention)
#   bench/unet/run.sh --rounds 3 --steps 3  # quicker
#   bench/unet/run.sh --channels 64         # other sizes, passed to both sides (--size --channels --blocks --levels --groups)
#   bench/unet/run.sh --no-torch            # Cascade only
#
# First it checks that the two networks are the same: Cascade writes its weights and one batch's output and
# gradients (cascade-bench-unet export), PyTorch loads them (reference_torch.py check) and must agree to float32
# rounding, with the same parameter count. Then rounds: each runs every Cascade and PyTorch program once, the
# order of the two sides flipping every round, and records the load average. Ratios (PyTorch time / Cascade
# time, > 1: Cascade faster) are taken per round and summarised as median [quartiles]. Training ratios use
# process CPU time (a single-threaded process that waits for a core on a shared machine loses wall time, not
# CPU time); sampling is given in both. Raw lines go to bench/results/unet-<UTC time>.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=5 steps=5 warmup=2 samples=16 torch=1 sizes=()
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) rounds=$2; shift 2 ;;
        --steps) steps=$2; shift 2 ;;
        --warmup) warmup=$2; shift 2 ;;
        --samples) samples=$2; shift 2 ;;
        --no-torch) torch=0; shift ;;
        --size|--channels|--blocks|--levels|--groups) sizes+=("$1" "$2"); shift 2 ;;
        *) echo "usage: bench/unet/run.sh [--rounds R] [--steps N] [--warmup N] [--samples N] [--no-torch] [--size N] [--channels C] [--blocks B] [--levels L] [--groups G]" >&2; exit 2 ;;
    esac
done
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 SWIFT_BACKTRACE=enable=no
if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
venv=bench/.venv-torch
bench/learning-setup-venv.sh >/dev/null
swift build -c release --product cascade-bench-unet 2>&1 | tail -1
bin=.build/release/cascade-bench-unet
py="$venv/bin/python bench/unet/reference_torch.py"
mkdir -p bench/results
log=bench/results/unet-$(date -u +%Y%m%dT%H%M%SZ).txt
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
say() { echo "$@" | tee -a "$log"; }
say "# bench/unet $(date -u +%FT%TZ) $(uname -n) $(getconf _NPROCESSORS_ONLN) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); git $(git rev-parse --short HEAD)$(git diff --quiet || echo +dirty)"
say "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

if [ "$torch" = 1 ]; then
    "$bin" export --out "$tmp/weights" "${sizes[@]}" | tee -a "$log"
    if ! $py check --weights "$tmp/weights" | tee -a "$log"; then
        echo "bench/unet: the PyTorch network is not Cascade's (see above); no timings" >&2; exit 1
    fi
fi

run() {  # run ROUND COMMAND...: one program, its output line tagged with the round
    "${@:2}" | sed "s/^/round=$1 /" | tee -a "$log"
}
train_args=(--steps "$steps" --warmup "$warmup" "${sizes[@]}")
sample_args=(--samples "$samples" "${sizes[@]}")
for r in $(seq "$rounds"); do
    say "round=$r load=$(cut -d' ' -f1 /proc/loadavg) time=$(date -u +%TZ)"
    sides=(cascade torch)
    [ $((r % 2)) = 0 ] && sides=(torch cascade)
    for what in train sample1 sample2; do
        for side in "${sides[@]}"; do
            [ "$side" = torch ] && [ "$torch" = 0 ] && continue
            case "$side/$what" in
                cascade/train) run "$r" "$bin" train "${train_args[@]}" ;;
                torch/train) run "$r" $py train "${train_args[@]}"
                             run "$r" $py train --memory-format channels_last "${train_args[@]}" ;;
                cascade/sample1) run "$r" cluster/mpirun.sh -np 1 "$bin" sample "${sample_args[@]}" ;;
                torch/sample1) run "$r" $py sample --procs 1 "${sample_args[@]}" ;;
                cascade/sample2) run "$r" cluster/mpirun.sh -np 2 "$bin" sample "${sample_args[@]}" ;;
                torch/sample2) run "$r" $py sample --procs 2 "${sample_args[@]}" ;;
            esac
        done
    done
done
say "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
"$venv/bin/python" - "$log" <<'PY' | tee -a "$log"
import re, statistics, sys
rows = []  # (round, kind, {key: value})
for line in open(sys.argv[1]):
    m = re.match(r"round=(\d+) (\w+) (.*)", line)
    if m and m.group(2) in ("cascade_train", "torch_train", "cascade_sample", "torch_sample"):
        kv = dict(re.findall(r"(\w+)=(\S+)", m.group(3)))
        rows.append((int(m.group(1)), m.group(2), kv))

def pick(kind, **match):
    return {r: kv for r, k, kv in rows if k == kind and all(kv.get(a) == b for a, b in match.items())}

def summary(values):
    v = sorted(values)
    if not v:
        return "-"
    q = statistics.quantiles(v, n=4, method="inclusive") if len(v) > 1 else [v[0], v[0], v[0]]
    return f"{statistics.median(v):.2f}x [{q[0]:.2f}, {q[2]:.2f}]"

def med(d, key):
    return statistics.median(float(kv[key]) for kv in d.values()) if d else float("nan")

def ratios(a, b, key, invert=False):  # per round b[key] / a[key] (or a / b)
    out = []
    for r in a:
        if r in b:
            x, y = float(a[r][key]), float(b[r][key])
            out.append(x / y if invert else y / x)
    return out

ct = pick("cascade_train")
tn, tc = pick("torch_train", memory_format="nchw"), pick("torch_train", memory_format="channels_last")
print(f"training step, s (median over {len(ct)} rounds)       CPU      wall   forward  backward  optimiser  peak RSS MB")
for name, d in (("Cascade", ct), ("PyTorch NCHW", tn), ("PyTorch channels_last", tc)):
    if d:
        print(f"  {name:<40} {med(d, 'cpu_step_s'):8.3f} {med(d, 'step_s'):8.3f} {med(d, 'forward_s'):8.3f} "
              f"{med(d, 'backward_s'):8.3f} {med(d, 'optimizer_s'):9.4f}  {med(d, 'peak_rss_mb'):8.0f}")
if ct and tn:
    p = next(iter(ct.values()))["params"], next(iter(tn.values()))["params"]
    print(f"  parameters: Cascade {p[0]}, PyTorch {p[1]}")
    print(f"  ratio PyTorch NCHW / Cascade, CPU           {summary(ratios(ct, tn, 'cpu_step_s'))}  (goal >= 1.0; wall {summary(ratios(ct, tn, 'step_s'))})")
    print(f"  ratio PyTorch channels_last / Cascade, CPU  {summary(ratios(ct, tc, 'cpu_step_s'))}  (goal >= 1.0; wall {summary(ratios(ct, tc, 'step_s'))})")
    print(f"  peak RSS PyTorch NCHW / Cascade             {summary(ratios(ct, tn, 'peak_rss_mb'))}")
for ranks in ("1", "2"):
    cs, ts = pick("cascade_sample", ranks=ranks), pick("torch_sample", procs=ranks)
    if not cs:
        continue
    print(f"DDIM sampling, {ranks} rank(s): fields/s (wall)  fields per CPU s (slowest rank)  peak RSS MB (max over ranks)")
    for name, d in (("Cascade", cs), ("PyTorch", ts)):
        if d:
            print(f"  {name:<40} {med(d, 'fields_per_s'):8.3f} {med(d, 'fields_per_cpu_s'):8.3f} {med(d, 'peak_rss_mb'):8.0f}")
    if ts:
        print(f"  ratio Cascade / PyTorch fields per s, wall  {summary(ratios(ts, cs, 'fields_per_s'))}; "
              f"per CPU s {summary(ratios(ts, cs, 'fields_per_cpu_s'))}")
        print(f"  peak RSS PyTorch / Cascade                  {summary(ratios(cs, ts, 'peak_rss_mb'))}")
PY
echo "raw lines: $log"
