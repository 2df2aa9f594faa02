#!/usr/bin/env python3
"""End-to-end checks of the ns2d job, run as a user runs it, outputs read with h5py.

- the same job on 1, 2, 3 and 4 ranks gives the same fields after 50 steps (relative
  difference < 1e-10) and the same diagnostics;
- a run stopped by SIGTERM (1 rank) or SIGUSR1 (2 ranks, through mpirun) and resumed with
  --resume is bit-identical to an uninterrupted run; so is a run extended with a larger t_end;
- snapshots.h5 is appended in place (same inode across checkpoints, never copied), and a run
  killed with SIGKILL between checkpoints resumes bit-identically;
- the blow-up guard stops a run with a message naming step and time and keeps the checkpoint;
- bad parameters are refused before any step, naming the key;
- a checkpoint or snapshot read at another resolution keeps its energy.
Prints PASS/FAIL lines and ends with `N passed, M failed`.
"""
import os
import shutil
import signal
import subprocess
import sys
import time
import xml.dom.minidom

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_cli import ROOT, check, cli_main, mpirun, run, write  # noqa: E402

BASE = """kind = "ns2d"
[grid]
n = {n}
[physics]
viscosity = 2e-3
damping = 0.05
[time]
t_end = {t_end}
dt = 0.004
scheme = "{scheme}"
[forcing]
type = "{forcing}"
rate = 0.5
kf = 5
correlation_time = 0.05
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
snapshot_velocity = true
checkpoint_interval = {checkpoint}
"""


def job(work, name, n=48, t_end=0.2, scheme="rk4", forcing="white", checkpoint=0.0):
    return write(os.path.join(work, name + ".toml"),
                 BASE.format(n=n, t_end=t_end, scheme=scheme, forcing=forcing, checkpoint=checkpoint))


def datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: out.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return out


def rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    scale = max(np.abs(a).max(initial=0), np.abs(b).max(initial=0), 1e-300)
    return np.abs(a - b).max(initial=0) / scale


def rank_independence(cascade, work):
    path = job(work, "ranks", t_end=0.2)   # 50 steps of dt 0.004
    runs = {}
    for n in (1, 2, 3, 4):
        out = os.path.join(work, f"ranks-np{n}")
        code, stdout, stderr = mpirun(n, [cascade, "run", path, "--out", out])
        if check(f"ns2d np={n} exits 0", code == 0, f"exit {code}\n{stdout[-2000:]}\n{stderr[-2000:]}"):
            runs[n] = (datasets(os.path.join(out, "snapshots.h5")), datasets(os.path.join(out, "diagnostics.h5")))
    if 1 not in runs:
        return None
    snaps, diags = runs[1]
    check("snapshots: vorticity is samples × Ny × Nx", snaps["vorticity"].shape == (6, 48, 48), str(snaps["vorticity"].shape))
    check("50 steps were taken", diags["time_series/step"][-1] == 50, str(diags["time_series/step"][-1:]))
    for n in (2, 3, 4):
        if n not in runs:
            continue
        s, d = runs[n]
        worst = max(rel(snaps[k][-1], s[k][-1]) for k in ("vorticity", "velocity_x", "velocity_y"))
        check(f"np={n}: fields after 50 steps equal np=1 (rel. diff {worst:.1e} < 1e-10)", worst < 1e-10)
        bad = []
        for key, value in diags.items():
            if "pdf/" in key:
                # A value on a bin edge may fall either side by round-off: allow one point.
                width = diags["statistics/pdf_bins"][1] - diags["statistics/pdf_bins"][0]
                ok = np.abs(value - d[key]).max() <= 1.01 / (48 * 48 * width)
            else:
                ok = rel(value, d[key]) < 1e-9
            if not ok:
                bad.append(key)
        check(f"np={n}: every diagnostic equals np=1", not bad, ", ".join(bad[:8]))
    return os.path.join(work, "ranks-np1")


def interrupted_resume(cascade, work):
    # Uninterrupted reference: correlated forcing (its Ornstein–Uhlenbeck memory must be restored).
    # 3000 steps: seconds of work, so the signal lands mid-run.
    path = job(work, "restart", n=64, t_end=12.0, forcing="correlated", checkpoint=2.0)
    for label, ranks, sig in (("SIGTERM, 1 rank", 1, signal.SIGTERM), ("SIGUSR1 via mpirun, 2 ranks", 2, signal.SIGUSR1)):
        # Bit-identity holds on the same rank count (a reduction's order depends on it).
        ref = os.path.join(work, f"restart-ref-{ranks}")
        code, stdout, stderr = mpirun(ranks, [cascade, "run", path, "--out", ref])
        if not check(f"{label}: uninterrupted reference run exits 0", code == 0, stderr[-2000:]):
            continue
        ref_snap, ref_diag = datasets(os.path.join(ref, "snapshots.h5")), datasets(os.path.join(ref, "diagnostics.h5"))
        out = os.path.join(work, f"restart-{ranks}")
        cmd = [os.path.join(ROOT, "cluster/mpirun.sh"), "-np", str(ranks), cascade, "run", path, "--out", out] if ranks > 1 \
            else [cascade, "run", path, "--out", out]
        env = dict(os.environ, SWIFT_BACKTRACE="enable=no")
        p = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        time.sleep(1.0 if ranks == 1 else 2.0)
        p.send_signal(sig)
        stdout, stderr = p.communicate(timeout=300)
        interrupted = p.returncode == 3 and "interrupted by" in stdout + stderr
        check(f"{label}: run stops with exit 3 and a resume hint", interrupted, f"exit {p.returncode}\n{stdout[-1500:]}\n{stderr[-1500:]}")
        if not interrupted:
            continue
        with h5py.File(os.path.join(out, "checkpoint.h5"), "r") as f:
            stopped = int(f.attrs["step"])
        check(f"{label}: stopped mid-run (step {stopped} of 3000)", 0 < stopped < 3000)
        code, so, se = mpirun(ranks, [cascade, "run", path, "--out", out, "--resume"])
        if not check(f"{label}: --resume exits 0", code == 0, f"{so[-1500:]}\n{se[-1500:]}"):
            continue
        snap, diag = datasets(os.path.join(out, "snapshots.h5")), datasets(os.path.join(out, "diagnostics.h5"))
        same_fields = all(np.array_equal(snap[k], ref_snap[k]) for k in ref_snap) and snap.keys() == ref_snap.keys()
        check(f"{label}: resumed snapshots are bit-identical to the uninterrupted run", same_fields,
              f"{[(k, snap[k].shape, ref_snap[k].shape) for k in ref_snap if k in snap]}")
        different = [k for k in ref_diag if k not in diag or not np.array_equal(diag[k], ref_diag[k], equal_nan=True)]
        check(f"{label}: resumed diagnostics are bit-identical", not different, ", ".join(different[:8]))


def snapshots_in_place(cascade, work):
    """snapshots.h5 is appended in place: across many checkpoints it keeps its inode and no
    temporary copy appears (a copy per checkpoint makes the I/O grow as O(T²)); a run killed
    with SIGKILL between checkpoints resumes bit-identically, its extra frames cut off."""
    path = job(work, "inplace", n=48, t_end=8.0, forcing="correlated", checkpoint=0.4)
    env = dict(os.environ, SWIFT_BACKTRACE="enable=no")
    ref = os.path.join(work, "inplace-ref")
    snap = os.path.join(ref, "snapshots.h5")
    p = subprocess.Popen([cascade, "run", path, "--out", ref], cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env)
    inodes, copies = set(), set()
    while p.poll() is None:
        try:
            inodes.add(os.stat(snap).st_ino)
        except FileNotFoundError:
            pass
        else:
            copies.update(n for n in os.listdir(ref) if n.startswith(".snapshots.h5"))
        time.sleep(0.002)
    stdout, stderr = p.communicate()
    if not check("in-place snapshots: the run exits 0", p.returncode == 0, stderr[-2000:]):
        return
    inodes.add(os.stat(snap).st_ino)
    with h5py.File(os.path.join(ref, "checkpoint.h5"), "r") as f:
        checkpoints, frames = int(f.attrs["checkpoints"]), int(f.attrs["snapshots"])
    with h5py.File(snap, "r") as f:
        stored = f["time"].shape[0]
    check(f"snapshots.h5 keeps its inode across {checkpoints} checkpoints, no temporary copy appears",
          checkpoints >= 10 and len(inodes) == 1 and not copies and stored == frames == 201,
          f"inodes {inodes}, copies {sorted(copies)}, {checkpoints} checkpoints, {stored}/{frames} frames")

    out = os.path.join(work, "inplace-killed")
    p = subprocess.Popen([cascade, "run", path, "--out", out], cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env)
    while p.poll() is None and not os.path.exists(os.path.join(out, "checkpoint.h5")):
        time.sleep(0.01)
    time.sleep(0.15)   # ~50 of the 100 steps between checkpoints: frames beyond the checkpoint are on disk
    p.kill()
    p.communicate()
    with h5py.File(os.path.join(out, "checkpoint.h5"), "r") as f:
        stopped, committed = int(f.attrs["step"]), int(f.attrs["snapshots"])
    with h5py.File(os.path.join(out, "snapshots.h5"), "r") as f:
        on_disk = f["time"].shape[0]
    if not check(f"SIGKILL between checkpoints: killed mid-run (checkpoint at step {stopped} of 2000, "
                 f"{committed} frames committed, {on_disk} on disk)", p.returncode == -signal.SIGKILL and 0 < stopped < 2000):
        return
    code, so, se = run([cascade, "run", path, "--out", out, "--resume"])
    if not check("SIGKILL between checkpoints: --resume exits 0", code == 0, f"{so[-1500:]}\n{se[-1500:]}"):
        return
    a, b = datasets(snap), datasets(os.path.join(out, "snapshots.h5"))
    check("SIGKILL between checkpoints: resumed snapshots are bit-identical to the uninterrupted run",
          a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a), f"{[(k, a[k].shape, b[k].shape) for k in a if k in b]}")
    da, db = datasets(os.path.join(ref, "diagnostics.h5")), datasets(os.path.join(out, "diagnostics.h5"))
    different = [k for k in da if k not in db or not np.array_equal(da[k], db[k], equal_nan=True)]
    check("SIGKILL between checkpoints: resumed diagnostics are bit-identical", not different, ", ".join(different[:8]))


def extended_resume(cascade, work):
    full = job(work, "extend-full", n=32, t_end=0.4)
    half = job(work, "extend-half", n=32, t_end=0.2)
    a, b = os.path.join(work, "extend-a"), os.path.join(work, "extend-b")
    ok = run([cascade, "run", full, "--out", a])[0] == 0 and run([cascade, "run", half, "--out", b])[0] == 0
    code, so, se = run([cascade, "run", half, "--out", b, "--resume", "--set", "time.t_end=0.4"])
    if check("a finished run extended with --resume --set time.t_end exits 0", ok and code == 0, se[-1500:]):
        sa, sb = datasets(os.path.join(a, "snapshots.h5")), datasets(os.path.join(b, "snapshots.h5"))
        da, db = datasets(os.path.join(a, "diagnostics.h5")), datasets(os.path.join(b, "diagnostics.h5"))
        check("extended run is bit-identical to one run to the same t_end",
              all(np.array_equal(sa[k], sb[k]) for k in sa) and all(np.array_equal(da[k], db[k], equal_nan=True) for k in da))
    # FFTW_MEASURE picks plans by timing; a resumed run reuses fftw.wisdom, so seeded with the
    # wisdom of a run it reproduces that run bit for bit, across the resume too.
    m = ["--set", "fft.effort=measure"]
    c, d = os.path.join(work, "measure-a"), os.path.join(work, "measure-b")
    ok = run([cascade, "run", full, "--out", c] + m)[0] == 0
    os.makedirs(d)
    shutil.copy(os.path.join(c, "fftw.wisdom"), d)
    ok = ok and run([cascade, "run", half, "--out", d] + m)[0] == 0
    ok = ok and run([cascade, "run", half, "--out", d, "--resume", "--set", "time.t_end=0.4"] + m)[0] == 0
    if check("fft.effort=measure: runs write fftw.wisdom and resume with it", ok):
        sc, sd = datasets(os.path.join(c, "snapshots.h5")), datasets(os.path.join(d, "snapshots.h5"))
        check("fft.effort=measure: a resumed run with the same wisdom is bit-identical", all(np.array_equal(sc[k], sd[k]) for k in sc))
    code, so, se = run([cascade, "run", half, "--out", os.path.join(work, "nothing-here"), "--resume"])
    check("--resume without a checkpoint is refused (exit 2)", code == 2 and "checkpoint.h5" in se, se)


def blow_up(cascade, work):
    path = write(os.path.join(work, "blowup.toml"), BASE.format(n=32, t_end=2.0, scheme="rk4", forcing="white", checkpoint=0.05)
                 .replace("rate = 0.5", "rate = 60").replace("dt = 0.004", "dt = 0.004\ncfl_max = 0.4"))
    out = os.path.join(work, "blowup")
    code, so, se = run([cascade, "run", path, "--out", out])
    text = so + se
    check("blow-up guard stops the run (exit 1) naming step and time",
          code == 1 and "blow-up at step" in text and ", t = " in text and "cfl_max" in text, text[-1500:])
    ck = os.path.join(out, "checkpoint.h5")
    good = os.path.exists(ck)
    if good:
        with h5py.File(ck, "r") as f:
            good = np.isfinite(f["state/omega_hat"][()]).all() and f.attrs["step"] > 0
    check("the last good checkpoint survives the blow-up", good)


def bad_parameters(cascade, work):
    cases = [
        ("odd N", ["--set", "grid.n=47"], "grid.n", 1),
        ("N that FFTW-MPI cannot split over 4 ranks", ["--set", "grid.n=6", "--set", "forcing.type=none"], "grid.n", 4),
        ("negative viscosity", ["--set", "physics.viscosity=-0.1"], "physics.viscosity", 1),
        ("kf beyond the dealiased range", ["--set", "forcing.kf=20"], "forcing.kf", 1),
        ("dt too large for the initial flow", ["--set", "init.type=taylor-green", "--set", "init.amplitude=5",
                                               "--set", "time.dt=0.5", "--set", "time.t_end=1"], "time.dt", 1),
    ]
    path = job(work, "bad", n=48)
    for label, extra, key, ranks in cases:
        out = os.path.join(work, "bad-" + key + str(ranks))
        code, so, se = mpirun(ranks, [cascade, "run", path, "--out", out] + extra)
        check(f"refused: {label} (exit 2, names `{key}`, nothing written)",
              code == 2 and f"`{key}`" in se and not os.path.exists(os.path.join(out, "run.json")), f"exit {code}: {se[-800:]}")
    # A random field is only known once made: a too-large dt is refused before the first step.
    out = os.path.join(work, "bad-runtime-dt")
    code, so, se = run([cascade, "run", path, "--out", out, "--set", "time.dt=0.2", "--set", "time.t_end=1"])
    text = so + se
    ok = code != 0 and "time.dt = 0.2 is too large" in text and not os.path.exists(os.path.join(out, "snapshots.h5"))
    check("refused before any step: dt too large for the random initial field", ok, text[-800:])


def regrid(cascade, work, source):
    if source is None:
        return
    with h5py.File(os.path.join(source, "diagnostics.h5"), "r") as f:
        final_energy = f["time_series/energy"][-1]
    for label, init in (("checkpoint", "checkpoint.h5"), ("snapshot", "snapshots.h5")):
        path = job(work, "regrid-" + label, n=96, t_end=0.004)
        out = os.path.join(work, "regrid-" + label)
        code, so, se = mpirun(2, [cascade, "run", path, "--out", out, "--set", "init.type=file",
                                  "--set", f"init.file={os.path.join(source, init)}", "--set", "forcing.type=none"])
        if check(f"init from a 48² {label} on a 96² grid exits 0", code == 0, se[-1500:]):
            with h5py.File(os.path.join(out, "diagnostics.h5"), "r") as f:
                e0 = f["time_series/energy"][0]
            # The snapshot is the physical field: its 2/3-truncated modes are all it holds.
            check(f"{label} zero-padded to 96² keeps the energy (rel. {abs(e0 - final_energy) / final_energy:.1e})",
                  abs(e0 - final_energy) <= 1e-10 * final_energy)


def layout(source):
    if source is None:
        return
    with open(os.path.join(source, "snapshots.xmf")) as f:
        doc = xml.dom.minidom.parseString(f.read())
    grids = doc.getElementsByTagName("Grid")
    check("snapshots.xmf is XDMF with one grid per snapshot", len(grids) >= 6)
    code, so, _ = run(["h5dump", "-H", os.path.join(source, "snapshots.h5")])
    check("h5dump reads snapshots.h5", code == 0 and "vorticity" in so)


def main():
    def body(cascade, work):
        source = rank_independence(cascade, work)
        layout(source)
        regrid(cascade, work, source)
        bad_parameters(cascade, work)
        blow_up(cascade, work)
        extended_resume(cascade, work)
        snapshots_in_place(cascade, work)
        interrupted_resume(cascade, work)
    cli_main(body)


if __name__ == "__main__":
    main()
