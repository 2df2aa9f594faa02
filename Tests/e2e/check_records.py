#!/usr/bin/env python3
"""End-to-end checks of what a run records and what it does to its output directory.

- two runs started together into the same --out never both run: one takes the directory's
  lock (.cascade.lock), the other is refused before writing anything;
- --overwrite removes the files the previous run of Cascade wrote there (another kind's
  checkpoint.h5 and snapshots.h5 included), even when that run was killed, and keeps the user's;
  --resume refuses a checkpoint made by a different configuration, naming the keys, and accepts
  changes to keys documented as resumable (time.t_end, output intervals);
- output names are checked against each other and Cascade's reserved names (run.json,
  job.toml, the lock) for every kind, before anything is written;
- SIGTERM/SIGINT to covariance and rmt-sweep runs (which cannot checkpoint) leaves run.json
  with an honest final status naming the signal, not "running";
- stale temporaries (.NAME.tmp-*) of a run's own files are removed by --resume and by the
  next run; other hidden files are left alone;
- run.walltime_limit stops an ns2d run as interrupted (exit 3) and --resume completes it
  bit-identically to an uninterrupted run;
- progress.json and `cascade status` (no mpirun): a finished run (exit 0, --json), a run killed
  with SIGKILL while running (record still "running", lock free: "running?" once its files are
  old, exit 5), a folder that is no run (exit 2, one error).
Every process runs under a timeout. Prints PASS/FAIL lines and ends with `N passed, M failed`.
"""
import fcntl
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

TIMEOUT = 120


def run(cmd):
    try:
        p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        return -999, str(e.stdout or ""), f"timed out after {TIMEOUT} s"


def mpirun(n, args):
    return run([os.path.join(ROOT, "cluster/mpirun.sh"), "-np", str(n)] + args)


def start(cmd):
    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def finish(p, timeout=TIMEOUT):
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        return -999, out, err + f"\n(timed out after {timeout} s, killed)"
    return p.returncode, out, err


def record(out):
    try:
        with open(os.path.join(out, "run.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def listing(out):
    return sorted(os.listdir(out)) if os.path.isdir(out) else []


def datasets(path):
    found = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: found.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return found


NS2D = """kind = "ns2d"
[grid]
n = 32
[physics]
viscosity = {viscosity}
damping = 0.05
[time]
t_end = {t_end}
dt = 0.004
scheme = "rk4"
[forcing]
type = "white"
rate = 0.5
kf = 5
seed = 3
[init]
type = "random"
energy = 0.5
k_peak = 3
[output]
diagnostics_interval = 0.02
spectra_interval = 0.1
statistics_interval = 0.1
snapshot_interval = 0.04
checkpoint_interval = {checkpoint}
"""


def ns2d_job(work, name, t_end=0.2, viscosity=2e-3, checkpoint=0.0, extra=""):
    return write(os.path.join(work, name + ".toml"),
                 NS2D.format(t_end=t_end, viscosity=viscosity, checkpoint=checkpoint) + extra)


def covariance_job(work, name, samples=400, features=24, output="rmt.h5"):
    return write(os.path.join(work, name + ".toml"), f"""kind = "covariance"
[source]
type = "gaussian"
samples = {samples}
features = {features}
seed = 5
[statistics]
unfolding = "polynomial"
degree = 3
lengths = [1.0, 4.0]
length_count = 4
windows = 20
[output]
file = "{output}"
""")


def sweep_job(work, name, samples=600, features=24, sizes="[100, 300, 600]", repeats=2, extra=""):
    return write(os.path.join(work, name + ".toml"), f"""kind = "rmt-sweep"
[datasets]
names = ["g"]
types = ["gaussian"]
[source]
samples = {samples}
features = {features}
seed = 7
[sweep]
sizes = {sizes}
repeats = {repeats}
[statistics]
unfolding = "polynomial"
degree = 3
lengths = [1.0, 4.0]
length_count = 4
windows = 20
{extra}""")


# 1. One run at a time per output directory.
def exclusive_lock(cascade, work):
    """Defect 1: two runs into the same --out both passed the "already holds a run" check."""
    out = os.path.join(work, "locked")
    os.makedirs(out)
    job = covariance_job(work, "lock-cov")
    with open(os.path.join(out, ".cascade.lock"), "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        code, so, se = run([cascade, "run", job, "--out", out])
        fcntl.flock(held, fcntl.LOCK_UN)
    check("lock: a run into a directory another run has locked is refused (exit 2)",
          code == 2 and "another run" in se and "--out" in se, f"exit {code}\n{se[-1500:]}")
    check("lock: the refused run writes nothing", not {"run.json", "job.toml", "rmt.h5"} & set(listing(out)),
          str(listing(out)))
    check("lock: the refusal is printed once", se.count("another run") == 1, se[-1500:])

    # Two runs started at the same moment (different output names, so mixing shows).
    a, b = covariance_job(work, "race-a", output="a.h5"), covariance_job(work, "race-b", output="b.h5")
    both, mixed, refusals = 0, 0, []
    tries = 6
    for i in range(tries):
        out = os.path.join(work, f"race-{i}")
        pa = start([cascade, "run", a, "--out", out])
        pb = start([cascade, "run", b, "--out", out])
        (ca, _, ea), (cb, _, eb) = finish(pa), finish(pb)
        files = set(listing(out))
        if ca == 0 and cb == 0:
            both += 1
        if {"a.h5", "b.h5"} <= files:
            mixed += 1
        codes = sorted([ca, cb])
        refusals.append((codes, (ea if ca else eb)[-300:]))
    check(f"lock: two runs started together into one --out: never both run ({tries} tries)", both == 0,
          f"both ran in {both} of {tries} tries")
    check(f"lock: ... and never mix their files", mixed == 0, f"mixed in {mixed} of {tries} tries")
    check("lock: ... exactly one runs, the other is refused with exit 2",
          all(c == [0, 2] for c, _ in refusals), str(refusals[:3]))


# 2. --overwrite removes the previous run's files; --resume refuses a foreign checkpoint.
def overwrite_and_resume(cascade, work):
    out = os.path.join(work, "reused")
    ns = ns2d_job(work, "ns-a")
    code, so, se = run([cascade, "run", ns, "--out", out])
    if not check("overwrite: ns2d run exits 0", code == 0, se[-1500:]):
        return
    write(os.path.join(out, "notes.txt"), "mine\n")
    cov = covariance_job(work, "cov-over")
    code, so, se = run([cascade, "run", cov, "--out", out, "--overwrite"])
    check("overwrite: covariance --overwrite over an ns2d run exits 0", code == 0, se[-1500:])
    left = {"checkpoint.h5", "snapshots.h5", "snapshots.xmf", "diagnostics.h5"} & set(listing(out))
    check("overwrite: the ns2d run's checkpoint.h5, snapshots.h5, snapshots.xmf, diagnostics.h5 are gone",
          not left, f"left: {sorted(left)}")
    check("overwrite: files Cascade did not write are kept", os.path.exists(os.path.join(out, "notes.txt")))
    r = record(out)
    check("overwrite: run.json is the new run's", r is not None and r["kind"] == "covariance" and r["status"] == "completed", str(r))
    code, so, se = run([cascade, "run", ns, "--out", out, "--resume", "--set", "time.t_end=0.4"])
    check("overwrite: a later ns2d --resume does not continue the old checkpoint (exit 2)",
          code == 2 and "checkpoint.h5" in se, f"exit {code}\n{se[-1500:]}")

    # A run killed before it recorded its outputs: its planned outputs are removed too.
    killed = os.path.join(work, "killed")
    code, so, se = run([cascade, "run", ns, "--out", killed])
    r = record(killed)
    if check("overwrite: second ns2d run exits 0", code == 0 and r is not None, se[-1500:]):
        r["status"] = "running"
        for key in ("outputs", "finished", "succeeded", "summary", "elapsed_seconds"):
            r.pop(key, None)
        write(os.path.join(killed, "run.json"), json.dumps(r))
        code, so, se = run([cascade, "run", sweep_job(work, "sweep-over"), "--out", killed, "--overwrite"])
        left = {"checkpoint.h5", "snapshots.h5", "diagnostics.h5"} & set(listing(killed))
        check("overwrite: over a killed run (run.json \"running\", no outputs) removes its planned outputs",
              code == 0 and not left, f"exit {code}; left: {sorted(left)}\n{se[-800:]}")

    # A run recorded by an earlier Cascade (run.json without planned_outputs and config_hash).
    older = os.path.join(work, "older")
    code, so, se = run([cascade, "run", ns, "--out", older])
    r = record(older)
    if check("overwrite: third ns2d run exits 0", code == 0 and r is not None, se[-1500:]):
        for key in ("planned_outputs", "config_hash"):
            r.pop(key, None)
        write(os.path.join(older, "run.json"), json.dumps(r))
        code, so, se = run([cascade, "run", cov, "--out", older, "--overwrite"])
        left = {"checkpoint.h5", "snapshots.h5", "diagnostics.h5"} & set(listing(older))
        check("overwrite: over a run recorded by an earlier Cascade (no planned_outputs) removes its outputs",
              code == 0 and not left, f"exit {code}; left: {sorted(left)}\n{se[-800:]}")

    # --resume with a different configuration is refused, naming the key; resumable keys may change.
    base = os.path.join(work, "fingerprint")
    code, so, se = run([cascade, "run", ns, "--out", base])
    if not check("resume: ns2d run exits 0", code == 0, se[-1500:]):
        return
    job_before = open(os.path.join(base, "job.toml")).read()
    other = ns2d_job(work, "ns-b", viscosity=5e-3, t_end=0.4)
    code, so, se = run([cascade, "run", other, "--out", base, "--resume"])
    check("resume: a checkpoint of another configuration is refused (exit 2), naming physics.viscosity",
          code == 2 and "physics.viscosity" in se and "time.t_end" not in se.split("was made by")[-1].split(";")[0],
          f"exit {code}\n{se[-1500:]}")
    check("resume: the refusal is printed once", se.count("physics.viscosity") == 1, se[-1500:])
    check("resume: the refused resume leaves job.toml as it was",
          open(os.path.join(base, "job.toml")).read() == job_before)
    code, so, se = mpirun(2, [cascade, "run", other, "--out", base, "--resume"])
    check("resume: on 2 ranks the refusal is exit 2, printed once (rank 0)",
          code == 2 and se.count("physics.viscosity") == 1, f"exit {code}\n{se[-1500:]}")
    check("resume: ... and run.json still records the completed run",
          (record(base) or {}).get("status") == "completed", str(record(base))[:500])
    code, so, se = run([cascade, "run", ns, "--out", base, "--resume", "--set", "time.t_end=0.3",
                        "--set", "output.diagnostics_interval=0.04", "--set", "run.progress_interval=5"])
    check("resume: changed resumable keys (t_end, intervals) are accepted", code == 0, f"exit {code}\n{se[-1500:]}")


# 3. Output names against each other and the reserved names.
def output_names(cascade, work):
    cases = [
        ("rmt-sweep output.file = run.json", sweep_job(work, "names-1", extra='[output]\nfile = "run.json"\n'), "output.file"),
        ("rmt-sweep output.csv = job.toml", sweep_job(work, "names-2", extra='[output]\ncsv = "job.toml"\n'), "output.csv"),
        ("rmt-sweep output.csv = run.json", sweep_job(work, "names-3", extra='[output]\ncsv = "run.json"\n'), "output.csv"),
        ("rmt-sweep output.file = output.csv", sweep_job(work, "names-4", extra='[output]\nfile = "same"\ncsv = "same"\n'),
         "output."),
        ("rmt-sweep output.file = .cascade.lock", sweep_job(work, "names-5", extra='[output]\nfile = ".cascade.lock"\n'),
         "output.file"),
        ("covariance output.file = run.json", covariance_job(work, "names-6", output="run.json"), "output.file"),
        ("selftest storage.file = job.toml",
         write(os.path.join(work, "names-7.toml"), 'kind = "selftest"\n[storage]\nfile = "job.toml"\n'), "storage.file"),
    ]
    for label, job, key in cases:
        out = os.path.join(work, "names-" + label.split()[-1].replace(".", "_") + str(len(label)))
        code, so, se = run([cascade, "run", job, "--out", out])
        check(f"names: {label} is refused (exit 2) naming {key}", code == 2 and key in se, f"exit {code}\n{se[-800:]}")
        check(f"names: {label}: nothing written", not listing(out), str(listing(out)))
    # Into a directory holding a run, with --overwrite: the run's records survive the refusal.
    held = os.path.join(work, "names-held")
    if run([cascade, "run", covariance_job(work, "names-base"), "--out", held])[0] == 0:
        before = open(os.path.join(held, "run.json")).read()
        code, so, se = run([cascade, "run", sweep_job(work, "names-8", extra='[output]\ncsv = "run.json"\n'),
                            "--out", held, "--overwrite"])
        check("names: rmt-sweep --overwrite with output.csv = run.json leaves the old run.json intact",
              code == 2 and open(os.path.join(held, "run.json")).read() == before, f"exit {code}\n{se[-800:]}")


# 4. A stop signal to a kind that cannot checkpoint.
def signals(cascade, work):
    cov = covariance_job(work, "sig-cov", samples=20000, features=1024)
    sweep = sweep_job(work, "sig-sweep", samples=20000, features=512, sizes="[5000, 10000, 20000]", repeats=4)
    cases = [("covariance, SIGTERM, 1 rank", cov, 1, signal.SIGTERM),
             ("rmt-sweep, SIGINT, 1 rank", sweep, 1, signal.SIGINT),
             ("covariance, SIGTERM via mpirun, 2 ranks", cov, 2, signal.SIGTERM),
             ("rmt-sweep, SIGTERM via mpirun, 2 ranks", sweep, 2, signal.SIGTERM)]
    for label, job, ranks, sig in cases:
        out = os.path.join(work, "sig-" + label.split(",")[0] + f"-{ranks}-{int(sig)}")
        cmd = ([os.path.join(ROOT, "cluster/mpirun.sh"), "-np", str(ranks)] if ranks > 1 else []) + [cascade, "run", job, "--out", out]
        p = start(cmd)
        deadline = time.time() + 60
        while time.time() < deadline and p.poll() is None:
            r = record(out)
            if r is not None and r.get("status") == "running":
                break
            time.sleep(0.05)
        time.sleep(0.3)
        still_running = p.poll() is None
        if still_running:
            if ranks > 1:
                p.send_signal(sig)            # mpirun forwards it to the ranks
            else:
                p.send_signal(sig)
        code, so, se = finish(p, timeout=60)
        if not check(f"signal: {label}: the run was still running when signalled", still_running,
                     f"exit {code}\n{se[-800:]}"):
            continue
        r = record(out) or {}
        name = "SIGTERM" if sig == signal.SIGTERM else "SIGINT"
        check(f"signal: {label}: process ends with a non-zero exit", code not in (0, -999), f"exit {code}")
        check(f"signal: {label}: run.json records an honest final status, not \"running\"",
              r.get("status") in ("interrupted", "failed") and r.get("finished") and r.get("succeeded") is False,
              json.dumps(r)[:800])
        check(f"signal: {label}: run.json names {name}", name in (r.get("error") or "") + (r.get("summary") or ""),
              json.dumps(r)[:800])
        check(f"signal: {label}: the error is printed once", (so + se).count(f"stopped by {name}") <= 1, (so + se)[-800:])


# 5. Stale temporaries of killed runs.
def temporaries(cascade, work):
    out = os.path.join(work, "temps")
    ns = ns2d_job(work, "ns-temps", checkpoint=0.1)
    code, so, se = run([cascade, "run", ns, "--out", out])
    if not check("temporaries: ns2d run exits 0", code == 0, se[-1500:]):
        return
    own = [".snapshots.h5.tmp-4242-17", ".checkpoint.h5.tmp-4242-18", ".diagnostics.h5.tmp-99", ".run.json.tmp-4242"]
    foreign = ".mydata.h5.tmp-1"
    for name in own + [foreign]:
        write(os.path.join(out, name), "x" * 1000)
    code, so, se = run([cascade, "run", ns, "--out", out, "--resume", "--set", "time.t_end=0.3"])
    left = [n for n in own if os.path.exists(os.path.join(out, n))]
    check("temporaries: --resume exits 0 and removes stale temporaries of the run's files",
          code == 0 and not left, f"exit {code}; left {left}\n{se[-800:]}")
    check("temporaries: --resume keeps hidden files that are not the run's", os.path.exists(os.path.join(out, foreign)))
    for name in own:
        write(os.path.join(out, name), "x")
    code, so, se = run([cascade, "run", covariance_job(work, "cov-temps"), "--out", out, "--overwrite"])
    left = [n for n in own if os.path.exists(os.path.join(out, n))]
    check("temporaries: the next run (--overwrite) removes the old run's stale temporaries",
          code == 0 and not left, f"exit {code}; left {left}\n{se[-800:]}")
    # A directory with temporaries but no run.json (killed before its record was renamed into place).
    bare = os.path.join(work, "temps-bare")
    os.makedirs(bare)
    write(os.path.join(bare, ".rmt.h5.tmp-1-2"), "x")
    write(os.path.join(bare, ".run.json.tmp-3"), "x")
    code, so, se = run([cascade, "run", covariance_job(work, "cov-bare"), "--out", bare])
    check("temporaries: a fresh run removes temporaries of its own files",
          code == 0 and not [n for n in listing(bare) if ".tmp-" in n], f"exit {code}; {listing(bare)}\n{se[-800:]}")
    # A run really killed (SIGKILL) mid-run leaves nothing behind once resumed.
    killed = os.path.join(work, "temps-killed")
    long_job = ns2d_job(work, "ns-kill", t_end=40.0, checkpoint=0.4)
    p = start([cascade, "run", long_job, "--out", killed])
    deadline = time.time() + 60
    while time.time() < deadline and p.poll() is None and not os.path.exists(os.path.join(killed, "checkpoint.h5")):
        time.sleep(0.05)
    time.sleep(0.2)
    os.killpg(p.pid, signal.SIGKILL)
    finish(p)
    try:
        with h5py.File(os.path.join(killed, "checkpoint.h5"), "r") as f:
            t_end = float(f.attrs["time"]) + 0.1    # a short rest of the run
    except (OSError, KeyError):
        t_end = 40.0
    code, so, se = run([cascade, "run", long_job, "--out", killed, "--resume", "--set", f"time.t_end={t_end}"])
    tmps = [n for n in listing(killed) if ".tmp-" in n]
    check("temporaries: after SIGKILL, --resume leaves no temporaries", code == 0 and not tmps,
          f"exit {code}; {tmps}\n{se[-800:]}")


# Wall-time limit.
def walltime(cascade, work):
    job = ns2d_job(work, "ns-wall", t_end=6.0, checkpoint=0.0)
    ref = os.path.join(work, "wall-ref")
    code, so, se = run([cascade, "run", job, "--out", ref])
    if not check("walltime: uninterrupted reference exits 0", code == 0, se[-1500:]):
        return
    out = os.path.join(work, "wall")
    code, so, se = run([cascade, "run", job, "--out", out, "--set", "run.walltime_limit=1"])
    r = record(out) or {}
    check("walltime: run.walltime_limit stops the run with exit 3, status interrupted",
          code == 3 and r.get("status") == "interrupted", f"exit {code}\n{json.dumps(r)[:600]}\n{se[-800:]}")
    if code != 3:
        return
    with h5py.File(os.path.join(out, "checkpoint.h5"), "r") as f:
        stopped = int(f.attrs["step"])
    check(f"walltime: stopped mid-run (step {stopped} of 1500)", 0 < stopped < 1500)
    code, so, se = run([cascade, "run", job, "--out", out, "--resume", "--set", "run.walltime_limit=0"])
    if not check("walltime: --resume completes (exit 0)", code == 0 and (record(out) or {}).get("status") == "completed",
                 f"exit {code}\n{se[-1500:]}"):
        return
    for name in ("snapshots.h5", "diagnostics.h5"):
        a, b = datasets(os.path.join(ref, name)), datasets(os.path.join(out, name))
        different = [k for k in a if k not in b or not np.array_equal(a[k], b[k], equal_nan=True)]
        check(f"walltime: resumed {name} is bit-identical to the uninterrupted run",
              a.keys() == b.keys() and not different, ", ".join(different[:8]))


# 7. progress.json and `cascade status`, started without mpirun as on a login node.
def status(cascade, work):
    out = os.path.join(work, "status-done")
    code, _, se = run([cascade, "run", ns2d_job(work, "status-done", t_end=0.2), "--out", out])
    if not check("status: ns2d run exits 0", code == 0, se[-800:]):
        return
    try:
        with open(os.path.join(out, "progress.json")) as f:
            progress = json.load(f)
    except (OSError, ValueError) as e:
        progress = {"error": str(e)}
    check("status: progress.json has the shared keys and ends at done == total",
          set(progress) == {"label", "unit", "done", "total", "rate_per_second", "eta_seconds", "elapsed_seconds", "updated"}
          and progress["done"] == progress["total"] == 50 and progress["unit"] == "count", json.dumps(progress))
    code, so, se = run([cascade, "status", out])
    check("status: a completed run: exit 0, 'completed — ns2d job'", code == 0 and ": completed — ns2d job" in so, f"exit {code}\n{so}{se}")
    code, so, se = run([cascade, "status", "--json", out])
    try:
        js = json.loads(so)
    except ValueError:
        js = {}
    check("status --json: state, kind, ranks", js.get("state") == "completed" and js.get("kind") == "ns2d" and js.get("ranks") == 1,
          f"exit {code}\n{so[:600]}{se}")

    # A run killed with SIGKILL keeps a record that says "running"; its lock dies with it.
    killed = os.path.join(work, "status-killed")
    p = start([cascade, "run", ns2d_job(work, "status-killed", t_end=400.0, extra="[run]\nprogress_interval = 0.2\n"), "--out", killed])
    deadline = time.time() + 60
    while time.time() < deadline and p.poll() is None and not os.path.exists(os.path.join(killed, "progress.json")):
        time.sleep(0.1)
    code, so, se = run([cascade, "status", killed])
    check("status: a live run: exit 4, running, progress line, lock held",
          code == 4 and ": running — ns2d job" in so and "progress  time steps:" in so and "lock held" in so, f"exit {code}\n{so}{se}")
    os.killpg(p.pid, signal.SIGKILL)
    finish(p)
    code, so, se = run([cascade, "status", killed])
    check("status: just after SIGKILL (files still fresh): running, exit 4", code == 4 and ": running —" in so, f"exit {code}\n{so}{se}")
    # An hour of silence: the files' times and progress.json's own time stamp set back.
    hour_ago = time.time() - 3600
    with open(os.path.join(killed, "progress.json")) as f:
        progress = json.load(f)
    progress["updated"] = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(hour_ago))
    with open(os.path.join(killed, "progress.json"), "w") as f:
        json.dump(progress, f)
    for name in ("run.json", "progress.json"):
        os.utime(os.path.join(killed, name), (hour_ago, hour_ago))
    code, so, se = run([cascade, "status", killed])
    check("status: SIGKILLed an hour ago: 'running?', probably killed, resume with --resume, exit 5",
          code == 5 and ": running? — ns2d job" in so and "probably killed (kill -9 / node failure); resume with --resume" in so,
          f"exit {code}\n{so}{se}")

    code, so, se = run([cascade, "status", work])
    check("status: a folder without run.json: exit 2, one error naming it",
          code == 2 and not so and se.count("error:") == 1 and work in se and "not a Cascade run folder" in se, f"exit {code}\n{so}{se}")


def main():
    def body(cascade, work):
        work = os.path.abspath(work)
        exclusive_lock(cascade, work)
        overwrite_and_resume(cascade, work)
        output_names(cascade, work)
        signals(cascade, work)
        temporaries(cascade, work)
        walltime(cascade, work)
        status(cascade, work)
    cli_main(body)


if __name__ == "__main__":
    main()
