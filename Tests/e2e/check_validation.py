#!/usr/bin/env python3
"""End-to-end checks of job validation: hostile and absurd parameter values, memory that cannot
exist, misleading error texts, and the new ns2d keys.

Mostly `cascade validate` (no MPI) plus a few tiny runs. Every check names the defect it covers
(D10: overflow, D11: memory, D12: values that never finish or give garbage, D13: key depth and
problem count, D20: error texts and exit statuses, D21: the CFL guard, D22: start times, empty
windows and ranges, D23: keys under an unknown table). A crash (signal, exit ≥ 128) always fails.
Prints PASS/FAIL lines and ends with `N passed, M failed`.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_cli import ROOT, check, results  # noqa: E402  (shared PASS/FAIL counting)
CASCADE = ""
ENV = dict(os.environ, CASCADE_MEMORY_LIMIT=str(8 * 10**9), SWIFT_BACKTRACE="enable=no",
           OPENBLAS_NUM_THREADS="1", OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")



def run(cmd, timeout=120, cwd=ROOT, env=None):
    try:
        p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env or ENV,
                           errors="replace")
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        return "timeout", str(e.stdout or "")[-2000:], str(e.stderr or "")[-2000:]


def validate(job, *sets, ranks=None, timeout=60, env=None):
    cmd = [CASCADE, "validate", job]
    for s in sets:
        cmd += ["--set", s]
    if ranks is not None:
        cmd += ["--ranks", str(ranks)]
    return run(cmd, timeout=timeout, env=env)


def mpirun(n, args, timeout=180, cwd=ROOT):
    return run(["timeout", str(timeout), os.path.join(ROOT, "cluster/mpirun.sh"), "-np", str(n), CASCADE] + args,
               timeout=timeout + 10, cwd=cwd)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def crashed(code):
    return code == "timeout" or not isinstance(code, int) or code < 0 or code >= 128


def refused(name, result, *words, absent=()):
    """Exit 2, no crash, and stderr names every word (keys, phrases)."""
    code, out, err = result
    missing = [w for w in words if w not in err]
    present = [w for w in absent if w in err]
    return check(name, code == 2 and not missing and not present,
                 f"exit {code}; missing {missing}; unwanted {present}\n{err[-1500:]}")


def accepted(name, result):
    code, out, err = result
    return check(name, code == 0, f"exit {code}\n{err[-1500:]}")


NS2D = """kind = "ns2d"
name = "v-ns2d"
[grid]
n = 32
[time]
t_end = 0.2
dt = 0.01
[output]
diagnostics_interval = 0.01
spectra_interval = 0.1
statistics_interval = 0.1
snapshot_interval = 0.05
"""

COV = """kind = "covariance"
name = "v-cov"
[source]
type = "gaussian"
samples = 200
features = 32
[statistics]
lengths = [1.0, 5.0]
length_count = 5
windows = 50
"""

SWEEP = """kind = "rmt-sweep"
name = "v-sweep"
[datasets]
names = ["g"]
types = ["gaussian"]
[source]
samples = 400
features = 32
[sweep]
sizes = [100, 200]
repeats = 1
[statistics]
lengths = [1.0, 5.0]
length_count = 5
windows = 50
"""


def overflow_checks(w):  # D10
    ns2d, cov, sweep = w["ns2d"], w["cov"], w["sweep"]
    big = 9223372036854775807
    refused("D10 covariance power_law_ranks=[Int.max, Int.max] refused, no trap",
            validate(cov, f"statistics.power_law_ranks=[{big},{big}]"), "statistics.power_law_ranks")
    refused("D10 rmt-sweep power_law_ranks=[1, Int.max] refused, no trap",
            validate(sweep, f"statistics.power_law_ranks=[1,{big}]"), "statistics.power_law_ranks")
    refused("D10 ns2d time.dt=1e-300 (step count) refused naming time.dt",
            validate(ns2d, "time.dt=1e-300"), "time.dt")
    refused("D10 ns2d adaptive with time.dt=1e-300 refused naming time.dt",
            validate(ns2d, "time.adaptive=true", "time.dt=1e-300"), "time.dt")
    refused("D10 ns2d time.t_end=1e300 refused naming time.t_end",
            validate(ns2d, "time.t_end=1e300"), "time.t_end")
    refused("D10 ns2d time.t_end=1e9 with dt=1e-3 (1e12 steps) refused",
            validate(ns2d, "time.t_end=1e9", "time.dt=1e-3"), "time.")
    refused("D10 covariance source.stride=1e17 refused naming source.stride",
            validate(w["cov_h5"], "source.stride=1e17"), "source.stride")
    refused("D10 covariance source.stride=10^17 (integer) refused naming source.stride",
            validate(w["cov_h5"], "source.stride=100000000000000000"), "source.stride")
    refused("D10 covariance source.first=Int.max refused naming source.first",
            validate(w["cov_h5"], f"source.first={big}"), "source.first")
    refused("D10 covariance statistics.lengths=[1,1e18] refused naming statistics.lengths",
            validate(cov, "statistics.lengths=[1,1e18]"), "statistics.lengths")
    refused("D10 ns2d init.frame=Int.min refused naming init.frame",
            validate(ns2d, "init.type=\"file\"", f"init.file=\"{w['f64']}\"", f"init.frame=-{big}-1"), "init.frame")
    refused("D10 ns2d output.separations range to Int.max refused",
            validate(ns2d, f"output.separations=\"1:{big}\""), "output.separations")
    refused("D10 ns2d output.separations range step Int.max, first negative, refused",
            validate(ns2d, f"output.separations=\"-{big}:{big}:{big}\""), "output.separations")
    refused("D10 rmt-sweep sweep.sizes=[Int.max] refused", validate(sweep, f"sweep.sizes=[{big}]"), "sweep.sizes")
    # Dataset-derived counts at run time: a lazily allocated dataset whose field has 2^64 points.
    code, out, err = mpirun(1, ["run", w["cov_huge"], "--out", os.path.join(w["dir"], "out-huge")])
    check("D10 hdf5 dataset of 2^64 features per sample: refused at run time naming a source key, no trap",
          code in (1, 2) and "`source." in err and "per sample" in err,
          f"exit {code}\n{err[-1500:]}")


def memory_checks(w):  # D11
    cov, sweep, ns2d = w["cov"], w["sweep"], w["ns2d"]
    r = validate(cov, "source.samples=1000000000")
    refused("D11 covariance source.samples=1e9 (samples: 2 TB) refused naming source.samples", r, "source.samples")
    check("D11 the memory problem says what the node has and what would fit",
          "per rank" in r[2] and re.search(r"\d", r[2]) is not None and ("fit" in r[2] or "reduce" in r[2]), r[2][-800:])
    refused("D11 covariance source.features=65536 (a 34 GB matrix) refused naming source.features",
            validate(cov, "source.features=65536"), "source.features")
    refused("D11 covariance gram with 10^6 samples refused naming source.samples",
            validate(cov, "matrix.type=\"gram\"", "source.samples=1000000", "source.features=40"), "source.samples")
    refused("D11 rmt-sweep source.samples=1e9 refused", validate(sweep, "source.samples=1000000000"), "source.samples")
    refused("D11 rmt-sweep source.features=65536 refused", validate(sweep, "source.features=65536"), "source.features")
    refused("D11 covariance goe source.size=32768 refused with a small node",
            validate(cov, "source.type=\"goe\"", "source.size=32768",
                     env=dict(ENV, CASCADE_MEMORY_LIMIT=str(10**9))), "source.size")
    refused("D11 ns2d grid.n=32768 refused with a 1 GB node", validate(ns2d, "grid.n=32768",
            env=dict(ENV, CASCADE_MEMORY_LIMIT=str(10**9))), "grid.n")
    accepted("D11 the same ns2d job fits 64 GB on 8 ranks",
             validate(ns2d, "grid.n=32768", ranks=8, env=dict(ENV, CASCADE_MEMORY_LIMIT=str(512 * 10**9))))
    # hdf5: the shape is known only at run time; checked before reading.
    env = dict(ENV, CASCADE_MEMORY_LIMIT=str(20 * 10**6))
    out = os.path.join(w["dir"], "out-wide")
    code, _, err = run(["timeout", "120", os.path.join(ROOT, "cluster/mpirun.sh"), "-np", "1", "-x",
                        "CASCADE_MEMORY_LIMIT", CASCADE, "run", w["cov_wide"], "--out", out], timeout=130, env=env)
    check("D11 hdf5 10 × 2000 dataset with a 20 MB node: refused at run time naming source.crop/coarse",
          code not in (0, "timeout") and not crashed(code) and "source." in err and "matrix" in err,
          f"exit {code}\n{err[-1500:]}")


def value_checks(w):  # D12
    ns2d, cov = w["ns2d"], w["cov"]
    refused("D12 ns2d time.cfl=1e-300 refused naming time.cfl", validate(ns2d, "time.adaptive=true", "time.cfl=1e-300"), "time.cfl")
    refused("D12 ns2d init.energy=1e300 refused naming init.energy", validate(ns2d, "init.energy=1e300"), "init.energy")
    refused("D12 ns2d init.k_peak=1e300 refused naming init.k_peak", validate(ns2d, "init.k_peak=1e300"), "init.k_peak")
    refused("D12 ns2d init.k_peak below the box's lowest wavenumber refused (E would be 0)",
            validate(ns2d, "init.k_peak=1e-6"), "init.k_peak")
    refused("D12 ns2d forcing.correlation_time=1e300 refused",
            validate(ns2d, "forcing.type=\"correlated\"", "forcing.kf=4", "forcing.correlation_time=1e300"), "forcing.correlation_time")
    refused("D12 covariance goe size 100 with statistics.lengths=[1,500] (beyond the levels) refused",
            validate(cov, "source.type=\"goe\"", "source.size=100", "statistics.lengths=[1,500]"), "statistics.lengths")
    refused("D12 covariance gaussian 200 × 32 with statistics.lengths=[1,100] (32 levels) refused",
            validate(cov, "statistics.lengths=[1,100]"), "statistics.lengths")
    refused("D12 covariance power_law_ranks beyond the levels refused",
            validate(cov, "statistics.power_law_ranks=[1,1000]"), "statistics.power_law_ranks")
    # A tiny run: the initial energy is the requested one with k_peak at its largest allowed value.
    out = os.path.join(w["dir"], "out-kpeak")
    code, _, err = mpirun(1, ["run", ns2d, "--out", out, "--set", "init.k_peak=10", "--set", "init.energy=0.7",
                              "--set", "time.t_end=0.02", "--set", "output.snapshot_interval=0"])
    ok = code == 0
    energy = None
    if ok:
        with h5py.File(os.path.join(out, "diagnostics.h5"), "r") as h:
            energy = float(h["time_series/energy"][0])
    check("D12 ns2d init.k_peak at its largest allowed value gives the requested energy",
          ok and energy is not None and abs(energy - 0.7) < 0.01, f"exit {code} E0 = {energy}\n{err[-800:]}")


def depth_checks(w):  # D13
    d = w["dir"]
    deep = write(os.path.join(d, "deep.toml"), "kind = \"ns2d\"\n" + ".".join(["a"] * 50000) + " = 1\n")
    r = validate(deep)
    refused("D13 a dotted key of 50 000 parts in the file: refused, no stack overflow", r, "dotted")
    r = validate(w["ns2d"], ".".join(["a"] * 50000) + "=1")
    refused("D13 a dotted --set key of 50 000 parts: refused, no stack overflow", r, "--set")
    header = write(os.path.join(d, "deep-header.toml"), "kind = \"ns2d\"\n[" + ".".join(["a"] * 50000) + "]\nx = 1\n")
    refused("D13 a [table] header of 50 000 parts: refused", validate(header), "dotted")
    nested = write(os.path.join(d, "nested.toml"), "kind = \"ns2d\"\nx = " + "[" * 50000 + "]" * 50000 + "\n")
    refused("D13 arrays nested 50 000 deep: refused, no stack overflow", validate(nested), "nest")
    inline = write(os.path.join(d, "inline.toml"), "kind = \"ns2d\"\nx = " + "{a = " * 20000 + "1" + "}" * 20000 + "\n")
    refused("D13 inline tables nested 20 000 deep: refused, no stack overflow", validate(inline), "nest")
    many = os.path.join(d, "many.toml")
    with open(many, "w") as f:
        f.write("kind = \"ns2d\"\n[time]\nt_end = 1.0\n[junk]\n")
        for i in range(120000):
            f.write(f"k{i} = 1\n")
    t0 = time.time()
    code, out, err = validate(many, timeout=60)
    took = time.time() - t0
    check("D13 120 000 unknown keys: refused in under 20 s with a bounded list of problems",
          code == 2 and took < 20 and len(err.splitlines()) <= 60 and "more" in err,
          f"exit {code}, {took:.1f} s, {len(err.splitlines())} lines\n{err[-600:]}")
    large = os.path.join(d, "large.toml")
    with open(large, "w") as f:
        f.write("kind = \"ns2d\"\n# " + "x" * (3 << 20) + "\n")
    refused("D13 a 3 MB job file refused by its size", validate(large), "bytes")


def text_checks(w):  # D20
    d = w["dir"]
    code, _, err = mpirun(1, ["run", w["cov_empty"], "--out", os.path.join(d, "out-empty")])
    check("D20 a dataset with 0 samples says it has no samples (not \"use a value below 0\")",
          code not in (0, "timeout") and not crashed(code) and "no samples" in err and "below 0" not in err,
          f"exit {code}\n{err[-1000:]}")
    code, _, err = mpirun(1, ["run", w["cov_nofeat"], "--out", os.path.join(d, "out-nofeat")])
    check("D20 a 100 × 0 dataset says it has no features (no HDF5 address overflow)",
          code not in (0, "timeout") and not crashed(code) and "no features" in err and "overflow" not in err.lower(),
          f"exit {code}\n{err[-1000:]}")
    code, _, err = mpirun(1, ["run", w["ns2d"], "--out", os.path.join(d, "out-f32"), "--set", "init.type=\"file\"",
                              "--set", f"init.file=\"{w['f32']}\"", "--set", "init.dataset=\"vorticity\"",
                              "--set", "time.t_end=0.02", "--set", "output.snapshot_interval=0"])
    check("D20 a float32 initial field is read (as the covariance kind does)", code == 0 and "float32 buffers" not in err,
          f"exit {code}\n{err[-1000:]}")
    refused("D20 validate: a directory as job file says it is a directory", validate("jobs"), "directory",
            absent=("permission",))
    code, _, err = mpirun(1, ["run", "jobs", "--out", os.path.join(d, "out-dir")])
    check("D20 run: a directory as job file says it is a directory", code == 2 and "directory" in err
          and "permission" not in err, f"exit {code}\n{err[-600:]}")
    code, _, err = validate(os.path.join(ROOT, "jobs/ns2d-decay.toml"), ranks=100000)
    suggested = [int(x) for x in re.findall(r"at most (\d+) ranks", err)]
    sizes = [int(x) for x in re.findall(r"N = (\d+)", err)]
    check("D20 --ranks 100000: the suggested rank count and N are possible",
          code == 2 and suggested and all(s < 100000 for s in suggested) and all(n <= 32768 for n in sizes),
          f"exit {code}\n{err[-800:]}")
    if suggested:
        accepted("D20 the suggested rank count validates", validate(os.path.join(ROOT, "jobs/ns2d-decay.toml"), ranks=max(suggested)))
    code, _, err = validate(os.path.join(ROOT, "jobs/ns2d-decay.toml"), ranks=10**8)
    nums = [int(x) for x in re.findall(r"at most (\d+)", err)]
    check("D20 --ranks 10^8 is a usage error (exit 2) suggesting at most the maximum", code == 2 and nums and max(nums) < 10**8,
          f"exit {code}\n{err[-400:]}")
    for args, what in ((["run"], "missing job file"), (["validate", w["ns2d"], "--ranks", "0"], "--ranks 0"),
                       (["frobnicate"], "unknown subcommand"), (["run", w["ns2d"], "--bogus"], "unknown option"),
                       (["validate", w["ns2d"], "--ranks", "x"], "--ranks x")):
        code, _, err = run([CASCADE] + args)
        check(f"D20 usage error ({what}) exits 2 with a message", code == 2 and "rror" in err, f"exit {code}\n{err[-400:]}")
    code, _, _ = run([CASCADE, "--help"])
    check("D20 --help still exits 0", code == 0, f"exit {code}")
    docs = open(os.path.join(ROOT, "docs/jobs.md")).read()
    check("D20 docs/jobs.md gives exit status 2 for usage errors",
          re.search(r"\|\s*2\s*\|[^\n]*usage error", docs) is not None and not re.search(r"\|\s*64\s*\|", docs))
    empty_cwd = tempfile.mkdtemp(dir=d, prefix="cwd-")
    code, _, err = mpirun(1, ["run", os.path.join(ROOT, "jobs/selftest.toml"), "--out", ""], cwd=empty_cwd)
    check("D20 --out '' is refused and writes nothing in the current directory",
          code == 2 and "--out" in err and os.listdir(empty_cwd) == [], f"exit {code} {os.listdir(empty_cwd)}\n{err[-400:]}")
    bad = write(os.path.join(d, "bad.toml"), NS2D.replace("n = 32", "n = 33"))
    code, out, err = mpirun(2, ["run", bad, "--out", os.path.join(d, "out-bad2")])
    lines = [l for l in (out + err).splitlines() if "error" in l.lower() or "grid.n" in l]
    check("D20 a bad job file on 2 ranks: the error is printed once, exit 2, no MPI_ABORT",
          code == 2 and len([l for l in lines if "grid.n" in l]) == 1 and "MPI_ABORT" not in err,
          f"exit {code}\n{out[-800:]}\n{err[-1200:]}")
    code, out, err = mpirun(2, ["run", w["cov_missing"], "--out", os.path.join(d, "out-missing2")])
    hits = len(re.findall(r"no such file", out + err))
    check("D20 a missing hdf5 file at run time on 2 ranks: one error line, no mpirun abort text",
          code not in (0, "timeout") and not crashed(code) and hits == 1 and "MPI_ABORT" not in err,
          f"exit {code}, {hits} lines\n{out[-800:]}\n{err[-1200:]}")
    code, out, err = mpirun(2, ["run"])
    check("D20 a usage error on 2 ranks is printed once", len(re.findall(r"rror", err)) == 1,
          f"exit {code}\n{err[-800:]}")


def cfl_checks(w):  # D21
    ns2d = w["ns2d"]
    refused("D21 adaptive with time.cfl = time.cfl_max refused naming both",
            validate(ns2d, "time.adaptive=true", "time.cfl=1.0", "time.cfl_max=1.0"), "time.cfl", "time.cfl_max")
    refused("D21 adaptive with time.cfl > time.cfl_max refused",
            validate(ns2d, "time.adaptive=true", "time.cfl=1.5", "time.cfl_max=1.0"), "time.cfl")
    accepted("D21 adaptive with the default time.cfl and time.cfl_max is valid", validate(ns2d, "time.adaptive=true"))
    out = os.path.join(w["dir"], "out-cfl")
    code, _, err = mpirun(1, ["run", ns2d, "--out", out, "--set", "time.adaptive=true", "--set", "time.cfl=0.9",
                              "--set", "time.cfl_max=0.92", "--set", "time.dt=0.1", "--set", "init.energy=5",
                              "--set", "time.t_end=0.3", "--set", "output.diagnostics_interval=0",
                              "--set", "output.snapshot_interval=0"])
    ok = check("D21 adaptive run with time.cfl 2% below time.cfl_max completes", code == 0, f"exit {code}\n{err[-1200:]}")
    if ok:
        with h5py.File(os.path.join(out, "diagnostics.h5"), "r") as h:
            cfl = h["time_series/cfl"][1:-1]
        check("D21 the adaptive step keeps the CFL number within a few percent of the target",
              len(cfl) > 3 and float(np.max(cfl)) <= 0.92 and float(np.median(cfl)) > 0.9 * 0.9, f"{cfl}")


def window_checks(w):  # D22
    ns2d = w["ns2d"]
    accepted("D22 output.snapshot_start is a key", validate(ns2d, "output.snapshot_start=0.1"))
    accepted("D22 output.statistics_start is a key", validate(ns2d, "output.statistics_start=0.1"))
    code, out, err = validate(ns2d, "output.separations=\"1:8\"")
    check("D22 output.separations = \"1:8\" expands to 1…8", code == 0 and "separations = [1, 2, 3, 4, 5, 6, 7, 8]" in out,
          f"exit {code}\n{out[-600:]}{err[-600:]}")
    code, out, err = validate(ns2d, "output.separations=\"2:16:2\"")
    check("D22 output.separations = \"2:16:2\" expands with its step", code == 0 and "[2, 4, 6, 8, 10, 12, 14, 16]" in out,
          f"exit {code}\n{out[-600:]}{err[-600:]}")
    refused("D22 output.separations = \"8:1\" refused", validate(ns2d, "output.separations=\"8:1\""), "output.separations")
    code, out, err = validate(ns2d, "output.average_start=5")
    check("D22 validate warns of an empty averaging window (average_start after t_end)",
          code == 0 and "output.average_start" in (out + err) and "warning" in (out + err).lower(), f"exit {code}\n{out[-400:]}{err[-400:]}")
    code, out, err = validate(ns2d, "output.snapshot_start=5")
    check("D22 validate warns when output.snapshot_start is after t_end",
          code == 0 and "output.snapshot_start" in (out + err) and "warning" in (out + err).lower(), f"exit {code}\n{err[-400:]}")
    out_dir = os.path.join(w["dir"], "out-start")
    code, _, err = mpirun(1, ["run", ns2d, "--out", out_dir, "--set", "output.snapshot_start=0.1",
                              "--set", "output.statistics_start=0.1", "--set", "output.average_start=5"])
    ok = check("D22 ns2d run with snapshot_start/statistics_start completes", code == 0, f"exit {code}\n{err[-1200:]}")
    if ok:
        with h5py.File(os.path.join(out_dir, "snapshots.h5"), "r") as h:
            t = h["time"][...]
        check("D22 snapshots start at output.snapshot_start", len(t) > 0 and float(t.min()) >= 0.1 - 1e-9, f"{t}")
        record = json.load(open(os.path.join(out_dir, "run.json")))
        check("D22 run.json warns of the empty averaging window",
              any("average_start" in x for x in record.get("warnings", [])), str(record.get("warnings")))
        with h5py.File(os.path.join(out_dir, "diagnostics.h5"), "r") as h:
            times = {k: h[k][...] for k in ("spectra/time", "statistics/time")}
        late = all(len(v) > 0 and float(v.min()) >= 0.1 - 1e-9 for v in times.values())
        check("D22 spectra/statistics records start at output.statistics_start", times and late, f"{times}")


def table_checks(w):  # D23
    d = w["dir"]
    job = write(os.path.join(d, "table.toml"), "[job]\nkind = \"ns2d\"\nname = \"x\"\n[time]\nt_end = 1.0\n")
    code, _, err = validate(job)
    check("D23 `kind` under [job]: names the table [job] and says to move kind to the top",
          code == 2 and "[job]" in err and "kind" in err and ("top" in err or "above" in err), err[-800:])
    job2 = write(os.path.join(d, "table2.toml"), "[settings]\nname = \"x\"\n[time]\nt_end = 1.0\n")
    code, _, err = validate(job2)
    check("D23 no kind at all with an unknown table: reports the missing kind and the unknown table",
          code == 2 and "kind" in err and "settings" in err, err[-800:])


def shipped_checks():
    for name in sorted(os.listdir(os.path.join(ROOT, "jobs"))):
        if name.endswith(".toml"):
            code, _, err = validate(os.path.join(ROOT, "jobs", name), ranks=2, env=dict(os.environ))
            check(f"shipped jobs/{name} validates on 2 ranks", code == 0, err[-600:])


def make_files(d):
    w = {"dir": d}
    w["ns2d"] = write(os.path.join(d, "ns2d.toml"), NS2D)
    w["cov"] = write(os.path.join(d, "cov.toml"), COV)
    w["sweep"] = write(os.path.join(d, "sweep.toml"), SWEEP)
    data = os.path.join(d, "data.h5")
    with h5py.File(data, "w") as h:
        h["x"] = np.random.default_rng(1).standard_normal((50, 8))
        h.create_dataset("empty", shape=(0, 4), dtype="f8")
        h.create_dataset("nofeat", shape=(100, 0), dtype="f8")
        h["wide"] = np.random.default_rng(2).standard_normal((10, 2000))
        h.create_dataset("huge", shape=(4, 1 << 32, 1 << 32), dtype="f8", chunks=(1, 1, 64))
    for f32, dtype in (("f32", "f4"), ("f64", "f8")):
        path = os.path.join(d, f"field-{f32}.h5")
        with h5py.File(path, "w") as h:
            y, x = (a * (2 * np.pi / 32) for a in np.meshgrid(np.arange(32), np.arange(32), indexing="ij"))
            h.create_dataset("vorticity", data=(np.sin(x) * np.cos(y))[None].astype(dtype))
        w[f32] = path

    def cov_h5(name, dataset):
        return write(os.path.join(d, f"cov-{name}.toml"),
                     f"kind = \"covariance\"\nname = \"{name}\"\n[source]\ntype = \"hdf5\"\nfile = \"{data}\"\n"
                     f"dataset = \"{dataset}\"\n[statistics]\nlengths = [1.0, 3.0]\nwindows = 20\n")
    w["cov_h5"] = cov_h5("h5", "x")
    w["cov_empty"] = cov_h5("empty", "empty")
    w["cov_nofeat"] = cov_h5("nofeat", "nofeat")
    w["cov_wide"] = cov_h5("wide", "wide")
    w["cov_huge"] = cov_h5("huge", "huge")
    w["cov_missing"] = write(os.path.join(d, "cov-missing.toml"),
                             COV.replace("type = \"gaussian\"", f"type = \"hdf5\"\nfile = \"{d}/nope.h5\"\ndataset = \"x\""))
    return w


def main():
    global CASCADE
    parser = argparse.ArgumentParser()
    parser.add_argument("--cascade", default=os.path.join(ROOT, ".build/debug/cascade"))
    parser.add_argument("--work", default=None)
    parser.add_argument("--only", default="", help="comma-separated groups: overflow,memory,values,depth,text,cfl,windows,table,shipped")
    args = parser.parse_args()
    CASCADE = os.path.abspath(args.cascade)
    work = args.work or tempfile.mkdtemp(prefix="cascade-validation-")
    os.makedirs(work, exist_ok=True)
    w = make_files(os.path.abspath(work))
    groups = {"overflow": overflow_checks, "memory": memory_checks, "values": value_checks, "depth": depth_checks,
              "text": text_checks, "cfl": cfl_checks, "windows": window_checks, "table": table_checks,
              "shipped": lambda w: shipped_checks()}
    chosen = args.only.split(",") if args.only else list(groups)
    for g in chosen:
        groups[g](w)
    print(f"{results['passed']} passed, {results['failed']} failed")
    sys.exit(0 if results["failed"] == 0 else 1)


if __name__ == "__main__":
    main()
