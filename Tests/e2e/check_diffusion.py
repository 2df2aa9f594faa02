#!/usr/bin/env python3
"""End-to-end checks of the diffusion-sample job, run as a user runs it, outputs read with h5py.

- a tiny ns2d run (16², t = 30, 27 frames, ~1 s) is the training set of a tiny diffusion model
  (`train` with data.kind = snapshots, a 2-level U-Net of 8 channels, linear schedule over T = 100,
  200 steps, ~6 s in a debug build);
- DDIM (η = 0 and η = 0.5) on 1, 2, 3 and 4 ranks with different sampling.batch (11 fields: uneven
  shares, ranks with fewer rounds than rank 0; 3 fields on 4 ranks: a rank without any): every field bit for
  bit equal to the 1-rank run (tolerance 0: the noise is keyed by (seed, global sample, step) and the
  U-Net treats each field of a batch on its own), the same for DDPM on 1 and 2 ranks and for a
  v-prediction model; sampling.first = 5 reproduces samples 5… of a longer set;
- the fields are un-normalised: their RMS is within a factor 2 of the training fields' (×
  normalization_scale), and dividing by normalization_scale gives O(1) values;
- a model that never left its initialisation (lr 1e-30, so ε̂ ≈ 0): DDIM η = 0 gives
  x_0 = x_T/√ᾱ_{T−1} exactly, so the samples' RMS is normalization_scale/√ᾱ_{T−1} (within 4%, 16 × 256
  Gaussian values), from the stored betas;
- samples.h5 has the layout of ns2d's snapshots.h5 (every dataset of a snapshots file without velocity,
  same dtypes, frames × N × N, root attributes n, box_length, cascade_version) and the sampler's
  attributes and /diffusion; samples.xmf names samples.h5:/vorticity; turbulence-compare (samples
  against the ns2d frames) and the covariance kind (jobs/rmt-turbulence.toml) accept samples.h5;
- a pipeline ns2d → train → diffusion-sample (model.file a stage input) runs;
- bad inputs refused before any output, naming the key or the file: a missing model.file key and file,
  a training.h5 without /diffusion, weights = "ema" without a moving average, a tensor of the wrong
  shape, a missing tensor, NaN weights, /diffusion attributes breaking each U-Net rule (odd unet_channels,
  a multiplier count ≠ unet_levels, field_side not a multiple of 2^(levels−1), groups or heads not
  dividing the channels: the exact message), sampling.steps > T, eta = 1.5, samples = 0, 2^40 and 2^63.
Prints PASS/FAIL lines and ends with `N passed, M failed`.
"""
import os
import re
import shutil
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_cli import check, cli_main, run, run_job  # noqa: E402

N = 16
T = 100
NS2D_SETS = ["grid.n=16", "time.t_end=30.0", "time.adaptive=false", "time.dt=0.02", "forcing.kf=3.0",
             "physics.damping=1.0", "output.snapshot_interval=1.0", "output.snapshot_start=4",
             "output.average_start=4", "output.spectra_interval=4", "output.statistics_interval=4",
             "output.checkpoint_interval=100"]


def train_text(snapshots, extra="", lr="2e-3", steps=200, ema=0.9, prediction="noise"):
    return f"""kind = "train"
name = "tiny-diffusion"
[data]
kind = "snapshots"
file = "{snapshots}"
test_samples = 4
[[model.layers]]
type = "unet"
levels = 2
channels = 8
groups = 4
[diffusion]
schedule = "linear"
prediction = "{prediction}"
beta_end = 0.05
timesteps = {T}
ema_decay = {ema}
{extra}
[optimizer]
kind = "adam"
lr = {lr}
[train]
steps = {steps}
batch = 8
log_interval = 50
eval_interval = 100
"""


def sample_text(model, samples=11, extra=""):
    model_line = f'file = "{model}"' if model is not None else ""
    return f"""kind = "diffusion-sample"
name = "check"
[model]
{model_line}
[sampling]
samples = {samples}
steps = 10
{extra}
"""


def fields(out):
    with h5py.File(os.path.join(out, "samples.h5"), "r") as f:
        return f["vorticity"][...]


def train(cascade, work, name, snapshots, **kw):
    code, log, out = run_job(cascade, work, name, train_text(snapshots, **kw))
    check(f"train {name} exits 0", code == 0, log[-2000:])
    return os.path.join(out, "training.h5")


def rank_checks(cascade, work, model, scale, train_rms):
    base = None
    for ranks, batch in ((1, 8), (2, 3), (3, 2), (4, 1)):
        code, log, out = run_job(cascade, work, f"ddim-np{ranks}", sample_text(model, extra=f"batch = {batch}"), ranks)
        if not check(f"DDIM np={ranks} batch {batch} exits 0", code == 0, log[-2000:]):
            continue
        check(f"DDIM np={ranks}: a progress line in fields/s", re.search(r"samples: 11 / 11 .* fields/s", log) is not None, log[-1500:])
        x = fields(out)
        if base is None:
            base = x
            check("DDIM: 11 fields of 16², all finite", x.shape == (11, N, N) and np.isfinite(x).all(), f"{x.shape}")
            rms = float(np.sqrt((x ** 2).mean()))
            check("DDIM: un-normalised, RMS within a factor 2 of the training fields'", 0.5 < rms / train_rms < 2,
                  f"rms {rms}, training {train_rms}")
            check("DDIM: samples / normalization_scale are O(1)", 0.3 < rms / scale < 3 and np.abs(x / scale).max() < 20,
                  f"rms/scale {rms / scale}, max {np.abs(x / scale).max()}")
            check("DDIM: distinct samples", np.abs(x[0] - x[1]).max() > 1e-3 * rms)
        else:
            check(f"DDIM np={ranks} batch {batch}: bit-identical to 1 rank", np.array_equal(x, base),
                  f"max |Δ| {np.abs(x - base).max()}")
        with h5py.File(os.path.join(out, "samples.h5"), "r") as f:
            check(f"DDIM np={ranks}: ranks attribute", int(f.attrs["ranks"]) == ranks)
    code, log, out = run_job(cascade, work, "ddim-first5", sample_text(model, samples=6, extra="first = 5\nbatch = 4"), 2)
    if check("DDIM sampling.first = 5 exits 0", code == 0, log[-1500:]) and base is not None:
        check("DDIM sampling.first = 5: samples 5…10 of the longer set", np.array_equal(fields(out), base[5:]))
        with h5py.File(os.path.join(out, "samples.h5"), "r") as f:
            check("sampling.first = 5: /time holds the global sample indices", list(f["time"][...]) == list(range(5, 11)))
    # More ranks than samples: rank 3 has none and still takes part in every collective write.
    code, log, out = run_job(cascade, work, "ddim-3-on-4", sample_text(model, samples=3), 4)
    if check("DDIM 3 samples on 4 ranks exits 0", code == 0, log[-1500:]) and base is not None:
        check("DDIM 3 samples on 4 ranks: samples 0…2 of the longer set", np.array_equal(fields(out), base[:3]))

    for label, extra, ranks in (("DDIM eta 0.5", 'eta = 0.5', (1, 3)), ("DDPM", 'method = "ddpm"\nbatch = 5', (1, 2)),
                                ("DDPM posterior", 'method = "ddpm"\nddpm_variance = "posterior"', (1, 4))):
        got = []
        for r in ranks:
            code, log, out = run_job(cascade, work, f"{label.replace(' ', '-')}-np{r}", sample_text(model, samples=6, extra=extra), r)
            if check(f"{label} np={r} exits 0", code == 0, log[-1500:]):
                got.append(fields(out))
        if len(got) == 2:
            check(f"{label}: np={ranks[1]} bit-identical to np=1", np.array_equal(got[0], got[1]), f"max |Δ| {np.abs(got[0] - got[1]).max()}")
            rms = float(np.sqrt((got[0] ** 2).mean()))
            check(f"{label}: finite, RMS within a factor 2 of the training fields'", np.isfinite(got[0]).all() and 0.5 < rms / train_rms < 2,
                  f"rms {rms}, training {train_rms}")
            if base is not None:
                check(f"{label}: differs from DDIM η = 0", not np.array_equal(got[0], base[:6]))
    return base


def layout_checks(cascade, work, snapshots, model):
    out = os.path.join(work, "ddim-np1")
    path = os.path.join(out, "samples.h5")
    if not os.path.exists(path):
        check("samples.h5 of the 1-rank run exists", False)
        return
    with h5py.File(snapshots, "r") as s, h5py.File(path, "r") as f:
        for name in ("vorticity", "time"):
            check(f"layout: /{name} as in snapshots.h5 ({s[name].dtype}, rank {s[name].ndim})",
                  name in f and f[name].dtype == s[name].dtype and f[name].ndim == s[name].ndim
                  and f[name].shape[1:] == s[name].shape[1:], f"{f.get(name)}")
        check("layout: /time has one entry per frame", f["time"].shape == (f["vorticity"].shape[0],))
        for a in s.attrs:
            check(f"layout: root attribute {a} as in snapshots.h5", a in f.attrs and type(f.attrs[a]) == type(s.attrs[a]),
                  f"{f.attrs.get(a)!r} vs {s.attrs[a]!r}")
        check("layout: n = 16, box_length = 2π", int(f.attrs["n"]) == N and abs(float(f.attrs["box_length"]) - 2 * np.pi) < 1e-12)
        want = {"kind": "diffusion-sample", "model_weights": "ema", "method": "ddim", "steps": 10, "seed": 0, "samples": 11,
                "first_sample": 0, "model_file": model}
        for k, v in want.items():
            got = f.attrs.get(k)
            got = got.decode() if isinstance(got, bytes) else got
            check(f"attribute {k} = {v!r}", got == v, f"{got!r}")
        with h5py.File(model, "r") as m:
            d = m["diffusion"].attrs
            check("/diffusion holds every attribute of the training's /diffusion",
                  "diffusion" in f and all(k in f["diffusion"].attrs for k in d)
                  and np.array_equal(f["diffusion"].attrs["betas"], d["betas"]), f"{list(f.get('diffusion', {}).attrs) if 'diffusion' in f else None}")
            check("normalization_scale recorded", abs(float(f.attrs["normalization_scale"]) - float(d["normalization_scale"])) == 0)
    xmf = os.path.join(out, "samples.xmf")
    text = open(xmf).read() if os.path.exists(xmf) else ""
    check("samples.xmf names samples.h5:/vorticity, one grid per frame", "samples.h5:/vorticity" in text and text.count("<Grid Name=\"frame") == 11,
          text[:500])
    leftovers = [n for n in os.listdir(out) if ".tmp" in n]
    check("no temporaries left", not leftovers, f"{leftovers}")

    compare = f"""kind = "turbulence-compare"
name = "samples-vs-ns2d"
[inputs]
names = ["ns2d", "samples"]
files = ["{snapshots}", "{path}"]
first = [4, 0]
[structure]
fit_range = [2, 4]
[bootstrap]
repeats = 20
"""
    code, log, cout = run_job(cascade, work, "compare", compare)
    check("turbulence-compare accepts samples.h5 against the ns2d snapshots", code == 0
          and os.path.exists(os.path.join(cout, "turbulence_compare.h5")), log[-2000:])
    code, log, rout = run_job(cascade, work, "rmt", open("jobs/rmt-turbulence.toml").read(),
                                  sets=[f"source.file={path}", "statistics.lengths=[1.0, 2.0]", "statistics.length_count=2",
                                        "statistics.windows=4", 'null.models=["phase"]', "null.repeats=2"])
    check("the covariance kind (jobs/rmt-turbulence.toml) accepts samples.h5", code == 0
          and os.path.exists(os.path.join(rout, "rmt.h5")), log[-2000:])


def closed_form_checks(cascade, work, snapshots):
    """ε̂ ≈ 0: DDIM η = 0 returns x_T/√ᾱ_{τ_max} times the scale."""
    model = train(cascade, work, "train-untrained", snapshots, lr="1e-30", steps=2, ema=0)
    if not os.path.exists(model):
        return
    code, log, out = run_job(cascade, work, "untrained-ema", sample_text(model))
    check('weights = "ema" without a moving average refused naming the key and the fix',
          code != 0 and "model.weights" in log and 'model.weights = \\"raw\\"' in log.replace('"raw"', '\\"raw\\"')
          and not os.path.exists(os.path.join(out, "samples.h5")), log[-1500:])
    samples = 16
    code, log, out = run_job(cascade, work, "untrained-raw", sample_text(model, samples=samples, extra='') .replace("[model]", '[model]\nweights = "raw"'), 2)
    if not check("untrained model, raw weights: exits 0", code == 0, log[-1500:]):
        return
    with h5py.File(model, "r") as m:
        betas = m["diffusion"].attrs["betas"]
        scale = float(m["diffusion"].attrs["normalization_scale"])
    bar = np.prod(1 - betas)
    rms = float(np.sqrt((fields(out) ** 2).mean()))
    expected = scale / np.sqrt(bar)
    # 4096 standard normals: the RMS has relative standard error 1/sqrt(2·4096) = 1.1%.
    check(f"untrained model: RMS = scale/√ᾱ_(T−1) = {expected:.4g} within 4%", abs(rms / expected - 1) < 0.04, f"rms {rms}")


def velocity_checks(cascade, work, snapshots):
    model = train(cascade, work, "train-velocity", snapshots, prediction="velocity", steps=20)
    got = []
    for r in (1, 3):
        code, log, out = run_job(cascade, work, f"velocity-np{r}", sample_text(model, samples=5, extra="batch = 2"), r)
        if check(f"v-prediction model np={r} exits 0", code == 0, log[-1500:]):
            got.append(fields(out))
    if len(got) == 2:
        check("v-prediction: np=3 bit-identical to np=1, finite", np.array_equal(got[0], got[1]) and np.isfinite(got[0]).all())


PIPELINE = """kind = "pipeline"
name = "diffusion-pipe"
[[stages]]
name = "simulate"
[stages.job]
kind = "ns2d"
grid.n = 16
time.t_end = 30.0
time.adaptive = false
time.dt = 0.02
forcing.kf = 3.0
physics.damping = 1.0
output.snapshot_interval = 1.0
output.snapshot_start = 4.0
output.average_start = 4.0
output.checkpoint_interval = 100.0
[[stages]]
name = "train"
[stages.job]
kind = "train"
data.kind = "snapshots"
data.test_samples = 4
model.layers = [{ type = "unet", levels = 2, channels = 8, groups = 4 }]
diffusion.schedule = "linear"
diffusion.beta_end = 0.05
diffusion.timesteps = 100
diffusion.ema_decay = 0.9
optimizer.kind = "adam"
optimizer.lr = 2e-3
train.steps = 50
train.batch = 8
[stages.inputs]
"data.file" = "simulate:snapshots.h5"
[[stages]]
name = "sample"
[stages.job]
kind = "diffusion-sample"
sampling.samples = 8
sampling.steps = 10
[stages.inputs]
"model.file" = "train:training.h5"
"""


def pipeline_checks(cascade, work):
    """ns2d → train → diffusion-sample as one pipeline: model.file as a stage input ("train:training.h5")."""
    code, log, out = run_job(cascade, work, "pipeline", PIPELINE, 2)
    path = os.path.join(out, "sample", "samples.h5")
    check("pipeline simulate → train → sample (model.file from [stages.inputs]) completes", code == 0 and os.path.exists(path), log[-2000:])
    if os.path.exists(path):
        with h5py.File(path, "r") as f:
            check("pipeline: 8 finite samples of 16²", f["vorticity"].shape == (8, N, N) and np.isfinite(f["vorticity"][...]).all())


def bad_input_checks(cascade, work, model):
    def refused(name, text, needles, sets=()):
        code, log, out = run_job(cascade, work, "bad-" + re.sub(r"[^A-Za-z0-9]+", "-", name), text, 2, sets)
        check(f"bad input ({name}): refused", code != 0, f"exit {code}: {log[-1200:]}")
        check(f"bad input ({name}): the error names {needles}", all(s in log for s in needles), log[-1500:])
        check(f"bad input ({name}): no samples.h5", not os.path.exists(os.path.join(out, "samples.h5")))

    refused("no model.file", sample_text(None), ["model.file"])
    refused("missing file", sample_text(os.path.join(work, "nope.h5")), ["model.file", "nope.h5", "no such file"])
    plain = os.path.join(work, "not-diffusion.h5")
    with h5py.File(plain, "w") as f:
        f.create_group("model").create_dataset("0.weight", data=np.zeros((2, 3), dtype=np.float32))
    refused("training.h5 without /diffusion", sample_text(plain), ["model.file", "not-diffusion.h5", "/diffusion"])

    def damaged(name, edit):
        path = os.path.join(work, name + ".h5")
        shutil.copy(model, path)
        with h5py.File(path, "r+") as f:
            edit(f)
        return path

    with h5py.File(model, "r") as f:
        first = sorted(f["model_ema"].keys())[0]
        shape = f["model_ema"][first].shape

    def reshape(f):
        del f["model_ema"][first]
        f["model_ema"].create_dataset(first, data=np.zeros(shape + (2,), dtype=np.float32))

    refused("tensor of the wrong shape", sample_text(damaged("reshaped", reshape)), ["model.file", "reshaped.h5", f"/model_ema/{first}", "shape"])
    refused("missing tensor", sample_text(damaged("missing", lambda f: f["model_ema"].__delitem__(first))),
            ["model.file", "missing.h5", f"/model_ema/{first}", "missing"])

    def poison(f):
        d = f["model_ema"][first]
        x = d[...]
        x.flat[0] = np.nan
        d[...] = x

    refused("NaN weights", sample_text(damaged("nan", poison)), ["model.file", "nan.h5", f"/model_ema/{first}", "nan"])

    def channels(f):
        f["diffusion"].attrs["unet_channels"] = np.int64(16)

    refused("unet attributes inconsistent with the tensors", sample_text(damaged("channels", channels)), ["model.file", "channels.h5", "/model_ema/"])
    # Learning's U-Net rules (UNet.Configuration.problems), worded with the attribute names; the model is
    # 2 levels of 8 × [1, 2] channels, 4 groups, on 16² fields.
    def attribute(name, value):
        def edit(f):
            f["diffusion"].attrs[name] = value
        return edit

    for name, value, message in [
            ("unet_channels", np.int64(7), "unet_channels = 7 is odd (the time embedding needs an even width)"),
            ("unet_multipliers", np.array([1, 2, 2], dtype=np.int64), "unet_multipliers = [1, 2, 2] is not one multiplier in 1 … 64 per level (unet_levels = 2)"),
            ("field_side", np.int64(15), "field_side = 15 is not a multiple of 2^(unet_levels − 1) = 2"),
            ("unet_groups", np.int64(3), "unet_groups = 3 does not divide every level's channels [8, 16]")]:
        refused(f"/diffusion {name} breaking a U-Net rule", sample_text(damaged("rule-" + name, attribute(name, value))),
                ["model.file", f"rule-{name}.h5", "/diffusion attribute " + message])

    def heads(f):
        f["diffusion"].attrs["unet_attention"] = np.int64(1)
        f["diffusion"].attrs["unet_heads"] = np.int64(3)

    refused("/diffusion unet_heads breaking a U-Net rule", sample_text(damaged("rule-heads", heads)),
            ["model.file", "rule-heads.h5", "/diffusion attribute unet_heads = 3 does not divide the lowest level's 16 channels"])
    refused("steps > timesteps", sample_text(model), ["sampling.steps", f"{T}"], sets=["sampling.steps=101"])
    refused("eta = 1.5", sample_text(model), ["sampling.eta"], sets=["sampling.eta=1.5"])
    refused("eta with ddpm", sample_text(model), ["sampling.eta", "ddim"], sets=['sampling.method="ddpm"', "sampling.eta=0.5"])
    refused("samples = 0", sample_text(model, samples=0), ["sampling.samples"])
    refused("samples = 2^40", sample_text(model, samples=1 << 40), ["sampling.samples"])
    refused("samples = 2^63 - 1", sample_text(model, samples=(1 << 63) - 1), ["sampling.samples"])
    # 2^63 is no TOML integer: the parser refuses it, naming the line.
    refused("samples = 2^63", sample_text(model, samples=1 << 63), ["line 6", "64 bits"])
    refused("first + samples beyond 2^32", sample_text(model, samples=10, extra=f"first = {(1 << 32) - 5}"), ["sampling.samples", "2^32"])


def main():
    def body(cascade, work):
        code, so, se = run([cascade, "run", os.path.join("jobs", "ns2d-inverse-cascade.toml"), "--out", os.path.join(work, "ns2d"),
                            "--overwrite"] + sum((["--set", s] for s in NS2D_SETS), []))
        if not check("tiny ns2d run (16², t = 30) exits 0", code == 0, se[-2000:]):
            return
        snapshots = os.path.join(work, "ns2d", "snapshots.h5")
        model = train(cascade, work, "train", snapshots)
        if not os.path.exists(model):
            return
        with h5py.File(model, "r") as m:
            scale = float(m["diffusion"].attrs["normalization_scale"])
        with h5py.File(snapshots, "r") as s:
            train_rms = float(np.sqrt((s["vorticity"][...] ** 2).mean()))
        check("the training fields' normalization_scale is not 1 (so un-normalising is tested)", abs(scale - 1) > 0.05, f"{scale}")
        rank_checks(cascade, work, model, scale, train_rms)
        layout_checks(cascade, work, snapshots, model)
        closed_form_checks(cascade, work, snapshots)
        velocity_checks(cascade, work, snapshots)
        pipeline_checks(cascade, work)
        bad_input_checks(cascade, work, model)

    cli_main(body)


if __name__ == "__main__":
    main()
