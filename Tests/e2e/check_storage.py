#!/usr/bin/env python3
"""End-to-end checks of Cascade's storage against hostile surroundings, as a user meets them.

- a full disk (a 1 MiB tmpfs; needs root, else SKIP): exit status 1, "the disk is full" on
  every rank, no crash (139) or hang, no temporary left, run.json not left at "running";
- long paths: an --out and a file name past where Open MPI's ompio aborted, on 2 ranks;
- an input that h5py still holds open for writing is refused with its name;
- `cascade inspect` on h5py files with scalar, LZF-compressed and virtual datasets.
Prints PASS/FAIL lines and ends with `N passed, M failed`.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_cli import ROOT, check, results  # noqa: E402  (shared PASS/FAIL counting)
SMALL = ["--set", "fft.shape_2d=[48, 40]", "--set", "collectives.elements=10000", "--set", "blas.n=64"]



def run(cmd, timeout=300, **kw):
    try:
        p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, **kw)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        return 124, e.stdout or "", e.stderr or ""


def mpirun(n, args, timeout=300):
    # timeout(1) as well: a hung rank must not outlive the check.
    return run(["timeout", "-k", "5", str(timeout), os.path.join(ROOT, "cluster/mpirun.sh"), "-np", str(n)] + args,
               timeout=timeout + 30)


def status_of(out):
    try:
        return json.load(open(os.path.join(out, "run.json")))["status"]
    except (OSError, ValueError, KeyError):
        return None


def disk_full_checks(cascade, work):
    mount = os.path.join(work, "full")
    os.makedirs(mount, exist_ok=True)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mount], capture_output=True).returncode != 0:
        print("SKIP disk full: cannot mount a 1 MiB tmpfs (needs root)")
        return
    try:
        # Full at the first dataset, in the middle of the frames, and over many small frames.
        for shape, frames in (("[1024, 512]", 1), ("[128, 128]", 10), ("[64, 64]", 60)):
            for n in (1, 2, 3):
                out = os.path.join(mount, f"run-{n}")
                code, stdout, stderr = mpirun(n, [cascade, "run", "jobs/selftest.toml", "--out", out,
                                                  "--set", f"storage.shape={shape}", "--set", f"storage.frames={frames}"]
                                              + SMALL, timeout=120)
                name = f"disk full, storage.shape={shape} frames={frames}, np={n}"
                check(f"{name}: exit status 1 (not a crash or a hang)", code == 1, f"exit {code}\n{stderr[-1500:]}")
                text = stdout + stderr
                ranks = [r for r in range(n) if f"rank {r}: error: storage:" in text and "the disk is full" in text]
                check(f"{name}: every rank says the disk is full (ENOSPC)",
                      text.count("the disk is full (ENOSPC") >= 1 and len(ranks) == n, text[-1500:])
                check(f"{name}: run.json is not left at running", status_of(out) in ("completed", "failed"),
                      str(status_of(out)))
                left = [f for f in os.listdir(out) if ".tmp" in f] if os.path.isdir(out) else []
                check(f"{name}: no temporary left to fill the disk", not left, str(left))
                subprocess.run(["rm", "-rf", out])
    finally:
        subprocess.run(["umount", mount])


def long_path_checks(cascade, work):
    # 240 + 240 bytes: ompio aborted from a 233-byte name, or a few hundred of directories.
    out = os.path.join(work, "d" * 240, "o" * 240)
    name = "n" * 240 + ".h5"
    code, stdout, stderr = mpirun(2, [cascade, "run", "jobs/selftest.toml", "--out", out,
                                      "--set", f'storage.file="{name}"', "--set", "storage.shape=[37, 20]"] + SMALL)
    check("long --out and file name (240 bytes each) on 2 ranks: selftest passes", code == 0 and "selftest PASSED" in stdout,
          f"exit {code}\n{stdout[-1500:]}\n{stderr[-1500:]}")
    check("long paths: run.json completed", status_of(out) == "completed", str(status_of(out)))
    if os.path.exists(os.path.join(out, name)):
        with h5py.File(os.path.join(out, name), "r") as f:
            check("long paths: the file reads back with h5py", f["field"].shape == (37, 20))
    # Past the limit (4000 bytes, below Linux's 4096): refused by name with the limit, never an abort.
    deep = work
    while len(deep) < 3800:
        deep = os.path.join(deep, "p" * 200)
    os.makedirs(deep, exist_ok=True)
    long_file = os.path.join(deep, "x" * (4050 - len(deep) - 4) + ".h5")
    with h5py.File(long_file, "w") as f:
        f["x"] = np.arange(2.0)
    code, stdout, stderr = run([cascade, "inspect", long_file])
    check(f"a path of {len(long_file)} bytes is refused with the limit named", code == 1 and "at most 4000" in stderr,
          f"exit {code}: {stderr[-600:]}")


def being_written_checks(cascade, work):
    path = os.path.join(work, "live.h5")
    writer = subprocess.Popen([sys.executable, "-c", """
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], 'w')
d = f.create_dataset('x', shape=(1000,), dtype='f8')
d[:500] = 1.0
f.flush()
print('holding', flush=True)
sys.stdin.read()
f.close()
""", path], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        writer.stdout.readline()
        code, stdout, stderr = run([cascade, "inspect", path])
        check("a file h5py is still writing is refused", code == 1 and "still being written by another program" in stderr
              and path in stderr and "h5clear -s" in stderr, f"exit {code}: {stdout[-300:]} {stderr[-600:]}")
    finally:
        writer.stdin.close()
        writer.wait(timeout=30)
    code, stdout, stderr = run([cascade, "inspect", path])
    check("once h5py closed it, it is read", code == 0 and "/x" in stdout, f"exit {code}: {stderr[-600:]}")


def inspect_checks(cascade, work):
    scalar = os.path.join(work, "scalar.h5")
    with h5py.File(scalar, "w") as f:
        f["s"] = 3.5
        f["v"] = np.arange(4.0)
    code, stdout, stderr = run([cascade, "inspect", scalar])
    check("inspect: a scalar dataset is listed with its value", code == 0 and "/s  float64 [scalar]  = 3.5" in stdout
          and "/v  float64 [4]" in stdout, f"exit {code}: {stdout} {stderr[-600:]}")
    lzf = os.path.join(work, "lzf.h5")
    with h5py.File(lzf, "w") as f:
        f.create_dataset("c", data=np.arange(100.0), compression="lzf")
        f["plain"] = np.arange(3.0)
    code, stdout, stderr = run([cascade, "inspect", lzf])
    check("inspect: an LZF dataset is listed, naming the filter and the fix", code == 0 and "/c  float64 [100]" in stdout
          and "LZF" in stdout and "h5repack -f GZIP=4" in stdout and "/plain" in stdout, f"exit {code}: {stdout} {stderr[-600:]}")
    virtual = os.path.join(work, "virtual.h5")
    with h5py.File(os.path.join(work, "src.h5"), "w") as f:
        f["a"] = np.arange(5.0)
    with h5py.File(virtual, "w") as f:
        layout = h5py.VirtualLayout(shape=(2, 5), dtype="f8")
        for row in range(2):
            layout[row] = h5py.VirtualSource(os.path.join(work, "src.h5"), "a", shape=(5,))
        f.create_virtual_dataset("vd", layout, fillvalue=-1)
    code, stdout, stderr = run([cascade, "inspect", virtual])
    check("inspect: a virtual dataset is listed as virtual, with the fix", code == 0 and "/vd  float64 [2 × 5]" in stdout
          and "virtual" in stdout and "h5repack -l CONTI" in stdout, f"exit {code}: {stdout} {stderr[-600:]}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cascade", default=".build/debug/cascade")
    parser.add_argument("--work", default=None)
    args = parser.parse_args()
    cascade = os.path.abspath(os.path.join(ROOT, args.cascade))
    work = os.path.abspath(args.work or tempfile.mkdtemp(prefix="cascade-storage-e2e-"))
    os.makedirs(work, exist_ok=True)
    for section in (inspect_checks, being_written_checks, long_path_checks, disk_full_checks):
        try:
            section(cascade, work)
        except Exception as error:  # one broken section must not hide the others' results
            check(f"{section.__name__} ran", False, repr(error))
    print(f"{results['passed']} passed, {results['failed']} failed")
    sys.exit(1 if results["failed"] else 0)


if __name__ == "__main__":
    main()
