#!/usr/bin/env python3
"""End-to-end checks of `cascade report OUTDIR` in a headless browser.

- small runs of ns2d, covariance, rmt-sweep, train (Gaussian mixture, with the Bayes table),
  wide-sweep and selftest, and a pipeline folder made by hand (two stage folders from those runs
  and a pipeline.json as docs/report.md describes); `cascade report` on each (no mpirun);
- each report.html opened by headless Chromium with the network disabled (file:// URL,
  --host-resolver-rules="MAP * ~NOTFOUND"): the page's #report-status says every plot drew
  (drawn == plots > 0, script finished, 0 script errors), the DOM holds a canvas per plot,
  Chromium logged no console message, and the page has no external http(s)/protocol-relative
  references (src, href, url(), @import); a screenshot of each is kept in
  .build/test-artefacts/report-*.png;
- the page content: ns2d has the spectrum with its k^-5/3 and k^-3 guides, structure-function
  exponents and a vorticity image with a slider; covariance the GOE/Poisson curves; the train
  page the Bayes table; the pipeline page a stage table with anchors to each stage's section;
- NaN values in a dataset do not break the page's JSON; a run whose run.json says "running"
  gets a page that says so (and a note on stderr); an unreadable HDF5 file gets a page naming
  it (and a warning naming it); a folder without run.json/pipeline.json is refused with exit
  status 2, one message, and nothing written.
Skips (one SKIP line) only when chromium is not installed. Ends with `N passed, M failed`.
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_cli import ROOT, check, cli_main, write  # noqa: E402

TIMEOUT = 120
ARTEFACTS = os.path.join(ROOT, ".build", "test-artefacts")


def run(cmd, cwd=ROOT):
    try:
        p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        return -999, str(e.stdout or ""), f"timed out after {TIMEOUT} s"


RUNS = {
    "ns2d": ["jobs/ns2d-decay.toml", "grid.n=64", "time.t_end=3.0", "output.snapshot_interval=0.5",
             "output.statistics_interval=1.0", "output.spectra_interval=0.5"],
    "covariance": ["jobs/rmt-synthetic.toml", "source.samples=2000", "source.features=256"],
    # M over more than two decades: dygraphs' linear x padding once pushed such a log axis below 0 (nothing drawn).
    "rmt-sweep": ["jobs/rmt-sweep.toml", "source.samples=4000", "source.features=32", "source.size=300",
                  "sweep.min_size=16", "sweep.steps=3", "sweep.repeats=2", "statistics.windows=100"],
    "train": ["jobs/gmm-bayes.toml", "data.samples=8192", "data.test_samples=4000", "train.steps=200",
              "train.eval_interval=100", "schedule.warmup_steps=10"],
    "wide-sweep": ["jobs/wide-sweep.toml", "sweep.widths=64:256:*2", "sweep.seeds=1:2", "train.steps=40"],
    "selftest": ["jobs/selftest.toml", "fft.shape_2d=[48, 40]", "storage.shape=[37, 20]",
                 "collectives.elements=10000", "blas.n=64"],
}


def make_runs(cascade, work):
    folders = {}
    for name, (job, *sets) in RUNS.items():
        out = os.path.join(work, name)
        args = [cascade, "run", job, "--out", out]
        for s in sets:
            args += ["--set", s]
        code, stdout, stderr = run(args)
        if check(f"{name}: small run completes", code == 0, f"exit {code}\n{stdout[-1500:]}\n{stderr[-1500:]}"):
            folders[name] = out
    return folders


def make_pipeline(work, folders):
    """A pipeline folder as common.md describes it, from two real run folders."""
    if "ns2d" not in folders or "covariance" not in folders:
        return None
    out = os.path.join(work, "pipeline")
    os.makedirs(out)
    shutil.copytree(folders["ns2d"], os.path.join(out, "simulate"))
    shutil.copytree(folders["covariance"], os.path.join(out, "spectrum"))
    for stage in ("simulate", "spectrum"):
        for f in glob.glob(os.path.join(out, stage, "report.html")):
            os.remove(f)
    with open(os.path.join(folders["ns2d"], "run.json")) as f:
        record = json.load(f)
    record.update(kind="pipeline", name="quickstart", job_file="jobs/quickstart.toml", outputs=["pipeline.json"],
                  planned_outputs=["pipeline.json"], summary="pipeline quickstart: 2 stages completed")
    write(os.path.join(out, "run.json"), json.dumps(record, indent=2))
    write(os.path.join(out, "pipeline.json"), json.dumps({"pipeline": "quickstart", "stages": [
        {"name": "simulate", "kind": "ns2d", "directory": "simulate", "depends_on": [], "inputs": {},
         "hash": "a1", "state": "completed"},
        {"name": "spectrum", "kind": "covariance", "directory": "spectrum", "depends_on": ["simulate"],
         "inputs": {"data.path": "simulate:snapshots.h5"}, "hash": "b2", "state": "skipped"},
    ]}, indent=2))
    return out


def chromium_binary():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def browse(chromium, html, profile, screenshot=None):
    """Opens html offline; returns (exit code, DOM or screenshot stdout, stderr)."""
    args = [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={profile}", "--enable-logging=stderr",
            "--v=0", "--virtual-time-budget=8000", "--hide-scrollbars", "--window-size=1200,2400"]
    args += [f"--screenshot={screenshot}"] if screenshot else ["--dump-dom"]
    return run(args + ["file://" + os.path.abspath(html)])


EXTERNAL = re.compile(r"""(?:\b(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//)|(?:url\(\s*["']?\s*(?:https?:)?//)|@import""",
                      re.IGNORECASE)
CONSOLE = re.compile(r"CONSOLE[:(]")


def status_of(dom):
    m = re.search(r'<div id="report-status"([^>]*)>', dom)
    if not m:
        return None
    return dict(re.findall(r'data-([a-z]+)="([^"]*)"', m.group(1)))


def check_page(chromium, label, folder, work, expect=(), plots_expected=True):
    html = os.path.join(folder, "report.html")
    if not check(f"{label}: report.html written", os.path.isfile(html)):
        return ""
    text = open(html, encoding="utf-8").read()
    size = os.path.getsize(html)
    check(f"{label}: page is self-contained (no external http(s) references)", not EXTERNAL.search(text),
          EXTERNAL.search(text).group(0) if EXTERNAL.search(text) else "")
    check(f"{label}: page is at most a few MB ({size / 1e6:.2f} MB)", size < 6e6)
    code, dom, stderr = browse(chromium, html, os.path.join(work, "profile-" + label))
    status = status_of(dom) or {}
    plots, drawn = int(status.get("plots", "0")), int(status.get("drawn", "-1"))
    # The selftest's page is a table of checks: no plots, but the script must still have run.
    check(f"{label}: every plot drew in headless Chromium ({drawn} of {plots})",
          code == 0 and (plots > 0) == plots_expected and drawn == plots and status.get("done") == "1",
          f"exit {code}, status {status}\n{stderr[-1500:]}")
    check(f"{label}: no script errors on the page", status.get("errors") == "0", f"status {status}")
    console = [line for line in stderr.splitlines() if CONSOLE.search(line)]
    check(f"{label}: Chromium logged no console messages", not console, "\n".join(console[:5]))
    canvases = dom.count("<canvas")
    check(f"{label}: the DOM holds a canvas per plot ({canvases} canvases, {plots} plots)", canvases >= plots)
    for needle in expect:
        check(f"{label}: page shows {needle!r}", needle in dom, "")
    os.makedirs(ARTEFACTS, exist_ok=True)
    png = os.path.join(ARTEFACTS, f"report-{label}.png")
    if os.path.exists(png):
        os.remove(png)
    code, _, stderr = browse(chromium, html, os.path.join(work, "profile-shot-" + label), screenshot=png)
    check(f"{label}: screenshot kept as {os.path.relpath(png, ROOT)}",
          code == 0 and os.path.isfile(png) and os.path.getsize(png) > 20000, f"exit {code}\n{stderr[-800:]}")
    return dom


def main():
    def body(cascade, work):
        work = os.path.abspath(work)
        chromium = chromium_binary()
        folders = make_runs(cascade, work)
        pipeline = make_pipeline(work, folders)
        if pipeline:
            folders["pipeline"] = pipeline
        for label, folder in folders.items():
            code, stdout, stderr = run([cascade, "report", folder])
            check(f"{label}: cascade report exits 0 and prints the page's path",
                  code == 0 and stdout.strip() == os.path.join(folder, "report.html"), f"exit {code}\n{stdout}\n{stderr}")
        if chromium is None:
            print("SKIP report pages in a browser: chromium is not installed (cluster/install-deps.sh --python installs it)")
            return
        print(f"report screenshots are kept in {os.path.relpath(ARTEFACTS, ROOT)}/report-*.png")
        expects = {
            "ns2d": ["Energy spectrum E(k)", "k^−5/3", "k^−3", "ζ_p longitudinal", "vorticity ω(x, y)", 'type="range"'],
            "covariance": ["Rank plot of the eigenvalues", "GOE", "Poisson", "Spectral rigidity Δ₃(L)", "Number variance Σ²(L)"],
            "rmt-sweep": ["Mean gap ratio ⟨r⟩", "samples M"],
            "train": ["Bayes accuracy, closed form", "eval (held out)"],
            "wide-sweep": ["log–log slope", "width (hidden units)"],
            "selftest": ["<td>parallel hdf5</td>", "<td>PASS</td>"],
            "pipeline": ['href="#stage-simulate"', 'id="stage-simulate"', 'id="stage-spectrum"', "skipped"],
        }
        for label, folder in folders.items():
            check_page(chromium, label, folder, work, expects.get(label, ()), plots_expected=label != "selftest")
        # The README's first command (cluster/quickstart.sh, run before the tests by .ci/run) leaves
        # runs/quickstart/report.html: its page is checked as written and its screenshot kept.
        quickstart = os.path.join(ROOT, "runs", "quickstart")
        if os.path.isfile(os.path.join(quickstart, "report.html")):
            check_page(chromium, "quickstart", quickstart, work,
                       ['id="stage-simulate"', 'id="stage-spectrum"', "Energy spectrum E(k)", "Rank plot of the eigenvalues", "GOE"])
        else:
            print("SKIP the quickstart's report page: runs/quickstart/report.html does not exist (cluster/quickstart.sh makes it)")
        # Large data is decimated: 60 frames of 600² become at most 40 frames of at most 256² (block
        # means, here 200²), and 20000-record time series at most 400 points a curve.
        if "ns2d" in folders:
            large = os.path.join(work, "ns2d-large")
            shutil.copytree(folders["ns2d"], large)
            rng = np.random.default_rng(1)
            with h5py.File(os.path.join(large, "snapshots.h5"), "w") as f:
                f.attrs["n"] = 600
                f["time"] = np.linspace(0, 6, 60)
                f.create_dataset("vorticity", data=rng.standard_normal((60, 600, 600)), chunks=(1, 600, 600))
            with h5py.File(os.path.join(large, "diagnostics.h5"), "r+") as f:
                for name in ("time", "energy", "enstrophy"):
                    del f[f"time_series/{name}"]
                    f[f"time_series/{name}"] = np.linspace(1, 2, 20000)
            code, _, stderr = run([cascade, "report", large])
            html = open(os.path.join(large, "report.html"), encoding="utf-8").read()
            m = re.search(r'<canvas class="field" id="[^"]+" width="(\d+)" height="(\d+)"', html)
            frames = re.search(r'type="range" id="[^"]+" min="0" max="(\d+)"', html)
            check("large ns2d: snapshots shown as at most 40 frames of at most 256² (600² → 200²)",
                  code == 0 and m is not None and m.group(1) == "200" and frames is not None and int(frames.group(1)) + 1 == 40,
                  f"exit {code} {m and m.groups()} {frames and frames.group(1)}\n{stderr}")
            data = json.loads(re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S).group(1))
            longest = max(len(c["data"]) for c in data["charts"])
            check(f"large ns2d: every series decimated to at most 400 points (longest chart {longest} rows)", longest <= 400)
            check(f"large ns2d: page stays a few MB ({len(html) / 1e6:.2f} MB)", len(html) < 6e6)
            check_page(chromium, "ns2d-large", large, work)
        # NaN in a dataset: the page's JSON must stay valid (NaN becomes a gap).
        if "train" in folders:
            nan_run = os.path.join(work, "train-nan")
            shutil.copytree(folders["train"], nan_run)
            with h5py.File(os.path.join(nan_run, "training.h5"), "r+") as f:
                loss = f["metrics/loss"][()]
                loss[1::2] = np.nan
                loss[0] = np.inf
                f["metrics/loss"][...] = loss
            code, _, stderr = run([cascade, "report", nan_run])
            check("NaN/Inf values: cascade report exits 0", code == 0, stderr)
            check_page(chromium, "train-nan", nan_run, work)
        # A run still running: the page says so, stderr too.
        if "ns2d" in folders:
            running = os.path.join(work, "ns2d-running")
            shutil.copytree(folders["ns2d"], running)
            path = os.path.join(running, "run.json")
            with open(path) as f:
                record = json.load(f)
            record["status"] = "running"
            for key in ("finished", "elapsed_seconds", "succeeded", "summary", "outputs"):
                record.pop(key, None)
            write(path, json.dumps(record))
            code, _, stderr = run([cascade, "report", running])
            check("running run: cascade report exits 0 and says the run has not finished",
                  code == 0 and "has not finished" in stderr, f"exit {code}\n{stderr}")
            html = open(os.path.join(running, "report.html"), encoding="utf-8").read()
            check("running run: the page says it had not finished", "had not finished when the page was made" in html)
            # An unreadable HDF5 file: a page naming it and a warning naming it, not a crash.
            broken = os.path.join(running, "diagnostics.h5")
            write(broken, "this is not HDF5\n")
            code, _, stderr = run([cascade, "report", running])
            html = open(os.path.join(running, "report.html"), encoding="utf-8").read()
            check("unreadable HDF5: cascade report exits 0 with a warning naming the file",
                  code == 0 and "warning:" in stderr and "diagnostics.h5" in stderr, f"exit {code}\n{stderr}")
            check("unreadable HDF5: the page names the file", "diagnostics.h5 cannot be read as HDF5" in html)
            check_page(chromium, "ns2d-running", running, work)
        # Not a run folder: refused with exit status 2, one message, nothing written.
        empty = os.path.join(work, "not-a-run")
        os.makedirs(empty)
        code, stdout, stderr = run([cascade, "report", empty])
        lines = [line for line in stderr.splitlines() if line.strip()]
        check("folder without run.json or pipeline.json: exit 2, one message naming it, nothing written",
              code == 2 and len(lines) == 1 and empty in lines[0] and "run.json" in lines[0] and not os.listdir(empty),
              f"exit {code}\n{stderr}")
        code, _, stderr = run([cascade, "report", os.path.join(work, "no-such-folder")])
        check("missing folder: exit 2 with one message", code == 2 and "no such folder" in stderr, f"exit {code}\n{stderr}")
    cli_main(body)


if __name__ == "__main__":
    main()
