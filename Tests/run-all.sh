#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test Cascade has:
#   1. `swift test`: single-rank unit tests (XCTest);
#   2. cascade-mpitests under mpirun with 1, 2, 3 and 4 ranks, then a comparison of the
#      recorded results across those rank counts;
#   3. end-to-end checks of the `cascade` executable (Tests/e2e/check_cli.py): selftest on
#      1–4 ranks, its HDF5 read back with h5py and h5dump, broken job files refused; and
#      Tests/e2e/check_rmt.py: covariance/RMT jobs against numpy and scipy on 1–4 ranks;
#      Tests/e2e/check_rmt_streaming.py: streamed block reads (dtypes, strides, crops, sample_axis,
#      Gram, sweep subsets) against numpy, and 200 000 × 1024 float32 on 2 ranks below 250 MB per rank;
#      Tests/e2e/check_rmt_nulls.py: null models, bootstrap errors, D4 sectors, provenance (1–4 ranks);
#      Tests/e2e/check_distributed.py: matrix.layout = "distributed" (ScaLAPACK, grids 1×1–2×2)
#      against scipy, eigenvectors written in parallel, `auto` choosing by memory;
#      Tests/e2e/check_validation.py: hostile and absurd job values refused with the key named
#      (overflow, memory, ranges, key depth, error texts and exit statuses, CFL guard);
#   4. the ns2d job end to end (Tests/e2e/check_ns2d.py): same fields on 1–4 ranks, bit-identical
#      resume after SIGTERM/SIGUSR1, blow-up guard, bad parameters, re-gridding from files;
#      turbulence-compare (Tests/e2e/check_turbulence_compare.py): halves of a small ns2d run agree
#      within error bars, white noise is far, statistics against numpy, 1 vs 2 ranks, bad inputs;
#      diffusion-sample (Tests/e2e/check_diffusion.py): a tiny diffusion model of a tiny ns2d run,
#      DDIM/DDPM samples bit-identical on 1-4 ranks, snapshots layout read by turbulence-compare and
#      the covariance kind, the closed form of an untrained model, bad inputs refused;
#      and the train and wide-sweep jobs (Tests/e2e/check_train.py): layout of training.h5, loss
#      falls, the same parameters on 1 and 2 ranks, bit-identical resume after SIGTERM, SIGUSR1
#      and SIGKILL, divergence kept to the last good checkpoint, bad configurations refused; diffusion
#      training (Tests/e2e/check_diffusion_train.py): a unet on Gaussian random fields with the same
#      /model and /model_ema on 1-4 ranks, bit-identical resume after SIGTERM/SIGUSR1, ns2d snapshots
#      coarsened on 2 ranks with /diffusion's attributes, bad snapshot files refused naming key and file;
#   5. run records and output directories (Tests/e2e/check_records.py): one run per --out (lock),
#      --overwrite removing the previous run's files, --resume refusing a foreign checkpoint,
#      output names against reserved names, honest status on SIGTERM/SIGINT, stale temporaries,
#      run.walltime_limit with a bit-identical resume, progress.json and `cascade status` (live,
#      completed, killed with SIGKILL, not a run folder); pipelines (Tests/e2e/check_pipeline.py):
#      stage typos refused before any stage runs, skipping, reruns after a change, --only/--from,
#      a failed stage named with its log, SIGTERM + --resume identical to an uninterrupted run.
#   6. `cascade report` (Tests/e2e/check_report.py): pages of small ns2d, covariance, rmt-sweep, train,
#      wide-sweep, selftest runs and a pipeline folder opened offline in headless Chromium: every
#      plot drew, no console errors, no external references; screenshots in .build/test-artefacts/.
#   7. storage end to end (Tests/e2e/check_storage.py): full disk, long paths, files still being
#      written, `cascade inspect` on h5py's scalar/LZF/virtual datasets; and ParaView (pvbatch
#      under xvfb-run) opening the selftest's .xmf (Tests/e2e/check_paraview.py).
#   8. docs/outputs.md against real outputs (Tests/e2e/check_outputs_doc.py): every example job run
#      small, every documented HDF5 dataset present with its dtype and rank, every real one documented.
#   9. a throw-away single-node Slurm (Tests/slurm/local-slurm.sh): the selftest via sbatch, and an
#      ns2d run past a 1-minute time limit that cluster/slurm-job.sh checkpoints and requeues until
#      it completes, bit-identical to an uninterrupted run, followed by `cascade status`.
# The last line is the total: `N passed, M failed`. Exit status 0 only if nothing failed.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

cluster/install-deps.sh --python || { echo "0 passed, 1 failed"; exit 1; }
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 SWIFT_BACKTRACE=enable=no
if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi

work=$(mktemp -d /tmp/cascade-tests.XXXXXX)
trap 'rm -rf "$work"' EXIT
export CASCADE_TEST_TMP="$work"
passed=0; failed=0
count() {  # count LOGFILE LABEL: adds the last `N passed, M failed` line of LOGFILE
    local line
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$1" | tail -1)
    if [ -z "$line" ]; then
        echo "FAIL $2: no result line (crashed?)"; failed=$((failed + 1)); return
    fi
    passed=$((passed + $(echo "$line" | cut -d' ' -f1)))
    failed=$((failed + $(echo "$line" | cut -d' ' -f3)))
}

echo "== build"
if ! swift build --build-tests 2>&1 | tail -3; then echo "build failed"; echo "0 passed, 1 failed"; exit 1; fi
if [ ! -x .build/debug/cascade ] || [ ! -x .build/debug/cascade-mpitests ]; then
    echo "build failed"; echo "0 passed, 1 failed"; exit 1
fi

echo "== unit tests (swift test)"
# The architecture test reads the package graph; `swift package` cannot run inside `swift test`.
swift package dump-package > "$work/package.json" && export CASCADE_PACKAGE_JSON="$work/package.json"
swift test --skip-build 2>&1 | tee "$work/unit.log" | grep -E "error:|failed|Executed .* tests" | tail -40
# The last summary is the whole run: "Executed N tests, with [K tests skipped and] F failures".
summary=$(grep -E "Executed [0-9]+ tests?, with ([0-9]+ tests? skipped and )?[0-9]+ failures?" "$work/unit.log" | tail -1)
if [ -n "$summary" ]; then
    n=$(echo "$summary" | sed -E 's/.*Executed ([0-9]+) tests?,.*/\1/')
    f=$(echo "$summary" | sed -E 's/.* ([0-9]+) failures?.*/\1/')
    k=0
    if echo "$summary" | grep -qE "tests? skipped"; then k=$(echo "$summary" | sed -E 's/.*with ([0-9]+) tests? skipped.*/\1/'); fi
    echo "unit tests: $((n - f - k)) passed, $f failed, $k skipped"
    passed=$((passed + n - f - k)); failed=$((failed + f))
else
    echo "FAIL unit tests: no XCTest summary (crashed?)"; failed=$((failed + 1))
fi

echo "== multi-rank checks (cascade-mpitests)"
for n in 1 2 3 4; do
    # A hung collective must end as a failure, not stall the run: every mpirun has a timeout.
    timeout 600 cluster/mpirun.sh -np "$n" .build/debug/cascade-mpitests --record "$work/np$n.json" > "$work/mpi$n.log" 2>&1
    code=$?
    [ "$code" = 124 ] && echo "cascade-mpitests np=$n timed out after 600 s"
    # A crash after the result line (e.g. in MPI_Finalize) is a failure too.
    if [ "$code" != 0 ] && grep -qE '^[0-9]+ passed, 0 failed$' "$work/mpi$n.log"; then
        echo "FAIL cascade-mpitests np=$n: exit status $code after all checks passed"; failed=$((failed + 1))
    fi
    grep -E "^(FAIL|     rank)" "$work/mpi$n.log"
    echo "np=$n: $(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$work/mpi$n.log" | tail -1)"
    count "$work/mpi$n.log" "cascade-mpitests np=$n"
done
# A record that is missing or unreadable (a crashed or timed-out rank count) is a FAIL line here.
timeout 600 .build/debug/cascade-mpitests --compare "$work"/np{1,2,3,4}.json > "$work/compare.log" 2>&1
grep -E "^FAIL" "$work/compare.log"
echo "across rank counts: $(tail -1 "$work/compare.log")"
count "$work/compare.log" "cross-rank comparison"

echo "== end-to-end (cascade executable)"
timeout 1500 .build/pyvenv/bin/python Tests/e2e/check_cli.py --cascade .build/debug/cascade --work "$work/e2e" 2>&1 | tee "$work/e2e.log" | grep -vE "^PASS"
count "$work/e2e.log" "end-to-end"
timeout 1500 .build/pyvenv/bin/python Tests/e2e/check_rmt.py --cascade .build/debug/cascade --work "$work/e2e-rmt" 2>&1 | tee "$work/e2e-rmt.log" | grep -vE "^PASS"
count "$work/e2e-rmt.log" "end-to-end covariance/RMT (numpy, scipy)"
timeout 900 .build/pyvenv/bin/python Tests/e2e/check_rmt_streaming.py --cascade .build/debug/cascade --work "$work/e2e-rmt-streaming" 2>&1 | tee "$work/e2e-rmt-streaming.log" | grep -vE "^PASS"
count "$work/e2e-rmt-streaming.log" "end-to-end streamed covariance (numpy, peak memory)"
timeout 900 .build/pyvenv/bin/python Tests/e2e/check_rmt_nulls.py --cascade .build/debug/cascade --work "$work/e2e-rmt-nulls" 2>&1 | tee "$work/e2e-rmt-nulls.log" | grep -vE "^PASS"
count "$work/e2e-rmt-nulls.log" "end-to-end null models, bootstrap, D4 sectors"
timeout 900 .build/pyvenv/bin/python Tests/e2e/check_distributed.py --cascade .build/debug/cascade --work "$work/e2e-distributed" 2>&1 | tee "$work/e2e-distributed.log" | grep -vE "^PASS"
count "$work/e2e-distributed.log" "end-to-end distributed matrices (ScaLAPACK against scipy)"

echo "== job validation end-to-end (overflow, memory, ranges, key depth, error texts, CFL guard, start times)"
timeout 600 .build/pyvenv/bin/python Tests/e2e/check_validation.py --cascade .build/debug/cascade --work "$work/validation" 2>&1 | tee "$work/validation.log" | grep -vE "^PASS"
count "$work/validation.log" "job validation end-to-end"

echo "== ns2d end-to-end (1-4 ranks, resume after SIGTERM/SIGUSR1, guards, bad parameters)"
timeout 1500 .build/pyvenv/bin/python Tests/e2e/check_ns2d.py --cascade .build/debug/cascade --work "$work/ns2d" 2>&1 | tee "$work/ns2d.log" | grep -vE "^PASS"
count "$work/ns2d.log" "ns2d end-to-end"

echo "== turbulence-compare end-to-end (halves of a small ns2d run, white noise, numpy references, 1 vs 2 ranks, bad inputs)"
timeout 600 .build/pyvenv/bin/python Tests/e2e/check_turbulence_compare.py --cascade .build/debug/cascade --work "$work/turbulence-compare" 2>&1 | tee "$work/turbulence-compare.log" | grep -vE "^PASS"
count "$work/turbulence-compare.log" "turbulence-compare end-to-end"

echo "== diffusion-sample end-to-end (tiny ns2d -> tiny diffusion model; DDIM/DDPM on 1-4 ranks bit-identical, snapshots layout, closed form of an untrained model, bad inputs)"
timeout 600 .build/pyvenv/bin/python Tests/e2e/check_diffusion.py --cascade .build/debug/cascade --work "$work/diffusion" 2>&1 | tee "$work/diffusion.log" | grep -vE "^PASS"
count "$work/diffusion.log" "diffusion-sample end-to-end"

echo "== train and wide-sweep end-to-end (1-2 ranks, layout, loss falls, resume after SIGTERM/SIGUSR1/SIGKILL, divergence, bad configurations)"
timeout 1200 .build/pyvenv/bin/python Tests/e2e/check_train.py --cascade .build/debug/cascade --work "$work/train" 2>&1 | tee "$work/train.log" | grep -vE "^PASS"
count "$work/train.log" "train end-to-end"
echo "== diffusion training end-to-end (unet on fields: 1-4 ranks, resume after SIGTERM/SIGUSR1, ns2d snapshots, bad snapshot files)"
timeout 600 .build/pyvenv/bin/python Tests/e2e/check_diffusion_train.py --cascade .build/debug/cascade --work "$work/diffusion-train" 2>&1 | tee "$work/diffusion-train.log" | grep -vE "^PASS"
count "$work/diffusion-train.log" "diffusion training end-to-end"

echo "== run records and output directories (lock, --overwrite, --resume checks, output names, signals, temporaries, wall-time limit, cascade status)"
timeout 600 .build/pyvenv/bin/python Tests/e2e/check_records.py --cascade .build/debug/cascade --work "$work/records" 2>&1 | tee "$work/records.log" | grep -vE "^PASS"
count "$work/records.log" "run records end-to-end"
echo "== pipelines (stage typos before any stage runs, skipping, reruns after a change, --only/--from, a failed stage, SIGTERM + --resume)"
timeout 900 .build/pyvenv/bin/python Tests/e2e/check_pipeline.py --cascade .build/debug/cascade --work "$work/pipeline" 2>&1 | tee "$work/pipeline.log" | grep -vE "^PASS"
count "$work/pipeline.log" "pipelines end-to-end"
echo "== cascade report in headless Chromium (every plot drew, no console errors, offline; screenshots in .build/test-artefacts/report-*.png)"
timeout 600 .build/pyvenv/bin/python Tests/e2e/check_report.py --cascade .build/debug/cascade --work "$work/report" 2>&1 | tee "$work/report.log" | grep -vE "^PASS"
count "$work/report.log" "cascade report end-to-end"
echo "== storage end-to-end (full disk, long paths, files still being written, inspect of h5py files)"
timeout 900 .build/pyvenv/bin/python Tests/e2e/check_storage.py --cascade .build/debug/cascade --work "$work/storage" 2>&1 | tee "$work/storage.log" | grep -vE "^PASS"
count "$work/storage.log" "storage end-to-end"

echo "== output layouts (docs/outputs.md against real outputs of every example job, run small)"
timeout 600 .build/pyvenv/bin/python Tests/e2e/check_outputs_doc.py --cascade .build/debug/cascade --work "$work/outputs-doc" 2>&1 | tee "$work/outputs-doc.log" | grep -vE "^PASS"
count "$work/outputs-doc.log" "outputs doc end-to-end"

echo "== ParaView (pvbatch opens the selftest's .xmf: x-y plane, dimensions, values against h5py)"
pv="$work/paraview"
timeout 600 cluster/mpirun.sh -np 2 .build/debug/cascade run jobs/selftest.toml --out "$pv/run" \
    --set "fft.shape_2d=[48, 40]" --set "storage.shape=[37, 20]" --set collectives.elements=10000 --set blas.n=64 \
    > "$pv.log" 2>&1
.build/pyvenv/bin/python Tests/e2e/check_paraview.py expect --h5 "$pv/run/selftest.h5" --out "$pv/expect.json" >> "$pv.log" 2>&1
timeout 600 xvfb-run -a pvbatch Tests/e2e/check_paraview.py check --xmf "$pv/run/selftest.xmf" --expect "$pv/expect.json" \
    > "$work/paraview-check.log" 2>&1
grep -E "^FAIL" "$work/paraview-check.log"
[ -f "$pv/expect.json" ] || { echo "FAIL ParaView: no selftest output to open"; tail -5 "$pv.log"; }
echo "paraview: $(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$work/paraview-check.log" | tail -1)"
count "$work/paraview-check.log" "ParaView (pvbatch)"

echo "== Slurm (cluster/slurm-job.sh on a throw-away single-node Slurm)"
slurm_ok=0
if Tests/slurm/local-slurm.sh start "$work/slurm" > "$work/slurm.env" 2> "$work/slurm-start.log"; then
    source "$work/slurm.env"
    JOB=jobs/selftest.toml OUT="$work/slurm-run" CASCADE=.build/debug/cascade \
        timeout 600 sbatch --wait --ntasks=2 --output="$work/slurm-job.out" cluster/slurm-job.sh > /dev/null 2>&1
    code=$?
    if [ "$code" = 0 ] && grep -q "selftest PASSED" "$work/slurm-job.out" \
        && .build/pyvenv/bin/python -c 'import json, sys; r = json.load(open(sys.argv[1])); sys.exit(r["ranks"] != 2 or r["status"] != "completed")' "$work/slurm-run/run.json"; then
        slurm_ok=1
    else
        echo "sbatch exit $code"; tail -20 "$work/slurm-job.out" 2>/dev/null
    fi
    # An ns2d run longer than its time limit (--time=1, the minimum): Slurm itself sends the batch
    # shell SIGUSR1 30 s before the limit (slurmctld checks every ~30 s, so 30-60 s into each
    # attempt; a 128² run longer than that on a quiet machine, about 70 s); slurm-job.sh forwards it to srun, Cascade checkpoints and exits 3, the script reads
    # run.json and requeues the job, which resumes; repeated until the run completes. The result must
    # be bit-identical to an uninterrupted run on the same 2 ranks; `cascade status` follows it.
    { sed -e "s/^t_end = .*/t_end = ${SLURM_NS2D_T_END:-80.0}/" -e "s/^n = .*/n = ${SLURM_NS2D_N:-128}/" jobs/ns2d-decay.toml \
        | sed -e 's/^adaptive = .*/adaptive = false/' -e 's/^dt = .*/dt = 0.004/'; printf '[run]\nprogress_interval = 1.0\n'; } \
        > "$work/slurm-ns2d.toml"
    ns2d_start=$(date +%s)
    timeout 600 cluster/mpirun.sh -np 2 .build/debug/cascade run "$work/slurm-ns2d.toml" --out "$work/slurm-ns2d-reference" \
        > "$work/slurm-ns2d-reference.log" 2>&1
    echo "uninterrupted ns2d reference on 2 ranks: $(( $(date +%s) - ns2d_start )) s"
    job_id=$(JOB="$work/slurm-ns2d.toml" OUT="$work/slurm-ns2d" CASCADE=.build/debug/cascade \
        sbatch --parsable --time=1 --signal=B:USR1@30 --ntasks=2 --output="$work/slurm-ns2d.out" cluster/slurm-job.sh 2>&1)
    seen_running=0; status_log="$work/slurm-ns2d-status.log"
    for _ in $(seq 300); do   # at most 10 minutes
        [ -n "$(squeue -h -j "$job_id" 2>/dev/null)" ] || break
        .build/debug/cascade status "$work/slurm-ns2d" > "$work/status-now.txt" 2>&1; code=$?
        cat "$work/status-now.txt" >> "$status_log"
        if [ "$code" = 4 ] && grep -q ": running — ns2d job" "$work/status-now.txt" \
            && grep -qE "progress  time steps: [0-9]+ / [0-9]+ \([0-9]+%\)" "$work/status-now.txt"; then seen_running=1; fi
        sleep 2
    done
    [ -n "$(squeue -h -j "$job_id" 2>/dev/null)" ] && { echo "the requeued ns2d job $job_id did not finish in 10 minutes"; scancel "$job_id"; }
    .build/debug/cascade status "$work/slurm-ns2d" > "$work/status-final.txt" 2>&1; final_code=$?
    requeues=$(grep -c "requeueing job" "$work/slurm-ns2d.out" 2>/dev/null)
    resumes=$(grep -c "resuming from the checkpoint" "$work/slurm-ns2d.out" 2>/dev/null)
    same=$(.build/pyvenv/bin/python Tests/slurm/same_results.py "$work/slurm-ns2d-reference" "$work/slurm-ns2d" 2>&1)
    echo "requeued ns2d: ${requeues:-0} requeue(s), ${resumes:-0} resume(s), $(( $(date +%s) - ns2d_start )) s with the reference; $same"
    if [ "${requeues:-0}" -ge 1 ] && [ "${resumes:-0}" -ge "${requeues:-0}" ] && grep -q "time limit near (SIGUSR1)" "$work/slurm-ns2d.out" \
        && [ "$final_code" = 0 ] && grep -q ": completed — ns2d job" "$work/status-final.txt" && [[ "$same" == same:* ]]; then
        slurm_requeue_ok=1
    else
        echo "final status (exit $final_code):"; cat "$work/status-final.txt"; tail -8 "$work/slurm-ns2d.out" 2>/dev/null
    fi
    if [ "$seen_running" = 1 ] && [ "$final_code" = 0 ] && grep -q ": completed — ns2d job" "$work/status-final.txt"; then slurm_status_ok=1
    elif [ "$seen_running" = 1 ]; then echo "cascade status showed the job running, but not completed at the end (exit $final_code)"
    else echo "cascade status never showed the job running with progress:"; tail -5 "$status_log"; fi
else
    cat "$work/slurm-start.log"
fi
Tests/slurm/local-slurm.sh stop "$work/slurm"
if [ "$slurm_ok" = 1 ]; then echo "PASS selftest via sbatch + srun --mpi=pmix on 2 ranks"; passed=$((passed + 1))
else echo "FAIL selftest via sbatch + srun --mpi=pmix on 2 ranks"; failed=$((failed + 1)); fi
if [ "${slurm_requeue_ok:-0}" = 1 ]; then echo "PASS ns2d past its Slurm time limit: warning signal, checkpoint, requeue, resume; bit-identical to an uninterrupted run"; passed=$((passed + 1))
else echo "FAIL ns2d past its Slurm time limit: warning signal, checkpoint, requeue, resume; bit-identical to an uninterrupted run"; failed=$((failed + 1)); fi
if [ "${slurm_status_ok:-0}" = 1 ]; then echo "PASS cascade status follows a Slurm job: running with progress, then completed"; passed=$((passed + 1))
else echo "FAIL cascade status follows a Slurm job: running with progress, then completed"; failed=$((failed + 1)); fi
if bash -n cluster/slurm-job.sh && bash -n cluster/pbs-job.sh; then echo "PASS batch templates parse (bash -n; the PBS one is not run here)"; passed=$((passed + 1))
else echo "FAIL batch templates parse (bash -n)"; failed=$((failed + 1)); fi

echo "== total"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
