#!/usr/bin/env python3
"""End-to-end checks of the train and wide-sweep jobs, run as a user runs them, outputs read with h5py.

- a tiny teacher-student job on 1 and 2 ranks: exits 0, training.h5 has the documented layout,
  the training and held-out losses fall, and both rank counts give the same parameters
  (relative difference < 1e-5), on 2 ranks with train.shard_optimizer on and off;
- SIGTERM (1 rank) and SIGUSR1 through mpirun (2 ranks, with and without the sharded optimiser
  step) stop the run with exit 3 and a checkpoint; --resume ends with parameters and metrics bit-identical to an uninterrupted run;
  so does a run killed with SIGKILL between checkpoints;
- a diverging run (huge learning rate) fails with a message naming the step and keeps the last
  good checkpoint; a --resume with a changed optimiser is refused naming the key;
- bad configurations are refused before anything is written, naming the key;
- a tiny gaussian-mixture job on 1 and 2 ranks writes /bayes with sane values (the Monte-Carlo Bayes
  accuracy within 4 standard errors of the closed form, the network close to it, the same test
  tally on both rank counts);
- hdf5 sources from h5py-written files: labelled vectors train and are evaluated on the file's last
  samples; a label out of range, a missing file or dataset are refused before training naming the
  key and the file; a small periodic-padding conv model trains on 8×8 images with real targets;
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
from check_cli import ROOT, check, cli_main, interrupt, mpirun, run, write  # noqa: E402

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
            if n == 2:
                check("2 ranks on one node reduce through shared memory by default (the log says so)",
                      "gradients summed in shared memory by 2 ranks per node" in so + se
                      or "Dense weight gradients computed once per node in shared memory, each of 2 ranks" in so + se,
                      (so + se)[-800:])
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
    # The reductions on 2 ranks (the run above took the default, the node's shared memory): the
    # bucketed allreduce and the sharded optimiser step give the same parameters as one rank; the log
    # says which one ran.
    for shard in ("true", "false"):
        out = os.path.join(work, f"tiny-np2-shard-{shard}")
        code, so, se = mpirun(2, [cascade, "run", path, "--out", out, "--set", f"train.shard_optimizer={shard}",
                                  "--set", "train.shared_memory=false"])
        if check(f"train np=2 with train.shard_optimizer={shard}, train.shared_memory=false exits 0", code == 0,
                 f"exit {code}\n{so[-1500:]}\n{se[-1500:]}") and 1 in runs:
            a, b = parameters(runs[1]), parameters(os.path.join(out, "training.h5"))
            worst = max(rel(a[k], b[k]) for k in a)
            check(f"2 ranks, shard_optimizer={shard}: parameters as 1 rank (rel. diff {worst:.1e} < 1e-5)", worst < 1e-5)
            want = "reduce-scattered" if shard == "true" else "allreduced in buckets"
            check(f"the log names the reduction ({want})", want in so + se, (so + se)[-800:])
    small_shared_memory(cascade, work, runs)


def small_shared_memory(cascade, work, runs):
    """Nodes whose shared-memory file system is small (a container's 64 MB /dev/shm, here tmpfs mounts).
    4 KiB: too small for the window; the ranks must not touch pages past its end (SIGBUS) but fall back
    to the allreduce and say why. 40 KiB: room for the parameters and both ranks' gradients (3 x 5.6 kB)
    but not for the staging of x and dy of the node's batch (64 rows x 137 floats, 35 kB more) that the
    partitioned Dense weight gradients need: the gradients are summed instead, and the log says why.
    Either way the parameters are one rank's."""
    tiny = os.path.join(work, "tiny-shm")
    os.makedirs(tiny, exist_ok=True)
    for size, expected in (("4k", ["the window needs", "gradients allreduced in buckets"]),
                           ("40k", ["gradients summed in shared memory by 2 ranks per node (not the Dense weight gradients"])):
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", tiny], capture_output=True).returncode == 0
        if not mounted:
            print("SKIP small shared-memory file system: cannot mount a tmpfs here (needs root outside a container)")
            return
        try:
            out = os.path.join(work, f"tiny-np2-shm-{size}")
            code, so, se = mpirun(2, ["-x", f"OMPI_MCA_osc_sm_backing_directory={tiny}", cascade, "run", job(work, "tiny"),
                                      "--out", out])
            if check(f"2 ranks with a {size} shared-memory file system exit 0", code == 0, f"exit {code}\n{so[-1500:]}\n{se[-1500:]}"):
                check(f"{size}: the log says which reduction runs and why ({expected[-1][:40]}…)",
                      all(e in so + se for e in expected), (so + se)[-800:])
                if 1 in runs:
                    a, b = parameters(runs[1]), parameters(os.path.join(out, "training.h5"))
                    worst = max(rel(a[k], b[k]) for k in a)
                    check(f"{size} shared memory: parameters as 1 rank (rel. diff {worst:.1e} < 1e-5)", worst < 1e-5)
        finally:
            subprocess.run(["umount", tiny], capture_output=True)


def interrupted_resume(cascade, work):
    path = job(work, "restart", steps=6000, checkpoint=200)
    env = dict(os.environ, SWIFT_BACKTRACE="enable=no")
    # The sharded optimiser step too: its checkpoint holds the gathered full optimiser state.
    shard = ["--set", "train.shard_optimizer=true", "--set", "train.shared_memory=false"]
    for label, ranks, sig, extra in (("SIGTERM, 1 rank", 1, signal.SIGTERM, []),
                                     ("SIGUSR1 via mpirun, 2 ranks", 2, signal.SIGUSR1, []),
                                     ("SIGUSR1 via mpirun, 2 ranks, sharded optimiser", 2, signal.SIGUSR1, shard)):
        tag = f"{ranks}{'-shard' if extra else ''}"
        ref = os.path.join(work, f"restart-ref-{tag}")
        code, so, se = mpirun(ranks, [cascade, "run", path, "--out", ref] + extra)
        if not check(f"{label}: uninterrupted reference run exits 0", code == 0, se[-1500:]):
            continue
        out = os.path.join(work, f"restart-{tag}")
        cmd = ([os.path.join(ROOT, "cluster/mpirun.sh"), "-np", str(ranks), cascade, "run", path, "--out", out] if ranks > 1
               else [cascade, "run", path, "--out", out]) + extra
        # Signal once the first scheduled checkpoint is on disk: the run is then mid-way.
        if not interrupt(cmd, sig, lambda: os.path.exists(os.path.join(out, "training.h5")), label):
            continue
        with h5py.File(os.path.join(out, "checkpoint.h5"), "r") as f:
            stopped = int(f.attrs["step"])
        check(f"{label}: stopped mid-run (step {stopped} of 6000)", 0 < stopped < 6000)
        code, so, se = mpirun(ranks, [cascade, "run", path, "--out", out, "--resume"] + extra)
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
        check(f"jobs/{name}.toml validates", code == 0, se[-800:])


GMM = """kind = "train"
[data]
kind = "gaussian-mixture"
samples = 8192
test_samples = 4000
dimension = 8
alpha = 1.0
eigenvectors = "shared"
separation = 2.0
separation_measure = "mahalanobis"
seed = 4
[model]
input = [8]
[[model.layers]]
type = "dense"
units = 32
[[model.layers]]
type = "relu"
[[model.layers]]
type = "dense"
units = 1
[loss]
kind = "bce-logits"
[optimizer]
kind = "adam"
lr = 3e-3
[train]
steps = 300
batch = 128
log_interval = 50
eval_interval = 0
"""


def gaussian_mixture(cascade, work):
    path = write(os.path.join(work, "gmm.toml"), GMM)
    found = {}
    for n in (1, 2):
        out = os.path.join(work, f"gmm-np{n}")
        code, so, se = mpirun(n, [cascade, "run", path, "--out", out])
        if not check(f"gaussian-mixture np={n} exits 0", code == 0, f"exit {code}\n{so[-1500:]}\n{se[-1500:]}"):
            continue
        with h5py.File(os.path.join(out, "training.h5"), "r") as f:
            names = ("network_accuracy", "bayes_accuracy", "bayes_accuracy_stderr", "bayes_accuracy_closed_form", "agreement", "logit_correlation")
            if not check(f"np={n}: /bayes has {', '.join(names)}", "bayes" in f and all(k in f["bayes"] for k in names)):
                continue
            b = {k: float(f["bayes"][k][0]) for k in names}
            b["samples"] = int(f["bayes"].attrs["samples"])
            found[n] = b
        # Δ = 2 (Mahalanobis), equal covariances: the closed form is Φ(1).
        check(f"np={n}: closed form is Φ(Δ/2) = Φ(1) = 0.8413 ({b['bayes_accuracy_closed_form']:.4f})",
              abs(b["bayes_accuracy_closed_form"] - 0.841345) < 1e-5)
        se_ = b["bayes_accuracy_stderr"]
        check(f"np={n}: Monte-Carlo Bayes accuracy {b['bayes_accuracy']:.4f} within 4 standard errors ({se_:.4f}) of the closed form",
              b["samples"] == 4000 and abs(se_ - (0.8413 * 0.1587 / 4000) ** 0.5) < 1e-3
              and abs(b["bayes_accuracy"] - b["bayes_accuracy_closed_form"]) < 4 * se_, str(b))
        check(f"np={n}: the network ({b['network_accuracy']:.4f}) comes within 3 points of Bayes, agreement {b['agreement']:.3f} > 0.9, "
              f"logit-LLR correlation {b['logit_correlation']:.3f} > 0.9",
              b["network_accuracy"] > b["bayes_accuracy"] - 0.03 and b["agreement"] > 0.9 and b["logit_correlation"] > 0.9, str(b))
    if 1 in found and 2 in found:
        a, c = found[1], found[2]
        check("1 and 2 ranks: the same Bayes accuracy on the same test samples, network accuracy within 3 samples",
              a["bayes_accuracy"] == c["bayes_accuracy"] and abs(a["network_accuracy"] - c["network_accuracy"]) <= 3 / 4000, f"{a}\n{c}")


HDF5_JOB = """kind = "train"
[data]
kind = "hdf5"
file = "{file}"
inputs = "x"
{target}
test_samples = {test}
[model]
{layers}
[optimizer]
kind = "adam"
lr = 1e-2
[train]
steps = {steps}
batch = 64
log_interval = 10
eval_interval = 0
"""

MLP = """[[model.layers]]
type = "dense"
units = 16
[[model.layers]]
type = "relu"
[[model.layers]]
type = "dense"
units = 1
"""

CONV = """input = [8, 8, 1]
[[model.layers]]
type = "conv2d"
channels = 4
padding = "periodic"
[[model.layers]]
type = "relu"
[[model.layers]]
type = "avgpool"
factor = 2
[[model.layers]]
type = "residual"
layers = [{ type = "conv2d", channels = 4, kernel = 1 }, { type = "tanh" }]
[[model.layers]]
type = "dense"
units = 1
"""


def hdf5_sources(cascade, work):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((1200, 6)).astype(np.float32)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.int64)
    good = os.path.join(work, "labelled.h5")
    with h5py.File(good, "w") as f:
        f["x"], f["y"] = x, y
    bad_labels = y.copy()
    bad_labels[17] = 5
    bad = os.path.join(work, "bad-labels.h5")
    with h5py.File(bad, "w") as f:
        f["x"], f["y"] = x, bad_labels
    labelled = 'labels = "y"\nclasses = 2'
    path = write(os.path.join(work, "h5.toml"), HDF5_JOB.format(file=good, target=labelled, test=200, layers=MLP, steps=150))
    out = os.path.join(work, "h5-np2")
    code, so, se = mpirun(2, [cascade, "run", path, "--out", out])
    if check("hdf5 labelled vectors np=2 exits 0", code == 0, f"exit {code}\n{so[-1500:]}\n{se[-1500:]}"):
        with h5py.File(os.path.join(out, "training.h5"), "r") as f:
            acc = float(f["eval/accuracy"][-1])
            check(f"hdf5: held-out accuracy on the file's last 200 samples {acc:.3f} > 0.9, no /bayes",
                  acc > 0.9 and int(f.attrs["test_samples"]) == 200 and int(f.attrs["train_samples"]) == 1000 and "bayes" not in f,
                  str(dict(f.attrs)))
    refusals = [
        ("a label outside 0…classes − 1", HDF5_JOB.format(file=bad, target=labelled, test=200, layers=MLP, steps=10),
         "data.labels", ["bad-labels.h5", "sample 17", "label 5"]),
        ("a missing file", HDF5_JOB.format(file=os.path.join(work, "nowhere.h5"), target=labelled, test=200, layers=MLP, steps=10),
         "data.file", ["nowhere.h5"]),
        ("a missing dataset", HDF5_JOB.format(file=good, target='labels = "labels"\nclasses = 2', test=200, layers=MLP, steps=10),
         "data.labels", ["labelled.h5", "labels"]),
        ("more held-out samples than the file has", HDF5_JOB.format(file=good, target=labelled, test=1200, layers=MLP, steps=10),
         "data.test_samples", ["labelled.h5", "1200"]),
    ]
    for i, (label, text, key, words) in enumerate(refusals):
        path = write(os.path.join(work, "h5-bad.toml"), text)
        out = os.path.join(work, f"h5-bad-{i}")
        code, so, se = mpirun(2, [cascade, "run", path, "--out", out])
        check(f"hdf5: {label} is refused before training naming `{key}` and {', '.join(words)}",
              code != 0 and f"`{key}`" in se and all(w in se for w in words) and not os.path.exists(os.path.join(out, "training.h5")),
              f"exit {code}\n{se[-1000:]}")
    # A periodic conv model on 8×8 images: the target is the mean of the squared field.
    images = rng.standard_normal((512, 8, 8)).astype(np.float32)
    t = (images ** 2).mean(axis=(1, 2)).astype(np.float32)
    fields = os.path.join(work, "fields.h5")
    with h5py.File(fields, "w") as f:
        f["x"], f["t"] = images, t
    path = write(os.path.join(work, "h5-conv.toml"), HDF5_JOB.format(file=fields, target='targets = "t"', test=64, layers=CONV, steps=120))
    out = os.path.join(work, "h5-conv")
    code, so, se = mpirun(2, [cascade, "run", path, "--out", out])
    if check("hdf5 conv model (periodic conv2d, avgpool, residual) np=2 exits 0", code == 0, f"exit {code}\n{so[-1500:]}\n{se[-1500:]}"):
        with h5py.File(os.path.join(out, "training.h5"), "r") as f:
            loss = f["metrics/loss"][()]
            check(f"conv model: training loss falls ({loss[0]:.3g} → {loss[-1]:.3g})", loss[-1] < 0.5 * loss[0])
            check("conv model: /model holds the conv weight [4, 3, 3, 1] and the residual's inner conv",
                  f["model/0.weight"].shape == (4, 3, 3, 1) and "3.0.weight" in f["model"], str(list(f["model"])))


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
        gaussian_mixture(cascade, work)
        hdf5_sources(cascade, work)
        divergence(cascade, work)
        wide_sweep(cascade, work)
        interrupted_resume(cascade, work)
    cli_main(body)


if __name__ == "__main__":
    main()
