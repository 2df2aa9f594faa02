#!/usr/bin/env python3
"""End-to-end checks of the train and wide-sweep jobs, run as a user runs them, outputs read with h5py.

- a tiny teacher-student job on 1 and 2 ranks: exits 0, training.h5 has the documented layout,
  the training and held-out losses fall, and both rank counts give the same parameters
  (relative difference < 1e-5);
- SIGTERM (1 rank) and SIGUSR1 through mpirun (2 ranks) stop the run with exit 3 and a
  checkpoint; --resume ends with parameters and metrics bit-identical to an uninterrupted run;
  so does a run killed with SIGKILL between checkpoints;
- a diverging run (huge learning rate) fails with a message naming the step and keeps the last
  good checkpoint; a --resume with a changed optimiser is refused naming the key;
- bad configurations are refused before anything is written, naming the key;
- a small wide-sweep on 2 ranks writes wide_sweep.h5 with widths × seeds arrays and slopes.
Prints PASS/FAIL lines and ends with `N passed, M failed`.
"""
import os
import signal
import subprocess
import sys
import time

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_cli import ROOT, check, cli_main, mpirun, run, write  # noqa: E402

TINY = """kind = "train"
[data]
kind = "teacher-student"
samples = 1024
test_samples = 256
dimension = 8
teacher_width = 16
seed = 2
[model]
input = [8]
[[model.layers]]
type = "dense"
units = 32
[[model.layers]]
type = "tanh"
[[model.layers]]
type = "dense"
units = 32
init = "ntk"
beta = 0.1
[[model.layers]]
type = "gelu"
[[model.layers]]
type = "dense"
units = 1
[optimizer]
kind = "adam"
lr = 3e-3
[train]
steps = {steps}
batch = 64
log_interval = 10
eval_interval = 50
checkpoint_interval = {checkpoint}
"""


def job(work, name, steps=200, checkpoint=0):
    return write(os.path.join(work, name + ".toml"), TINY.format(steps=steps, checkpoint=checkpoint))


def parameters(path):
    with h5py.File(path, "r") as f:
        return {k: f["model"][k][()] for k in f["model"]}


def rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return np.abs(a - b).max(initial=0) / max(np.abs(a).max(initial=0), 1e-300)


def train_runs(cascade, work):
    path = job(work, "tiny")
    runs = {}
    for n in (1, 2):
        out = os.path.join(work, f"tiny-np{n}")
        code, so, se = mpirun(n, [cascade, "run", path, "--out", out])
        if check(f"train np={n} exits 0", code == 0, f"exit {code}\n{so[-1500:]}\n{se[-1500:]}"):
            runs[n] = os.path.join(out, "training.h5")
    if 1 not in runs:
        return
    with h5py.File(runs[1], "r") as f:
        names = set()
        f.visit(names.add)
        expected = {f"metrics/{k}" for k in ("step", "loss", "accuracy", "grad_norm", "learning_rate", "samples_per_second")} \
            | {f"eval/{k}" for k in ("step", "loss", "accuracy")} | {"model/0.weight", "model/0.bias", "model/4.weight"}
        check("training.h5 has /metrics, /eval and /model datasets", expected <= names, f"missing {sorted(expected - names)}")
        steps, loss = f["metrics/step"][()], f["metrics/loss"][()]
        check("/metrics/step counts 10, 20, … 200", list(steps) == list(range(10, 201, 10)), str(steps[:5]))
        check(f"training loss falls ({loss[0]:.3g} → {loss[-1]:.3g})", loss[-1] < 0.2 * loss[0])
        ev = f["eval/loss"][()]
        check(f"held-out loss falls ({ev[0]:.3g} → {ev[-1]:.3g}), evaluated at 0, 50, … 200",
              ev[-1] < 0.2 * ev[0] and list(f["eval/step"][()]) == [0, 50, 100, 150, 200])
        check("accuracy is NaN for regression", np.isnan(f["metrics/accuracy"][()]).all())
        w = f["model/0.weight"]
        check("/model/0.weight is [32, 8] with layer, key and shape attributes",
              w.shape == (32, 8) and w.attrs["layer"] == "Dense(8→32)" and w.attrs["key"] == "model.layers[0]"
              and list(w.attrs["shape"]) == [32, 8], f"{w.shape} {dict(w.attrs)}")
        check("/model has the model description", "ntk" in f["model"].attrs["description"])
        check("learning rates are recorded", np.allclose(f["metrics/learning_rate"][()], 3e-3))
    if 2 in runs:
        a, b = parameters(runs[1]), parameters(runs[2])
        worst = max(rel(a[k], b[k]) for k in a)
        check(f"1 and 2 ranks give the same parameters after 200 Adam steps (rel. diff {worst:.1e} < 1e-5)", worst < 1e-5)


def interrupted_resume(cascade, work):
    path = job(work, "restart", steps=6000, checkpoint=200)
    env = dict(os.environ, SWIFT_BACKTRACE="enable=no")
    for label, ranks, sig in (("SIGTERM, 1 rank", 1, signal.SIGTERM), ("SIGUSR1 via mpirun, 2 ranks", 2, signal.SIGUSR1)):
        ref = os.path.join(work, f"restart-ref-{ranks}")
        code, so, se = mpirun(ranks, [cascade, "run", path, "--out", ref])
        if not check(f"{label}: uninterrupted reference run exits 0", code == 0, se[-1500:]):
            continue
        out = os.path.join(work, f"restart-{ranks}")
        cmd = [os.path.join(ROOT, "cluster/mpirun.sh"), "-np", str(ranks), cascade, "run", path, "--out", out] if ranks > 1 \
            else [cascade, "run", path, "--out", out]
        p = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        # Signal once the first scheduled checkpoint is on disk: the run is then mid-way.
        deadline = time.time() + 120
        while p.poll() is None and not os.path.exists(os.path.join(out, "training.h5")) and time.time() < deadline:
            time.sleep(0.01)
        p.send_signal(sig)
        so, se = p.communicate(timeout=300)
        interrupted = p.returncode == 3 and "interrupted by" in so + se
        check(f"{label}: run stops with exit 3 and a resume hint", interrupted, f"exit {p.returncode}\n{so[-1500:]}\n{se[-1500:]}")
        if not interrupted:
            continue
        with h5py.File(os.path.join(out, "checkpoint.h5"), "r") as f:
            stopped = int(f.attrs["step"])
        check(f"{label}: stopped mid-run (step {stopped} of 6000)", 0 < stopped < 6000)
        code, so, se = mpirun(ranks, [cascade, "run", path, "--out", out, "--resume"])
        if not check(f"{label}: --resume exits 0", code == 0, f"{so[-1500:]}\n{se[-1500:]}"):
            continue
        a, b = parameters(os.path.join(ref, "training.h5")), parameters(os.path.join(out, "training.h5"))
        check(f"{label}: resumed parameters are bit-identical to the uninterrupted run",
              a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a))
        with h5py.File(os.path.join(ref, "training.h5"), "r") as fa, h5py.File(os.path.join(out, "training.h5"), "r") as fb:
            same = all(np.array_equal(fa[k][()], fb[k][()]) for k in ("metrics/step", "metrics/loss", "metrics/grad_norm", "eval/loss"))
        check(f"{label}: resumed loss and gradient-norm series are bit-identical", same)
    # SIGKILL between checkpoints: --resume continues from the last checkpoint, bit-identically.
    ref = os.path.join(work, "restart-ref-1")
    out = os.path.join(work, "restart-killed")
    if os.path.exists(os.path.join(ref, "training.h5")):
        p = subprocess.Popen([cascade, "run", path, "--out", out], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=env)
        deadline = time.time() + 120
        while p.poll() is None and not os.path.exists(os.path.join(out, "checkpoint.h5")) and time.time() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)
        p.kill()
        p.communicate()
        with h5py.File(os.path.join(out, "checkpoint.h5"), "r") as f:
            stopped = int(f.attrs["step"])
        if check(f"SIGKILL: killed mid-run (checkpoint at step {stopped} of 6000)", p.returncode == -signal.SIGKILL and 0 < stopped < 6000):
            code, so, se = run([cascade, "run", path, "--out", out, "--resume"])
            if check("SIGKILL: --resume exits 0", code == 0, f"{so[-1500:]}\n{se[-1500:]}"):
                a, b = parameters(os.path.join(ref, "training.h5")), parameters(os.path.join(out, "training.h5"))
                check("SIGKILL: resumed parameters are bit-identical to the uninterrupted run",
                      a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a))
    # A resume with a changed non-resumable key is refused, naming it.
    out = os.path.join(work, "restart-1")
    if os.path.exists(os.path.join(out, "checkpoint.h5")):
        code, _, se = run([cascade, "run", path, "--out", out, "--resume", "--set", "optimizer.lr=0.01"])
        check("--resume with another optimizer.lr is refused naming the key", code == 2 and "optimizer.lr" in se, se[-800:])


def divergence(cascade, work):
    path = job(work, "diverge", steps=200, checkpoint=2)
    out = os.path.join(work, "diverge")
    code, so, se = run([cascade, "run", path, "--out", out, "--set", "optimizer.kind=sgd", "--set", "optimizer.lr=1000"])
    text = so + se
    check("a diverging run fails (exit 1) naming the step and the fix",
          code == 1 and "training diverged at step" in text and "optimizer.lr" in text, text[-1200:])
    check("the last good checkpoint is kept", os.path.exists(os.path.join(out, "checkpoint.h5")) and "checkpoint.h5) is kept" in text)


BAD = [
    ("a global batch not divisible by the rank count", 2, ["--set", "train.batch=63"], "train.batch"),
    ("an unknown layer type", 1, ["--set", 'model.layers=[{type="relux"},{type="dense",units=1}]'], "model.layers[0].type"),
    ("a dense layer without units", 1, ["--set", 'model.layers=[{type="dense"},{type="dense",units=1}]'], "model.layers[0].units"),
    ("an unknown key in a layer", 1, ["--set", 'model.layers=[{type="dense",units=4,unit=3},{type="dense",units=1}]'], "model.layers[0].unit"),
    ("layer shapes that do not chain", 1, ["--set", 'model.layers=[{type="dense",units=4},{type="conv2d",channels=2},{type="dense",units=1}]'], "model.layers[1]"),
    ("an output width the loss cannot take", 1, ["--set", 'model.layers=[{type="dense",units=3}]'], "model.layers[0]"),
    ("cross-entropy on real targets", 1, ["--set", "loss.kind=cross-entropy"], "loss.kind"),
    ("an unknown optimiser", 1, ["--set", "optimizer.kind=adamm"], "optimizer.kind"),
    ("a model input that differs from the data", 1, ["--set", "model.input=[9]"], "model.input"),
]


def bad_configurations(cascade, work):
    path = job(work, "bad")
    for label, ranks, args, key in BAD:
        out = os.path.join(work, "bad-" + key.replace("[", "_").replace("]", "_").replace(".", "_"))
        code, so, se = mpirun(ranks, [cascade, "run", path, "--out", out] + args)
        check(f"{label} is refused (exit 2) naming `{key}`, nothing written",
              code != 0 and f"`{key}`" in se and not os.path.exists(os.path.join(out, "training.h5")), f"exit {code}\n{se[-800:]}")
    code, so, se = run([cascade, "validate", path, "--ranks", "3"])
    check("cascade validate --ranks 3 refuses a batch of 64 naming train.batch", code == 2 and "`train.batch`" in se and "63 or 66" in se, se[-600:])
    for name in ("train-mlp", "wide-sweep"):
        code, _, se = run([cascade, "validate", os.path.join(ROOT, "jobs", name + ".toml"), "--ranks", "2"])
        check(f"jobs/{name}.toml validates", code == 0, se[-600:])
    for name in ("gmm-bayes", "train-conv"):
        code, _, se = run([cascade, "validate", os.path.join(ROOT, "jobs", name + ".toml"), "--ranks", "2"])
        only = all("not available in this build" in line for line in se.splitlines() if line.strip().startswith(("- `", "error: job file")) and "`" in line)
        check(f"jobs/{name}.toml validates or says only what this build lacks", code == 0 or (code == 2 and only), se[-800:])


SWEEP = """kind = "wide-sweep"
[data]
samples = 64
dimension = 4
teacher_width = 8
[sweep]
widths = "16:128:*2"
seeds = [1, 2]
depth = 1
[train]
steps = 40
lr = 0.5
[probe]
samples = 8
"""


def wide_sweep(cascade, work):
    path = write(os.path.join(work, "sweep.toml"), SWEEP)
    out = os.path.join(work, "sweep")
    code, so, se = mpirun(2, [cascade, "run", path, "--out", out])
    if not check("wide-sweep np=2 exits 0", code == 0, f"{so[-1500:]}\n{se[-1500:]}"):
        return
    with h5py.File(os.path.join(out, "wide_sweep.h5"), "r") as f:
        check("/widths and /seeds", list(f["widths"][()]) == [16, 32, 64, 128] and list(f["seeds"][()]) == [1, 2])
        for name in ("relative_weight_change", "linearization_gap", "ntk_change", "second_order_ratio"):
            d = f[name]
            check(f"/{name} is widths × seeds with slope and slope_stderr", d.shape == (4, 2) and "slope" in d.attrs and "slope_stderr" in d.attrs)
        rwc = f["relative_weight_change"]
        check(f"relative weight change falls with width (slope {rwc.attrs['slope']:.2f})",
              np.isfinite(rwc[()]).all() and rwc.attrs["slope"] < -0.2)
        check("linearisation gap, NTK change and second-order ratio are measured", np.isfinite(f["linearization_gap"][()]).all()
              and np.isfinite(f["ntk_change"][()]).all() and np.isfinite(f["second_order_ratio"][()]).all()
              and (f["second_order_ratio"][()] > 0).all())
        runs = {name: f[name][()] for name in ("relative_weight_change", "linearization_gap", "ntk_change", "second_order_ratio", "final_loss")}
    # The same sweep with every run trained by both ranks (the data-parallel trainer) measures the
    # same networks: float32 round-off of the gradient sums only (measured ≤ 4e-6 relative).
    out = os.path.join(work, "sweep-data")
    code, so, se = mpirun(2, [cascade, "run", path, "--out", out, "--set", "sweep.distribute=data"])
    if not check("wide-sweep np=2 with sweep.distribute = \"data\" exits 0", code == 0, f"{so[-1500:]}\n{se[-1500:]}"):
        return
    with h5py.File(os.path.join(out, "wide_sweep.h5"), "r") as f:
        worst = max(float(np.max(np.abs(f[k][()] - v) / np.abs(v))) for k, v in runs.items())
        check(f"distribute = \"data\" gives the runs of distribute = \"runs\" (relative difference {worst:.1e} < 1e-4)", worst < 1e-4)


def main():
    def body(cascade, work):
        train_runs(cascade, work)
        bad_configurations(cascade, work)
        divergence(cascade, work)
        wide_sweep(cascade, work)
        interrupted_resume(cascade, work)
    cli_main(body)


if __name__ == "__main__":
    main()
