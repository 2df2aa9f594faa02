#!/usr/bin/env python3
"""End-to-end checks of diffusion training through the `train` kind (a unet on field data), run as a
user runs it, outputs read with h5py.

- Gaussian random fields (16², a 2-level U-Net with attention, 8 Adam steps, global batch 12): /model
  and /model_ema on 2, 3 and 4 ranks equal those of 1 rank to float32 round-off: max |a − b| / max |a|
  over all tensors below TOLERANCE (the global batch, its pairs and their noise do not depend on the
  rank count; only the order of the gradient sums does);
- SIGTERM (1 rank) and SIGUSR1 through mpirun (2 ranks) stop a 40-step run with exit 3 and a
  checkpoint; --resume ends with /model, /model_ema, the loss series and the EMA update count
  bit-identical to an uninterrupted run;
- snapshots of a small ns2d run (32², 161 frames) train on 2 ranks with data.coarsen = 2: /diffusion
  holds schedule, timesteps, betas (length = timesteps, the linear schedule's ends), field_side = N/2,
  coarsening, normalization_scale (the RMS of the coarse training frames, recomputed with numpy),
  data and the unet_* keys of the job; every attribute is named in docs/outputs.md;
- bad snapshot data refused before any training step, each naming the key and the file (and the
  dataset): a missing file or dataset, a 1-D dataset, non-square frames, a crop of the box (by the
  file's attribute n, and by the jump across the edge), no frames (an empty dataset, data.first_frame
  past the end, data.frame_count past the end, every frame held out), a NaN in a frame, a
  data.coarsen that does not divide N.
Prints PASS/FAIL lines and ends with `N passed, M failed`.
"""
import os
import re
import signal
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_cli import ROOT, check, cli_main, interrupt, mpirun, run, write  # noqa: E402

# Measured after 8 steps: 2.3e-6 (model) and 1.6e-6 (EMA) relative on 2-4 ranks; float32 sums in
# another order stay far below 1e-5, a wrong batch or noise would be O(1e-2).
TOLERANCE = 1e-5

GRF = """kind = "train"
[data]
kind = "gaussian-random-field"
side = 16
samples = 96
test_samples = 12
seed = 3
[model]
[[model.layers]]
type = "unet"
levels = 2
channels = 8
groups = 4
attention = true
heads = 2
[optimizer]
kind = "adam"
lr = 2e-3
[diffusion]
timesteps = 100
ema_decay = 0.9
[train]
steps = {steps}
batch = 12
log_interval = 2
eval_interval = 0
checkpoint_interval = {checkpoint}
"""

N = 32
# 161 frames 0.1 apart from t = 4 (frames this close are correlated, which the edge test and a few
# training steps do not mind); ~2 s in a debug build. A 16² crop of all of them has 2·16·161 = 5152
# pairs across the edge, past the 4096 from which the edge test's limit is 2.
NS2D_SETS = ["grid.n=32", "time.t_end=20.0", "time.adaptive=false", "time.dt=0.01", "forcing.kf=6.0",
             "physics.damping=1.0", "output.snapshot_interval=0.1", "output.snapshot_start=4",
             "output.average_start=4", "output.spectra_interval=4", "output.statistics_interval=4",
             "output.checkpoint_interval=100"]
STRIDE, HELD_OUT, COARSEN = 4, 3, 2

SNAPSHOTS = """kind = "train"
[data]
kind = "snapshots"
file = "{file}"
dataset = "{dataset}"
frame_stride = {stride}
coarsen = {coarsen}
test_samples = {held_out}
[model]
[[model.layers]]
type = "unet"
levels = 2
channels = 4
multipliers = [1, 3]
blocks = 1
groups = 2
[diffusion]
schedule = "linear"
beta_start = 1e-4
beta_end = 0.02
timesteps = 50
ema_decay = 0.99
[train]
steps = 4
batch = 8
log_interval = 2
eval_interval = 0
"""


def tensors(path, group):
    with h5py.File(path, "r") as f:
        return {k: f[group][k][()] for k in f[group]}


def relative(a, b):
    """max |a − b| / max |a| over every tensor of two models with the same names."""
    diff = max(float(np.abs(a[k].astype(float) - b[k]).max()) for k in a)
    scale = max(float(np.abs(a[k]).max()) for k in a)
    return diff / scale


def same(a, b):
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def on_ranks(ranks, args):
    return mpirun(ranks, args) if ranks > 1 else run(args)


def train(cascade, ranks, job, out, *sets):
    return on_ranks(ranks, [cascade, "run", job, "--out", out, "--overwrite"] + [x for s in sets for x in ("--set", s)])


def rank_counts(cascade, work):
    job = write(os.path.join(work, "grf.toml"), GRF.format(steps=8, checkpoint=0))
    files = {}
    for n in (1, 2, 3, 4):
        out = os.path.join(work, f"grf-np{n}")
        code, so, se = train(cascade, n, job, out)
        if check(f"gaussian-random-field 16², unet, 8 steps on {n} rank(s) exits 0", code == 0, f"exit {code}\n{so[-1200:]}\n{se[-1200:]}"):
            files[n] = os.path.join(out, "training.h5")
    if 1 not in files:
        return
    with h5py.File(files[1], "r") as f:
        model, ema = set(f["model"]), set(f["model_ema"]) if "model_ema" in f else set()
        check("/model_ema holds the tensors of /model, each with its shape",
              model == ema and all(f["model"][k].shape == f["model_ema"][k].shape for k in model), f"{sorted(model ^ ema)}")
        a = f["diffusion"].attrs
        check("/diffusion: ema_updates = 8 steps, 100 betas, field_side 16, coarsening 1, normalization_scale 1",
              a["ema_updates"] == 8 and len(a["betas"]) == 100 and a["timesteps"] == 100 and a["field_side"] == 16
              and a["coarsening"] == 1 and a["normalization_scale"] == 1.0 and a["schedule"] == "cosine", f"{dict(a)}")
        check("the moving average differs from the weights (decay 0.9 over 8 steps)",
              any(not np.array_equal(f["model"][k][()], f["model_ema"][k][()]) for k in model))
        loss = f["metrics/loss"][()]
        check(f"training losses are finite ({loss[0]:.3g} … {loss[-1]:.3g})", np.isfinite(loss).all() and len(loss) == 4)
    reference = {g: tensors(files[1], g) for g in ("model", "model_ema")}
    for n in (2, 3, 4):
        if n in files:
            d = {g: relative(reference[g], tensors(files[n], g)) for g in reference}
            check(f"{n} ranks give 1 rank's /model ({d['model']:.1e}) and /model_ema ({d['model_ema']:.1e}) "
                  f"to < {TOLERANCE:.0e} relative", max(d.values()) < TOLERANCE)


def interrupted_resume(cascade, work):
    job = write(os.path.join(work, "grf-restart.toml"), GRF.format(steps=40, checkpoint=4))
    for label, ranks, sig in (("SIGTERM, 1 rank", 1, signal.SIGTERM), ("SIGUSR1 via mpirun, 2 ranks", 2, signal.SIGUSR1)):
        ref = os.path.join(work, f"grf-restart-ref-{ranks}")
        code, so, se = train(cascade, ranks, job, ref)
        if not check(f"{label}: uninterrupted 40-step reference exits 0", code == 0, se[-1500:]):
            continue
        out = os.path.join(work, f"grf-restart-{ranks}")
        cmd = ([os.path.join(ROOT, "cluster/mpirun.sh"), "-np", str(ranks)] if ranks > 1 else []) + [cascade, "run", job, "--out", out]
        # Signal once the first scheduled checkpoint (step 4) is on disk: the run is then mid-way.
        if not interrupt(cmd, sig, lambda: os.path.exists(os.path.join(out, "training.h5")), label):
            continue
        with h5py.File(os.path.join(out, "checkpoint.h5"), "r") as f:
            stopped = int(f.attrs["step"])
        check(f"{label}: stopped mid-run (checkpoint at step {stopped} of 40)", 0 < stopped < 40)
        code, so, se = on_ranks(ranks, [cascade, "run", job, "--out", out, "--resume"])
        if not check(f"{label}: --resume exits 0", code == 0, f"{so[-1500:]}\n{se[-1500:]}"):
            continue
        a, b = os.path.join(ref, "training.h5"), os.path.join(out, "training.h5")
        check(f"{label}: resumed /model is bit-identical to the uninterrupted run", same(tensors(a, "model"), tensors(b, "model")))
        check(f"{label}: resumed /model_ema is bit-identical to the uninterrupted run", same(tensors(a, "model_ema"), tensors(b, "model_ema")))
        with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
            check(f"{label}: loss series and EMA update count (40) are identical",
                  np.array_equal(fa["metrics/loss"][()], fb["metrics/loss"][()])
                  and fa["diffusion"].attrs["ema_updates"] == fb["diffusion"].attrs["ema_updates"] == 40)


def ns2d_snapshots(cascade, work):
    code, so, se = run([cascade, "run", os.path.join("jobs", "ns2d-inverse-cascade.toml"), "--out", os.path.join(work, "ns2d"),
                        "--overwrite"] + [x for s in NS2D_SETS for x in ("--set", s)])
    path = os.path.join(work, "ns2d", "snapshots.h5")
    if not check("small ns2d run (32², 161 snapshots) exits 0", code == 0 and os.path.exists(path), se[-2000:]):
        return None
    return path


def snapshot_job(work, name, file, dataset="vorticity", coarsen=COARSEN, stride=STRIDE, held_out=HELD_OUT):
    return write(os.path.join(work, name + ".toml"),
                 SNAPSHOTS.format(file=file, dataset=dataset, coarsen=coarsen, stride=stride, held_out=held_out))


def documented_diffusion_attributes():
    """The /diffusion line of docs/outputs.md."""
    with open(os.path.join(ROOT, "docs", "outputs.md")) as f:
        return next((line for line in f if line.startswith("/diffusion/")), "")


def snapshot_training(cascade, work, snapshots):
    out = os.path.join(work, "snap")
    code, so, se = train(cascade, 2, snapshot_job(work, "snap", snapshots), out)
    if not check("snapshots (32², every 4th frame, coarsened by 2) train on 2 ranks, exit 0", code == 0, f"{so[-1500:]}\n{se[-1500:]}"):
        return
    with h5py.File(os.path.join(out, "training.h5"), "r") as f:
        if not check("training.h5 has /diffusion and /model_ema", "diffusion" in f and "model_ema" in f, str(list(f))):
            return
        a = dict(f["diffusion"].attrs)
        steps = int(f.attrs["steps_done"])
    with h5py.File(snapshots, "r") as h:
        frames = h["vorticity"][::STRIDE]
    train_frames = frames[:len(frames) - HELD_OUT]
    coarse = train_frames.reshape(len(train_frames), N // COARSEN, COARSEN, N // COARSEN, COARSEN).mean(axis=(2, 4))
    rms = float(np.sqrt(np.mean(coarse ** 2)))
    scale = a.get("normalization_scale", np.nan)
    check(f"normalization_scale {scale:.6g} > 0, finite, the RMS of the coarse training frames (numpy {rms:.6g})",
          np.isfinite(scale) and scale > 0 and abs(scale - rms) <= 1e-9 * rms)
    check("/diffusion: schedule linear, timesteps 50, 50 betas from beta_start to beta_end",
          a.get("schedule") == "linear" and a.get("timesteps") == 50 and len(a.get("betas", [])) == 50
          and np.isclose(a["betas"][0], 1e-4) and np.isclose(a["betas"][-1], 0.02)
          and a.get("beta_start") == 1e-4 and a.get("beta_end") == 0.02, f"{a}")
    check(f"/diffusion: field_side {a.get('field_side')} = N / coarsen, coarsening {a.get('coarsening')}",
          a.get("field_side") == N // COARSEN and a.get("coarsening") == COARSEN)
    unet = {k: a.get(k) for k in a if k.startswith("unet_")}
    check("/diffusion: unet_* attributes are the job's unet keys",
          unet.get("unet_levels") == 2 and unet.get("unet_channels") == 4 and list(unet.get("unet_multipliers", [])) == [1, 3]
          and unet.get("unet_blocks") == 1 and unet.get("unet_groups") == 2 and unet.get("unet_attention") == 0
          and unet.get("unet_heads") == 1, f"{unet}")
    check("/diffusion: prediction, EMA decay and updates, augmentation, seed and the data's description",
          a.get("prediction") == "velocity" and a.get("ema_decay") == 0.99 and a.get("ema_updates") == steps == 4
          and a.get("translations") == 1 and a.get("rotations") == 1 and a.get("seed") == 1
          and snapshots in str(a.get("data")) and "coarsened by 2" in str(a.get("data")), f"{a}")
    line = documented_diffusion_attributes()
    missing = [k for k in a if not (re.search(rf"\b{k}\b", line) or (k.startswith("unet_") and "unet_*" in line))]
    check("every /diffusion attribute is named in docs/outputs.md", line and not missing, f"undocumented: {missing}")


def write_snapshots(path, frames, n=None):
    with h5py.File(path, "w") as h:
        h["vorticity"] = frames
        h.attrs["box_length"] = 2 * np.pi
        if n is not None:
            h.attrs["n"] = n
    return path


def refusals(cascade, work, snapshots):
    with h5py.File(snapshots, "r") as h:
        omega = h["vorticity"][()]
    bad = os.path.join(work, "bad")
    os.makedirs(bad)
    nan = omega.copy()
    nan[13, 5, 7] = np.nan
    files = {
        "line": write_snapshots(os.path.join(bad, "line.h5"), omega[:, 0, :].reshape(-1)),
        "oblong": write_snapshots(os.path.join(bad, "oblong.h5"), omega[:, :, :16], n=N),
        "crop-n": write_snapshots(os.path.join(bad, "crop-n.h5"), omega[:, :16, :16], n=N),
        "crop": write_snapshots(os.path.join(bad, "crop.h5"), omega[:, 8:24, 5:21]),
        "empty": write_snapshots(os.path.join(bad, "empty.h5"), np.zeros((0, N, N))),
        "nan": write_snapshots(os.path.join(bad, "nan.h5"), nan, n=N),
    }
    frames = len(omega)
    selected = (frames - 1) // STRIDE + 1
    cases = [
        # label, file, job keys, --set overrides, key named, words of the message (besides the file)
        ("a missing file", os.path.join(bad, "nope.h5"), {}, [], "data.file", ["does not exist"]),
        ("a missing dataset", snapshots, {"dataset": "pressure"}, [], "data.dataset", ["pressure"]),
        ("a 1-D dataset", files["line"], {}, [], "data.dataset", ["vorticity", "has shape"]),
        ("non-square frames (F × 32 × 16)", files["oblong"], {}, [], "data.dataset", ["vorticity", "non-square"]),
        ("a 16² crop of the 32² box (root attribute n = 32)", files["crop-n"], {"coarsen": 1}, [], "data.dataset", ["vorticity", "not periodic"]),
        ("a 16² crop without the attribute n (jump across the edge)", files["crop"], {"coarsen": 1, "stride": 1}, [], "data.dataset",
         ["vorticity", "jump across the box edge"]),
        ("an empty dataset (0 frames)", files["empty"], {}, [], "data.dataset", ["vorticity", "no frames"]),
        (f"data.first_frame past the last frame ({frames})", snapshots, {}, [f"data.first_frame={frames}"], "data.first_frame",
         [f"0 ..< {frames}"]),
        ("data.frame_count past the end", snapshots, {}, [f"data.frame_count={selected + 1}"], "data.frame_count", [f"{selected} frames"]),
        ("every frame held out (data.test_samples = frames)", snapshots, {"held_out": selected}, [], "data.test_samples", ["none to train on"]),
        ("a NaN in frame 13", files["nan"], {"stride": 1}, [], "data.dataset", ["frame 13", "nan"]),
        ("data.coarsen = 3 not dividing 32", snapshots, {"coarsen": 3}, [], "data.coarsen", ["divides 32"]),
    ]
    for i, (label, file, keys, sets, key, words) in enumerate(cases):
        job = snapshot_job(bad, f"bad-{i}", file, **keys)
        out = os.path.join(bad, f"run-{i}")
        ranks = 2 if i % 3 == 0 else 1
        code, so, se = train(cascade, ranks, job, out, *sets)
        text = so + se
        named = f"`{key}`" in text and file in text and all(w in text for w in words)
        untouched = not os.path.exists(os.path.join(out, "training.h5")) and "training steps" not in text
        check(f"{label} ({ranks} rank{'s' if ranks > 1 else ''}): refused before training naming `{key}` and the file",
              code != 0 and named and untouched, f"exit {code}\n{text[-1200:]}")


def main():
    def body(cascade, work):
        rank_counts(cascade, work)
        interrupted_resume(cascade, work)
        snapshots = ns2d_snapshots(cascade, work)
        if snapshots:
            snapshot_training(cascade, work, snapshots)
            refusals(cascade, work, snapshots)
    cli_main(body)


if __name__ == "__main__":
    main()
