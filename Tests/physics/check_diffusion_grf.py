#!/usr/bin/env python3
"""Does a trained diffusion model reproduce a known spectrum? (issue 12; opt-in: Tests/physics/run.sh)

A small periodic U-Net is trained by the `train` kind on Gaussian random fields with a known
power-law shell spectrum (16², V(k) ∝ k^−3 on 1 ≤ |k| ≤ 8, unit variance; `data.kind =
"gaussian-random-field"`), then `diffusion-sample` draws fields from its moving-average weights (DDIM,
200 steps). Checked against the exact spectrum of the data (recomputed here from its definition, as
`GaussianRandomFieldSource.expectedShellSpectrum` does), with numpy:

- the samples' mean shell spectrum within 10% per shell over the resolved range, shells 1 … 3N/8
  (the last two shells, within 1.5 of the Nyquist wavenumber N/2, are printed, not bounded);
- the one-point PDF Gaussian: the Kolmogorov–Smirnov distance of all sample values to N(0, 1)
  below 0.01, the variance within 5% of 1, the mean within 0.02 of 0;
- the same statistics of as many exact Gaussian random fields (drawn here with numpy), printed
  beside them: the statistical floor of the bounds;
- and that the checks can fail: a model trained for 100 steps is outside the spectrum bound.

About 10 minutes on 2 ranks in a release build (Tests/physics/run.sh builds one). Prints PASS/FAIL
lines and ends with `N passed, M failed`.
"""
import argparse
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np
from scipy import stats

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
results = {"passed": 0, "failed": 0}
N, SLOPE, SAMPLES = 16, 3.0, 1024


def check(name, condition, detail=""):
    results["passed" if condition else "failed"] += 1
    print(("PASS " if condition else "FAIL ") + name + ("" if condition or not detail else ": " + detail), flush=True)
    return condition


def run(ranks, args, timeout=3600):
    cmd = [os.path.join(ROOT, "cluster/mpirun.sh"), "-np", str(ranks)] + args if ranks > 1 else args
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout + p.stderr


TRAIN = f"""kind = "train"
name = "grf"
[data]
kind = "gaussian-random-field"
side = {N}
samples = 4096
test_samples = 256
spectral_slope = {SLOPE}
[[model.layers]]
type = "unet"
levels = 2
channels = 32
multipliers = [1, 2]
blocks = 1
groups = 8
attention = false
[loss]
kind = "mse"
[optimizer]
kind = "adam"
lr = 2e-3
[schedule]
kind = "cosine"
warmup_steps = 50
[diffusion]
schedule = "cosine"
timesteps = 1000
prediction = "velocity"
ema_decay = 0.999
[train]
steps = 3000
batch = 64
log_interval = 50
eval_interval = 500
"""

SAMPLE = """kind = "diffusion-sample"
name = "grf-samples"
[model]
file = "{model}"
[sampling]
samples = {samples}
method = "ddim"
steps = {steps}
batch = 32
"""


def expected_shells():
    """V_s = Σ_{round(|k|) = s} P(|k|)/ΣP, P = |k|^−(α+1) on 1 ≤ |k| ≤ N/2: the data's exact spectrum."""
    k = np.fft.fftfreq(N, 1 / N)
    mag = np.hypot(*np.meshgrid(k, k, indexing="ij"))
    band = (mag >= 1) & (mag <= N // 2)
    power = np.zeros_like(mag)
    power[band] = mag[band] ** -(SLOPE + 1)
    power /= power.sum()
    shell = np.rint(mag).astype(int)
    return np.bincount(shell.ravel(), power.ravel(), minlength=N // 2 + 2)[: N // 2 + 1], power, shell


def shells_of(fields, shell):
    """Mean shell spectrum of fields (F × N × N), a_k = F[f]_k / N²."""
    a = np.fft.fft2(fields) / N ** 2
    return np.bincount(shell.ravel(), (np.abs(a) ** 2).mean(axis=0).ravel(), minlength=N // 2 + 2)[: N // 2 + 1]


def judge(label, fields, expected, shell, bounded):
    """(max relative shell error over `bounded`, KS distance, variance, mean), printed."""
    got = shells_of(fields, shell)
    rel = got[1:] / expected[1:] - 1
    values = fields.ravel()
    ks = stats.kstest(values, "norm").statistic
    print(f"  {label}: shells 1…{N // 2} relative difference " + " ".join(f"{r:+.3f}" for r in rel)
          + f"; variance {values.var():.4f}, mean {values.mean():+.4f}, KS distance to N(0, 1) {ks:.4f}", flush=True)
    return np.abs(rel[np.array(bounded) - 1]).max(), ks, values.var(), values.mean()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cascade", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--ranks", type=int, default=2)
    a = ap.parse_args()
    cascade = os.path.abspath(a.cascade)
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    expected, power, shell = expected_shells()
    resolved = list(range(1, 3 * N // 8 + 1))

    def train(name, sets=()):
        job = os.path.join(a.work, name + ".toml")
        open(job, "w").write(TRAIN)
        args = [cascade, "run", job, "--out", os.path.join(a.work, name)]
        for s in sets:
            args += ["--set", s]
        code, log = run(a.ranks, args)
        check(f"{name}: training runs", code == 0, log[-2000:])
        return os.path.join(a.work, name, "training.h5")

    def sample(name, model, samples, steps):
        job = os.path.join(a.work, name + ".toml")
        open(job, "w").write(SAMPLE.format(model=model, samples=samples, steps=steps))
        code, log = run(a.ranks, [cascade, "run", job, "--out", os.path.join(a.work, name)])
        if not check(f"{name}: sampling runs", code == 0, log[-2000:]):
            return None
        with h5py.File(os.path.join(a.work, name, "samples.h5")) as f:
            return f["vorticity"][...]

    model = train("grf")
    fields = sample("samples", model, SAMPLES, 200)
    if fields is None:
        return
    check("samples: the file holds the fields asked for", fields.shape == (SAMPLES, N, N), str(fields.shape))
    err, ks, var, mean = judge("trained model, DDIM 200", fields, expected, shell, resolved)
    rng = np.random.default_rng(12)
    white = np.fft.fft2(rng.standard_normal((SAMPLES, N, N)))
    exact = np.fft.ifft2(white * np.sqrt(power * N ** 2)).real  # W is Hermitian and H even: already real
    floor = judge(f"{SAMPLES} exact Gaussian random fields", exact, expected, shell, resolved)
    check(f"spectrum: every shell 1…{resolved[-1]} within 10% (max {err:.3f}; exact fields {floor[0]:.3f})", err < 0.10)
    check(f"one-point PDF: KS distance to N(0, 1) {ks:.4f} < 0.01 (exact fields {floor[1]:.4f})", ks < 0.01)
    check(f"variance {var:.4f} within 5% of 1", abs(var - 1) < 0.05)
    check(f"mean {mean:+.4f} within 0.02 of 0", abs(mean) < 0.02)

    # The bounds must be able to fail: a barely trained model.
    short = train("grf-short", ["train.steps=100", "train.eval_interval=0"])
    few = sample("samples-short", short, 256, 50)
    if few is not None:
        err_short = judge("model trained 100 steps, DDIM 50", few, expected, shell, resolved)[0]
        check(f"a model trained 100 steps misses the 10% spectrum bound (max {err_short:.3f})", err_short >= 0.10)


if __name__ == "__main__":
    main()
    print(f"{results['passed']} passed, {results['failed']} failed")
    sys.exit(0 if results["failed"] == 0 else 1)
