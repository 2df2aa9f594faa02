#!/usr/bin/env python3
"""End-to-end checks of the `cascade` executable, as a user runs it.

Runs the selftest job on 1-4 ranks and reads its HDF5 output back with h5py and h5dump,
checks the documented layout and values, and feeds broken job files and arguments to the
CLI to see one clear error, a non-zero exit and nothing written.
Prints PASS/FAIL lines and ends with `N passed, M failed`.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import xml.dom.minidom

import h5py
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
results = {"passed": 0, "failed": 0}


def check(name, condition, detail=""):
    if condition:
        results["passed"] += 1
        print(f"PASS {name}")
    else:
        results["failed"] += 1
        print(f"FAIL {name}" + (f": {detail}" if detail else ""))
    sys.stdout.flush()
    return condition


def run(cmd, **kw):
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600, **kw)
    return p.returncode, p.stdout, p.stderr


def mpirun(n, args):
    return run([os.path.join(ROOT, "cluster/mpirun.sh"), "-np", str(n)] + args)


def interrupt(cmd, sig, ready, label, wait=120):
    """Starts the run `cmd` (from ROOT), sends it `sig` once `ready()` holds (at most `wait` s on), and
    checks that it stops with exit 3 and a resume hint (a PASS or FAIL line headed by `label`).
    Returns whether it did."""
    env = dict(os.environ, SWIFT_BACKTRACE="enable=no")
    p = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.time() + wait
    while p.poll() is None and not ready() and time.time() < deadline:
        time.sleep(0.01)
    p.send_signal(sig)
    so, se = p.communicate(timeout=300)
    interrupted = p.returncode == 3 and "interrupted by" in so + se
    return check(f"{label}: run stops with exit 3 and a resume hint", interrupted, f"exit {p.returncode}\n{so[-1500:]}\n{se[-1500:]}")


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def run_job(cascade, work, name, text, ranks=1, sets=()):
    """Writes the job `text` to WORK/NAME.toml and runs it into WORK/NAME (`--overwrite`, each of `sets`
    as `--set`) on `ranks` ranks; returns (exit code, stdout + stderr, the output folder)."""
    job = write(os.path.join(work, name + ".toml"), text)
    out = os.path.join(work, name)
    args = [cascade, "run", job, "--out", out, "--overwrite"]
    for s in sets:
        args += ["--set", s]
    code, so, se = mpirun(ranks, args) if ranks > 1 else run(args)
    return code, so + se, out


def selftest_checks(cascade, work):
    fields = {}
    for n in (1, 2, 3, 4):
        out = os.path.join(work, f"selftest-np{n}")
        code, stdout, stderr = mpirun(n, [cascade, "run", "jobs/selftest.toml", "--out", out,
                                          "--set", "fft.shape_2d=[48, 40]", "--set", "storage.shape=[37, 20]",
                                          "--set", "collectives.elements=10000", "--set", "blas.n=64"])
        if not check(f"selftest np={n} exits 0", code == 0, f"exit {code}\n{stdout[-3000:]}\n{stderr[-3000:]}"):
            continue
        check(f"selftest np={n} reports PASSED", "selftest PASSED" in stdout, stdout[-2000:])
        record = json.load(open(os.path.join(out, "run.json")))
        check(f"selftest np={n} run.json", record["status"] == "completed" and record["ranks"] == n
              and record["succeeded"] is True and "started" in record and "finished" in record
              and record["cascade_version"], str(record))
        check(f"selftest np={n} job.toml written", os.path.exists(os.path.join(out, "job.toml")))
        leftovers = [f for f in os.listdir(out) if ".tmp" in f]
        check(f"selftest np={n} leaves no temporary files", not leftovers, str(leftovers))

        path = os.path.join(out, "selftest.h5")
        with h5py.File(path, "r") as h:
            rows, cols = 37, 20
            i, j = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
            field = h["field"][...]
            check(f"h5py np={n}: /field shape and dtype", field.shape == (rows, cols) and field.dtype == np.float64,
                  f"{field.shape} {field.dtype}")
            check(f"h5py np={n}: /field values", np.array_equal(field, (i * cols + j).astype(np.float64)))
            f32 = h["field_f32"][...]
            check(f"h5py np={n}: /field_f32", f32.dtype == np.float32 and np.array_equal(f32, (i - j).astype(np.float32)))
            frames = h["frames"]
            t = np.arange(frames.shape[0])[:, None, None]
            check(f"h5py np={n}: /frames extendible", frames.maxshape[0] is None and frames.shape == (4, rows, cols),
                  f"{frames.shape} {frames.maxshape}")
            check(f"h5py np={n}: /frames values", np.array_equal(frames[...], t * rows * cols + i * cols + j))
            noise = h["random"][...]
            check(f"h5py np={n}: /random normal variates", noise.shape == (rows * cols,)
                  and abs(noise.mean()) < 5 / np.sqrt(noise.size) and abs(noise.std() - 1) < 0.15,
                  f"mean {noise.mean()} std {noise.std()}")
            attrs = dict(h.attrs)
            version = attrs.get("cascade_version")
            version = version.decode() if isinstance(version, bytes) else version
            check(f"h5py np={n}: root attributes", isinstance(version, str) and int(attrs.get("ranks")) == n
                  and list(attrs.get("shape")) == [rows, cols], str(attrs))
            fields[n] = (field, noise)
        code, dump, err = run(["h5dump", "-d", "/field", "-s", "2,3", "-c", "1,1", path])
        check(f"h5dump np={n} reads /field[2,3]", code == 0 and re.search(r"\(2,3\):\s*43\b", dump) is not None,
              dump[-800:] + err[-400:])
        xmf = os.path.join(out, "selftest.xmf")
        try:
            doc = xml.dom.minidom.parse(xmf)
            items = [d.firstChild.data.strip() for d in doc.getElementsByTagName("DataItem")
                     if d.firstChild and "selftest.h5:" in d.firstChild.data]
            check(f"xdmf np={n} references datasets", any("/field" in s for s in items) and any("/frames" in s for s in items), str(items))
        except Exception as e:  # noqa: BLE001
            check(f"xdmf np={n} parses", False, str(e))
    if 1 in fields:
        for n in (2, 3, 4):
            if n in fields:
                check(f"selftest output identical on np=1 and np={n}",
                      np.array_equal(fields[1][0], fields[n][0]) and np.array_equal(fields[1][1], fields[n][1]))
    return os.path.join(work, "selftest-np2")


def bad_input_checks(cascade, work):
    base = open(os.path.join(ROOT, "jobs/selftest.toml")).read()
    cases = [
        ("misspelt key", base.replace("[fft]", "[fft]\nshaep_2d = [64, 64]"), ["fft.shaep_2d", "fft.shape_2d"]),
        ("wrong type", base.replace("frames = 4", 'frames = "four"'), ["storage.frames", "integer"]),
        ("out of range", base.replace("shape_3d = [32, 32, 32]", "shape_3d = [1, 8, 8]"), ["fft.shape_3d", "out of range"]),
        ("unknown kind", base.replace('kind = "selftest"', 'kind = "selftes"'), ["kind", "selftest"]),
        ("bad TOML", base + "\n[fft\n", ["line"]),
        ("bad file name", base.replace('file = "selftest.h5"', 'file = "../x.txt"'), ["storage.file"]),
    ]
    for name, text, needles in cases:
        job = write(os.path.join(work, f"bad-{name.replace(' ', '-')}.toml"), text)
        out = os.path.join(work, "should-not-exist-" + name.replace(" ", "-"))
        code, stdout, stderr = mpirun(2, [cascade, "run", job, "--out", out])
        errors = [l for l in stderr.splitlines() if l.startswith("error:")]
        check(f"bad job ({name}): exit 2", code == 2, f"exit {code}: {stderr[-1500:]}")
        check(f"bad job ({name}): one error naming the key", len(errors) == 1 and all(s in stderr for s in needles),
              stderr[-1500:])
        check(f"bad job ({name}): nothing written", not os.path.exists(out))
        vcode, _, verr = run([cascade, "validate", job])
        check(f"validate ({name}) refuses", vcode == 2 and all(s in verr for s in needles), verr[-800:])
    code, _, stderr = run([cascade, "run", os.path.join(work, "missing.toml"), "--out", os.path.join(work, "m")])
    check("missing job file refused", code == 2 and "does not exist" in stderr and not os.path.exists(os.path.join(work, "m")),
          stderr)
    code, _, stderr = run([cascade, "validate", "jobs/selftest.toml", "--set", "fft.effort=fast"])
    check("--set with a bad choice refused", code == 2 and "fft.effort" in stderr and "estimate" in stderr, stderr)
    code, _, stderr = run([cascade, "validate", "jobs/selftest.toml", "--set", "fft.efort=measure"])
    check("--set with a misspelt key suggests the key", code == 2 and "fft.effort" in stderr, stderr)


def cli_checks(cascade, work, selftest_dir):
    code, stdout, _ = run([cascade, "--version"])
    check("--version", code == 0 and re.match(r"cascade \d+\.\d+\.\d+", stdout.strip()) is not None, stdout)
    code, stdout, stderr = run([cascade, "validate", "jobs/selftest.toml", "--set", "fft.effort=measure"])
    check("validate prints the resolved configuration", code == 0 and 'effort = "measure"' in stdout, stdout + stderr)
    code, stdout, _ = run([cascade, "describe", "selftest"])
    check("describe lists keys with docs", code == 0 and "storage.frames" in stdout and "default" in stdout, stdout[:500])
    if os.path.isdir(selftest_dir):
        code, stdout, stderr = run([cascade, "inspect", os.path.join(selftest_dir, "selftest.h5")])
        check("inspect summarises the file", code == 0 and "/frames" in stdout and "37 × 20" in stdout
              and "cascade_version" in stdout, stdout[:2000] + stderr)
        code, stdout, stderr = mpirun(1, [cascade, "run", "jobs/selftest.toml", "--out", selftest_dir])
        check("an output directory holding a run is refused", code == 2 and "--overwrite" in stderr, stderr)
    code, _, stderr = run([cascade, "inspect", os.path.join(work, "nope.h5")])
    check("inspect of a missing file gives one error", code != 0 and "nope.h5" in stderr and "Traceback" not in stderr, stderr)


def cli_main(body):
    """Parses --cascade and --work, makes an empty work directory, runs body(cascade, work) and
    ends with the `N passed, M failed` line; shared by the e2e scripts."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--cascade", required=True)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    body(os.path.abspath(args.cascade), args.work)
    print(f"{results['passed']} passed, {results['failed']} failed")
    sys.exit(0 if results["failed"] == 0 else 1)


def main():
    def body(cascade, work):
        selftest_dir = selftest_checks(cascade, work)
        bad_input_checks(cascade, work)
        cli_checks(cascade, work, selftest_dir)
    cli_main(body)


if __name__ == "__main__":
    main()
