#!/usr/bin/env python3
"""End-to-end checks of the pipeline kind (docs/pipelines.md) with tiny stages: ns2d at n = 32
and the Gram spectrum (covariance) of its snapshots.

- a typo in a stage (an unknown producer stage in `inputs`, a file the producer does not write,
  an unknown key or a bad value inside a stage's job) fails before any stage runs: exit 2, the
  stage and the key named, no output directory made;
- a first run writes OUT/pipeline.json, one folder per stage with its run.json and cascade.log,
  and lists every stage's outputs in the pipeline's run.json;
- a second run skips every stage (their run.json unchanged: same `started`);
- changing one stage's key reruns that stage and the stages after it only;
- --only STAGE runs that stage only (refused when its inputs do not exist yet, and for a
  non-pipeline job); --from STAGE reruns that stage and those after it;
- a failed stage (its input file corrupt) stops the pipeline with one error naming the stage,
  its error and its log; the pipeline's run.json says failed;
- SIGTERM during the ns2d stage ends the pipeline as interrupted (exit 3); --resume continues
  the stage from its checkpoint and finishes with the same final vorticity as an
  uninterrupted run.
Prints PASS/FAIL lines and ends with `N passed, M failed`.
"""
import json
import os
import signal
import subprocess
import sys
import time

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_cli import ROOT, check, cli_main, write  # noqa: E402

TIMEOUT = 300

PIPELINE = """kind = "pipeline"
name = "tiny"
report = false

[[stages]]
name = "simulate"
set = ["time.t_end={t_end}"]
[stages.job]
kind = "ns2d"
grid.n = {n}
physics.viscosity = 1e-3
physics.viscosity_order = 1
physics.damping = 0.1
time.t_end = 1.0
time.dt = 0.01
time.adaptive = false
forcing.type = "white"
forcing.rate = 0.1
forcing.kf = 6.0
forcing.band_half_width = 1.0
forcing.seed = {seed}
output.snapshot_interval = {snap}
output.checkpoint_interval = 0.0
output.diagnostics_interval = 0.1
output.spectra_interval = 0.5
output.statistics_interval = 0.5
output.average_start = 0.5
run.progress_interval = 0.5

[[stages]]
name = "spectrum"
[stages.job]
kind = "covariance"
source.type = "hdf5"
source.dataset = "vorticity"
matrix.type = "gram"
statistics.length_count = 3
statistics.windows = {windows}
[stages.inputs]
"{input_key}" = "{input_ref}"
"""


def pipeline(work, name, t_end=2.0, n=32, seed=1, windows=10, input_key="source.file",
             input_ref="simulate:snapshots.h5", snap=0.1):
    return write(os.path.join(work, name + ".toml"),
                 PIPELINE.format(t_end=t_end, n=n, seed=seed, windows=windows, input_key=input_key, input_ref=input_ref,
                                 snap=snap))


def run(cmd):
    try:
        p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        return -999, str(e.stdout or ""), f"timed out after {TIMEOUT} s"


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def started(out, stage):
    return (load(os.path.join(out, stage, "run.json")) or {}).get("started")


def states(out):
    return {s["name"]: s["state"] for s in (load(os.path.join(out, "pipeline.json")) or {}).get("stages", [])}


def typos(cascade, work):
    cases = [
        ("unknown producer stage", dict(input_ref="simulat:snapshots.h5"), ["spectrum", "inputs.source.file", "simulat"]),
        ("unknown file", dict(input_ref="simulate:snapshot.h5"), ["spectrum", "inputs.source.file", "snapshot.h5"]),
        ("unknown key", dict(input_key="source.fil"), ["spectrum", "source.fil"]),
        ("bad value", dict(n=31), ["simulate", "grid.n"]),
    ]
    for label, kw, words in cases:
        job = pipeline(work, "typo", **kw)
        out = os.path.join(work, "typo-out")
        code, so, se = run([cascade, "run", job, "--out", out])
        check(f"typo ({label}): exit 2, names {', '.join(words)}, nothing written",
              code == 2 and all(w in se for w in words) and not os.path.exists(out), f"exit {code}\n{se[-800:]}")
    code, so, se = run([cascade, "validate", pipeline(work, "typo", input_ref="simulate:snapshot.h5")])
    check("typo: cascade validate refuses it too (exit 2)", code == 2 and "snapshot.h5" in se, se[-500:])


def first_and_second_run(cascade, work):
    job = pipeline(work, "tiny")
    code, so, se = run([cascade, "validate", job])
    check("validate: prints the resolved stages with the input path",
          code == 0 and "# resolved stages" in so and "source.file = OUT/simulate/snapshots.h5" in so, so[-800:] + se[-400:])
    out = os.path.join(work, "out")
    code, so, se = run([cascade, "run", job, "--out", out])
    r = load(os.path.join(out, "run.json")) or {}
    ok = code == 0 and r.get("status") == "completed" and r.get("kind") == "pipeline"
    if not check("first run: exit 0, pipeline run.json completed", ok, f"exit {code}\n{se[-1500:]}"):
        return None
    check("first run: pipeline.json says both stages completed, with depends_on and inputs",
          states(out) == {"simulate": "completed", "spectrum": "completed"}
          and (load(os.path.join(out, "pipeline.json"))["stages"][1]["depends_on"] == ["simulate"])
          and (load(os.path.join(out, "pipeline.json"))["stages"][1]["inputs"] == {"source.file": "simulate:snapshots.h5"}),
          json.dumps(load(os.path.join(out, "pipeline.json")))[:800])
    for stage, kind in (("simulate", "ns2d"), ("spectrum", "covariance")):
        sr = load(os.path.join(out, stage, "run.json")) or {}
        logtext = open(os.path.join(out, stage, "cascade.log")).read() if os.path.exists(os.path.join(out, stage, "cascade.log")) else ""
        check(f"first run: {stage}/run.json is a completed {kind} run and {stage}/cascade.log holds its log",
              sr.get("status") == "completed" and sr.get("kind") == kind and f"{kind} job" in logtext, json.dumps(sr)[:400])
    check("first run: the pipeline's run.json lists every stage's outputs",
          {"pipeline.json", "simulate/snapshots.h5", "simulate/diagnostics.h5", "spectrum/rmt.h5"} <= set(r.get("outputs", [])),
          str(r.get("outputs")))
    with h5py.File(os.path.join(out, "spectrum", "rmt.h5"), "r") as f, h5py.File(os.path.join(out, "simulate", "snapshots.h5"), "r") as g:
        check("first run: the spectrum stage read the simulate stage's snapshots (one eigenvalue per snapshot)",
              f["eigenvalues"].shape[0] == g["vorticity"].shape[0], f"{f['eigenvalues'].shape} vs {g['vorticity'].shape}")
    before = {s: started(out, s) for s in ("simulate", "spectrum")}
    code, so, se = run([cascade, "run", job, "--out", out])
    after = {s: started(out, s) for s in ("simulate", "spectrum")}
    check("second run: exit 0, every stage skipped (pipeline.json), their run.json unchanged",
          code == 0 and states(out) == {"simulate": "skipped", "spectrum": "skipped"} and before == after,
          f"exit {code} {states(out)} {before} {after}\n{se[-800:]}")
    return out


def changes(cascade, work, out):
    before = {s: started(out, s) for s in ("simulate", "spectrum")}
    code, so, se = run([cascade, "run", pipeline(work, "tiny", windows=12), "--out", out])
    after = {s: started(out, s) for s in ("simulate", "spectrum")}
    check("change a spectrum key: only spectrum reruns",
          code == 0 and after["simulate"] == before["simulate"] and after["spectrum"] != before["spectrum"]
          and states(out) == {"simulate": "skipped", "spectrum": "completed"}, f"exit {code} {states(out)}\n{se[-800:]}")
    before = after
    code, so, se = run([cascade, "run", pipeline(work, "tiny", windows=12, seed=2), "--out", out])
    after = {s: started(out, s) for s in ("simulate", "spectrum")}
    check("change a simulate key: simulate and the stage after it rerun",
          code == 0 and all(after[s] != before[s] for s in after) and states(out) == {"simulate": "completed", "spectrum": "completed"},
          f"exit {code} {states(out)}\n{se[-800:]}")
    job = pipeline(work, "tiny", windows=12, seed=2)
    before = after
    code, so, se = run([cascade, "run", job, "--out", out, "--only", "spectrum"])
    after = {s: started(out, s) for s in ("simulate", "spectrum")}
    check("--only spectrum: reruns spectrum only",
          code == 0 and after["simulate"] == before["simulate"] and after["spectrum"] != before["spectrum"], f"exit {code}\n{se[-800:]}")
    before = after
    code, so, se = run([cascade, "run", job, "--out", out, "--from", "simulate"])
    after = {s: started(out, s) for s in ("simulate", "spectrum")}
    check("--from simulate: reruns simulate and spectrum", code == 0 and all(after[s] != before[s] for s in after), f"exit {code}\n{se[-800:]}")
    fresh = os.path.join(work, "fresh")
    code, so, se = run([cascade, "run", job, "--out", fresh, "--only", "spectrum"])
    check("--only spectrum into an empty --out: refused, naming the missing input, no stage run",
          code != 0 and "does not exist yet" in se and "simulate" in se and not os.path.exists(os.path.join(fresh, "spectrum", "run.json")),
          f"exit {code}\n{se[-800:]}")
    code, so, se = run([cascade, "run", job, "--out", out, "--only", "spectrun"])
    check("--only with an unknown stage: exit 2, suggests the stage", code == 2 and "spectrum" in se, f"exit {code}\n{se[-500:]}")
    code, so, se = run([cascade, "run", "jobs/selftest.toml", "--out", os.path.join(work, "st"), "--only", "x"])
    check("--only for a non-pipeline job: exit 2 with a clear error", code == 2 and "no stages" in se, f"exit {code}\n{se[-500:]}")


def failure(cascade, work, out):
    job = pipeline(work, "tiny", windows=12, seed=2)
    with open(os.path.join(out, "simulate", "snapshots.h5"), "wb") as f:
        f.write(b"this is not an HDF5 file\n" * 100)
    code, so, se = run([cascade, "run", job, "--out", out, "--only", "spectrum"])
    r = load(os.path.join(out, "run.json")) or {}
    log = os.path.join(out, "spectrum", "cascade.log")
    check("failed stage: exit 1, one error naming the stage and its log; pipeline run.json failed",
          code == 1 and "stage spectrum (covariance) failed" in se and log in se and r.get("status") == "failed"
          and "stage spectrum" in (r.get("error") or "") and states(out).get("spectrum") == "failed",
          f"exit {code} {r.get('status')} {r.get('error')}\n{se[-1200:]}")


def interrupt_and_resume(cascade, work):
    # About 10 s of time steps on one rank (debug build), so that the signal lands mid-stage.
    job = pipeline(work, "long", t_end=80.0, snap=1.0)
    ref = os.path.join(work, "long-ref")
    code, so, se = run([cascade, "run", job, "--out", ref])
    if not check("resume: uninterrupted reference pipeline exits 0", code == 0, se[-1200:]):
        return
    out = os.path.join(work, "long")
    p = subprocess.Popen([cascade, "run", job, "--out", out], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline and (load(os.path.join(out, "simulate", "run.json")) or {}).get("status") != "running":
        time.sleep(0.1)
    time.sleep(1.0)
    p.send_signal(signal.SIGTERM)
    try:
        so, se = p.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        so, se = p.communicate()
    r = load(os.path.join(out, "run.json")) or {}
    if not check("SIGTERM in the ns2d stage: exit 3, pipeline interrupted, stage interrupted, spectrum pending",
                 p.returncode == 3 and r.get("status") == "interrupted"
                 and states(out) == {"simulate": "interrupted", "spectrum": "pending"}, f"exit {p.returncode} {states(out)}\n{se[-1200:]}"):
        return
    code, so, se = run([cascade, "run", job, "--out", out, "--resume"])
    sr = load(os.path.join(out, "simulate", "run.json")) or {}
    check("--resume: exit 0, the stage resumed from its checkpoint, the pipeline completed",
          code == 0 and sr.get("resumed") is True and (load(os.path.join(out, "run.json")) or {}).get("status") == "completed"
          and states(out) == {"simulate": "completed", "spectrum": "completed"}, f"exit {code} {states(out)}\n{se[-1200:]}")
    with h5py.File(os.path.join(ref, "simulate", "snapshots.h5"), "r") as a, h5py.File(os.path.join(out, "simulate", "snapshots.h5"), "r") as b:
        same = a["vorticity"].shape == b["vorticity"].shape and np.array_equal(a["vorticity"][-1], b["vorticity"][-1])
        check("--resume: final vorticity identical to the uninterrupted run", same, f"{a['vorticity'].shape} vs {b['vorticity'].shape}")
    with h5py.File(os.path.join(ref, "spectrum", "rmt.h5"), "r") as a, h5py.File(os.path.join(out, "spectrum", "rmt.h5"), "r") as b:
        check("--resume: same Gram eigenvalues as the uninterrupted run", np.allclose(a["eigenvalues"][...], b["eigenvalues"][...], rtol=1e-12))


def foreign_directory(cascade, work):
    other = os.path.join(work, "selftest-out")
    code, so, se = run([cascade, "run", "jobs/selftest.toml", "--out", other])
    code, so, se = run([cascade, "run", pipeline(work, "tiny"), "--out", other])
    check("a pipeline into a folder holding another kind's run: refused (exit 2), names --overwrite",
          code == 2 and "--overwrite" in se and not os.path.exists(os.path.join(other, "pipeline.json")), f"exit {code}\n{se[-500:]}")


def report_page(cascade, work):
    """report = true: the runner writes OUT/report.html once the pipeline's record is final."""
    job = pipeline(work, "reported")
    with open(job) as f:
        text = f.read().replace("report = false", "report = true", 1)
    write(job, text)
    out = os.path.join(work, "reported-out")
    code, so, se = run([cascade, "run", job, "--out", out])
    page = os.path.join(out, "report.html")
    html = open(page).read() if os.path.exists(page) else ""
    check("report = true: OUT/report.html written after the run, the log names it, both stages and the final status on the page",
          code == 0 and "report: " + page in se + so and "simulate" in html and "spectrum" in html and "completed" in html
          and (load(os.path.join(out, "run.json")) or {}).get("status") == "completed",
          f"exit {code}\n{se[-800:]}")


LIST_PIPELINE = """kind = "pipeline"
name = "list-inputs"
report = false
{stages}
[[stages]]
name = "compare"
[stages.job]
kind = "turbulence-compare"
inputs.names = ["a", "b"]
inputs.first = [5, 5]
structure.fit_range = [2, 6]
bootstrap.repeats = 20
[stages.inputs]
"inputs.files" = {files}
"""


def list_inputs(cascade, work):
    """An array of "stage:file" strings sets a list key (turbulence-compare's inputs.files) to the
    producers' paths in order; each element is checked like a single input."""
    sim = PIPELINE.split("[[stages]]")[1].split("\n", 1)[1]
    stages = "".join(f"\n[[stages]]\nname = \"{name}\"\n" + sim.split("\n", 1)[1].replace("forcing.seed = {seed}", f"forcing.seed = {seed}")
                     .format(t_end=2.0, n=32, snap=0.1) for name, seed in (("sim_a", 1), ("sim_b", 2)))
    def job(files):
        return write(os.path.join(work, "list.toml"), LIST_PIPELINE.format(stages=stages, files=files))
    out = os.path.join(work, "list-out")
    code, so, se = run([cascade, "run", job('["sim_a:snapshots.h5", "sim_b:snapshots.h5"]'), "--out", out])
    if check("array input: the pipeline runs (exit 0)", code == 0, f"exit {code}\n{so[-800:]}\n{se[-800:]}"):
        with open(os.path.join(out, "compare", "job.toml")) as f:
            text = f.read()
        want = [os.path.join(out, "sim_a", "snapshots.h5"), os.path.join(out, "sim_b", "snapshots.h5")]
        check("array input: the stage's inputs.files are both producers' paths, in order",
              text.find(want[0]) >= 0 and text.find(want[0]) < text.find(want[1]), text[-600:])
        record = load(os.path.join(out, "pipeline.json")) or {}
        compare = next((st for st in record.get("stages", []) if st["name"] == "compare"), {})
        check("array input: pipeline.json depends on both producers",
              compare.get("depends_on") == ["sim_a", "sim_b"], str(compare))
    for label, files, words in (("unknown file in an array", '["sim_a:snapshots.h5", "sim_b:snapshot.h5"]',
                                 ["compare", "inputs.inputs.files", "snapshot.h5"]),
                                ("not stage:file in an array", '["sim_a:snapshots.h5", 3]', ["inputs.inputs.files[1]", "stage:file"]),
                                ("empty array", '[]', ["inputs.inputs.files", "empty array"])):
        bad = os.path.join(work, "list-bad")
        code, so, se = run([cascade, "run", job(files), "--out", bad])
        check(f"array input ({label}): exit 2 naming {', '.join(words)}, nothing written",
              code == 2 and all(w in se for w in words) and not os.path.exists(bad), f"exit {code}\n{se[-800:]}")


def main():
    def body(cascade, work):
        work = os.path.abspath(work)
        typos(cascade, work)
        out = first_and_second_run(cascade, work)
        if out:
            changes(cascade, work, out)
            failure(cascade, work, out)
        interrupt_and_resume(cascade, work)
        foreign_directory(cascade, work)
        report_page(cascade, work)
        list_inputs(cascade, work)
    cli_main(body)


if __name__ == "__main__":
    main()
