#!/usr/bin/env python3
"""End-to-end checks of the covariance job's null models, bootstrap errors, D4 sectors and provenance (issue 14).

- white data: the data and the white Wishart null (`null.population = "identity"`) agree within the error bars
  (|data − null mean| ≤ 2·√(se² + sd²)) for ⟨r⟩, entropy, Σ² and Δ₃; the plug-in `"sample"` population recorded;
- power-law correlated periodic Gaussian fields: the phase-randomised surrogate has the data's law exactly, so every
  compared statistic agrees within the error bars;
- ns2d vorticity snapshots (a small decaying run): whether the data differ from the phase, shuffle and Wishart nulls
  is recorded (statistic, error, z), not asserted;
- nulls and the bootstrap give the same numbers on 1, 2, 3 and 4 ranks (1e-9);
- D4 sectors of a D4-closed ensemble: dimensions add up (E twice) and the union of the sector spectra is the
  full spectrum (1e-10 of λ_max); the A1 levels equal numpy's projected covariance;
- provenance attributes present; bad combinations refused with the key named.
Prints PASS/FAIL lines and ends with `N passed, M failed`.
"""
import argparse
import os
import shutil
import sys

import h5py
import numpy as np
import scipy.stats

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_cli import ROOT, check, results, run  # noqa: E402

COMPARED = ("mean_gap_ratio", "entropy", "sigma2_L10", "delta3_L10")


def cascade_run(cascade, n, job, out, extra=()):
    return run([os.path.join(ROOT, "cluster/mpirun.sh"), "-np", str(n), cascade, "run", job, "--out", out, "--overwrite", *extra])


def covariance(cascade, work, name, ranks, source, null="", statistics="", matrix=""):
    out = os.path.join(work, f"{name}-np{ranks}")
    job = os.path.join(work, f"{name}.toml")
    with open(job, "w") as f:
        f.write(f'kind = "covariance"\n[source]\n{source}\n[matrix]\n{matrix}\n[statistics]\nlengths = [1.0, 10.0]\n'
                f'length_count = 10\nwindows = 400\n{statistics}\n[null]\n{null}\n')
    code, so, se = cascade_run(cascade, ranks, job, out)
    return code, so + se, os.path.join(out, "rmt.h5")


def comparison(h, model, column):
    a = h[f"null/{model}"].attrs
    return {k: float(a[f"{column}_{k}"]) for k in ("data", "data_stderr", "null_mean", "null_std", "z")} | {"differs": int(a[f"{column}_differs"])}


def report(h, model, columns=COMPARED):
    for c in columns:
        r = comparison(h, model, c)
        print(f"     {model:8s} {c:15s} data {r['data']:.4f} ± {r['data_stderr']:.4f}  null {r['null_mean']:.4f} ± {r['null_std']:.4f}"
              f"  z {r['z']:.2f}{'  differs' if r['differs'] else ''}")


def white_checks(cascade, work):
    source = 'type = "gaussian"\nsamples = 1000\nfeatures = 150\nseed = 3'
    for population in ("identity", "sample"):
        code, text, path = covariance(cascade, work, f"white-{population}", 2, source,
                                      f'models = ["wishart"]\nrepeats = 8\npopulation = "{population}"', "bootstrap = 16")
        if not check(f"white data, Wishart null ({population}) exits 0", code == 0, text[-3000:]):
            continue
        print(f"     white data n = 1000, d = 150, Wishart null population {population}:")
        with h5py.File(path, "r") as h:
            report(h, "wishart", COMPARED + ("alpha", "effective_rank"))
            if population == "identity":
                bad = [c for c in COMPARED if comparison(h, "wishart", c)["differs"]]
                check("white data agree with the white Wishart null within the error bars (⟨r⟩, entropy, Σ², Δ₃)", not bad, f"differ: {bad}")
            else:
                r = comparison(h, "wishart", "mean_gap_ratio")
                check("white data: ⟨r⟩ agrees with the plug-in (sample-covariance) Wishart null", not r["differs"], f"{r}")
            check("the summary states the rule and the numbers", "differs when z > 2" in text and "mean_gap_ratio" in text)


def periodic_field(rng, n, side, slope):
    """Gaussian stationary fields on a periodic side × side grid with power spectrum (1 + |k|²)^(−slope/2)."""
    k = np.fft.fftfreq(side) * side
    kk = np.sqrt(k[:, None] ** 2 + k[None, :] ** 2)
    amplitude = (1 + kk ** 2) ** (-slope / 4)
    white = rng.standard_normal((n, side, side))
    return np.real(np.fft.ifft2(np.fft.fft2(white) * amplitude))


def phase_checks(cascade, work):
    rng = np.random.default_rng(11)
    path = os.path.join(work, "powerlaw-fields.h5")
    with h5py.File(path, "w") as h:
        h["fields"] = periodic_field(rng, 800, 12, 3.0)
    source = f'type = "hdf5"\nfile = "{path}"\ndataset = "fields"'
    code, text, out = covariance(cascade, work, "phase", 2, source, 'models = ["phase"]\nrepeats = 8', "bootstrap = 16")
    if not check("power-law periodic fields, phase null exits 0", code == 0, text[-3000:]):
        return
    print("     power-law periodic Gaussian fields (n = 800, 12 × 12), phase-randomised null:")
    with h5py.File(out, "r") as h:
        columns = COMPARED + ("alpha", "effective_rank", "brody_beta")
        report(h, "phase", columns)
        bad = [c for c in columns if comparison(h, "phase", c)["differs"]]
        check("power-law Gaussian periodic data agree with their phase-randomised surrogates", not bad, f"differ: {bad}")
        a = h.attrs
        check("provenance: source file, dataset, field shape, ddof, centring",
              a["source_file"] == path and a["source_dataset"] == "fields" and list(a["field_shape"]) == [12, 12]
              and int(a["ddof"]) == 1 and "mean" in a["centring"] and float(a["statistics_zero_tolerance"]) == 1e-10,
              f"{dict(a)}")
        s = h["statistics"].attrs
        check("bootstrap standard errors written and positive", float(s["mean_gap_ratio_stderr"]) > 0 and float(s["entropy_stderr"]) > 0)
        p = h["statistics/spacing"].attrs
        check("KS p-values in [0, 1]", all(0 <= float(p[f"ks_pvalue_{e}"]) <= 1 for e in ("poisson", "goe", "gue")),
              f"{[float(p[f'ks_pvalue_{e}']) for e in ('poisson', 'goe', 'gue')]}")
        print(f"     KS p-values of the spacings: Poisson {float(p['ks_pvalue_poisson']):.3g}, GOE {float(p['ks_pvalue_goe']):.3g}")
        m = int(p["ks_spacings"])
        exact = [scipy.stats.kstwo.sf(float(p[f"ks_{e}"]), m) for e in ("poisson", "goe", "gue")]
        ours = [float(p[f"ks_pvalue_{e}"]) for e in ("poisson", "goe", "gue")]
        check("KS p-values match scipy's exact kstwo law within 0.02", np.allclose(ours, exact, atol=0.02), f"{ours} vs {exact} (m = {m})")


def rank_checks(cascade, work):
    source = 'type = "gaussian"\nsamples = 300\nfeatures = 40\nseed = 5'
    values = {}
    for ranks in (1, 2, 3, 4):
        code, text, path = covariance(cascade, work, "ranks", ranks, source, 'models = ["wishart", "phase", "shuffle"]\nrepeats = 3',
                                      "bootstrap = 4")
        if not check(f"nulls and bootstrap np={ranks} exit 0", code == 0, text[-3000:]):
            continue
        with h5py.File(path, "r") as h:
            values[ranks] = np.concatenate([h[f"null/{m}/scalars"][...].ravel() for m in ("wishart", "phase", "shuffle")]
                                           + [h["statistics/bootstrap/scalars"][...].ravel()])
    for ranks in (2, 3, 4):
        if 1 in values and ranks in values:
            a, b = values[1], values[ranks]
            ok = a.shape == b.shape and np.allclose(b, a, rtol=1e-9, atol=1e-12, equal_nan=True)
            check(f"null and bootstrap scalars np={ranks} equal np=1 (1e-9)", ok)


def d4_images(f):
    """The 8 images of fields f[..., i, j] under D4 on the periodic grid (indices mod N)."""
    n = f.shape[-1]
    i = np.arange(n)
    m = (-i) % n
    t = np.swapaxes(f, -1, -2)
    return [f, t[..., :, m], f[..., m, :][..., :, m], t[..., m, :], f[..., :, m], f[..., m, :], t, t[..., m, :][..., :, m]]


def sector_checks(cascade, work):
    rng = np.random.default_rng(13)
    base = periodic_field(rng, 70, 6, 2.0) + 0.5 * rng.standard_normal((70, 6, 6))
    x = np.concatenate(d4_images(base))
    path = os.path.join(work, "d4.h5")
    with h5py.File(path, "w") as h:
        h["fields"] = x
    code, text, out = covariance(cascade, work, "sectors", 2, f'type = "hdf5"\nfile = "{path}"\ndataset = "fields"', "",
                                 "sectors = true")
    if not check("D4 sectors exit 0", code == 0, text[-3000:]):
        return
    with h5py.File(out, "r") as h:
        full = np.sort(h["eigenvalues"][...])
        dims = {g: int(h[f"sectors/{g}"].attrs["dimension"]) for g in ("A1", "A2", "B1", "B2", "E")}
        mult = {g: int(h[f"sectors/{g}"].attrs["multiplicity"]) for g in dims}
        union = np.sort(np.concatenate([np.repeat(h[f"sectors/{g}/eigenvalues"][...], mult[g]) for g in dims]))
        a1 = np.sort(h["sectors/A1/eigenvalues"][...])
    total = sum(dims[g] * mult[g] for g in dims)
    print(f"     sector dimensions {dims} (E: one partner, multiplicity 2): total {total} of 36")
    check("D4 sector dimensions add up to d (E counted twice)", total == 36 and dims == {"A1": 10, "A2": 1, "B1": 6, "B2": 3, "E": 8}, f"{dims}")
    ok = union.shape == full.shape and np.max(np.abs(union - full)) <= 1e-10 * full.max()
    check("the union of the D4 sector spectra equals the full spectrum (1e-10 of λ_max)", ok,
          f"{np.max(np.abs(union - full)) / full.max() if union.shape == full.shape else (union.shape, full.shape)}")
    xs = x.reshape(len(x), -1)
    p = sum(g.reshape(len(x), -1) for g in d4_images(x)) / 8
    c = np.cov(p, rowvar=False)
    ref = np.sort(np.linalg.eigvalsh(c))[-dims["A1"]:]
    check("A1 levels equal numpy's covariance of the A1-projected samples (1e-10)", np.max(np.abs(a1 - ref)) <= 1e-10 * ref.max())
    del xs


def ns2d_checks(cascade, work):
    out = os.path.join(work, "ns2d")
    job = os.path.join(work, "ns2d.toml")
    with open(job, "w") as f:
        f.write('kind = "ns2d"\n[grid]\nn = 32\n[physics]\nviscosity = 1e-6\nviscosity_order = 2\n[time]\nt_end = 40.0\n'
                'dt = 0.02\nadaptive = true\ncfl = 0.5\n[init]\ntype = "random"\nk_peak = 6.0\nenergy = 0.5\n[output]\n'
                'snapshot_interval = 0.125\ndiagnostics_interval = 1.0\nspectra_interval = 10.0\nstatistics_interval = 10.0\ncheckpoint_interval = 100.0\n')
    code, so, se = cascade_run(cascade, 2, job, out)
    if not check("ns2d 32² decaying run for snapshots exits 0", code == 0, (so + se)[-3000:]):
        return
    snapshots = os.path.join(out, "snapshots.h5")
    code, text, path = covariance(cascade, work, "ns2d-nulls", 2,
                                  f'type = "hdf5"\nfile = "{snapshots}"\ndataset = "vorticity"\nfirst = 40\ncoarse = [4, 4]',
                                  'models = ["phase", "shuffle", "wishart"]\nrepeats = 8', "bootstrap = 16\nsectors = true")
    if not check("ns2d snapshots (8 × 8 coarse-grained), three nulls, bootstrap and sectors exit 0", code == 0, text[-3000:]):
        return
    with h5py.File(path, "r") as h:
        print(f"     ns2d vorticity snapshots: {int(h.attrs['samples'])} samples × {int(h.attrs['features'])} features (recorded, not asserted):")
        z = []
        for m in ("phase", "shuffle", "wishart"):
            report(h, m, ("mean_gap_ratio", "entropy", "alpha", "sigma2_L10", "delta3_L10"))
            z += [comparison(h, m, c)["z"] for c in ("mean_gap_ratio", "entropy")]
        for g in ("A1", "A2", "B1", "B2", "E"):
            a = h[f"sectors/{g}"]
            print(f"     sector {g}: {int(a.attrs['kept'])} kept levels, ⟨r⟩ = {float(a['gap_ratio'].attrs['mean']):.4f}")
        check("ns2d comparison numbers finite (z of ⟨r⟩ and entropy against each null)", all(np.isfinite(z)), f"{z}")


def sweep_checks(cascade, work):
    job = os.path.join(work, "sweep.toml")
    with open(job, "w") as f:
        f.write('kind = "rmt-sweep"\n[datasets]\nnames = ["white"]\ntypes = ["gaussian"]\n[source]\nsamples = 300\nfeatures = 40\nseed = 9\n'
                '[sweep]\nsizes = [100, 300]\nrepeats = 3\n[statistics]\nlengths = [1.0, 5.0]\nlength_count = 3\nwindows = 100\n')
    out = os.path.join(work, "sweep")
    code, so, se = cascade_run(cascade, 2, job, out)
    if not check("rmt-sweep with provenance exits 0", code == 0, (so + se)[-3000:]):
        return
    with h5py.File(os.path.join(out, "sweep.h5"), "r") as h:
        g = h["white"]
        check("rmt-sweep records the subset key and rule", int(g.attrs["subset_seed"]) == 9 ^ 0x5AB5E7 and "stream = k" in g.attrs["subset_rule"]
              and int(h.attrs["ddof"]) == 1 and list(g.attrs["field_shape"]) == [40])
        std = g["std"][...]
        columns = h.attrs["columns"].split(",")
        r = columns.index("mean_gap_ratio")
        check("the spread over repeats vanishes at M = N (every subset is the whole dataset)", std[1, r] == 0 and std[0, r] > 0,
              f"std of ⟨r⟩ at M = 100, 300: {std[:, r]}")


def refusal_checks(cascade, work):
    cases = [
        ("phase of powerlaw data", 'type = "powerlaw"\nsamples = 100\nfeatures = 20', 'models = ["phase"]', "", "null.models"),
        ("unknown null model", 'type = "gaussian"\nsamples = 100\nfeatures = 20', 'models = ["wishard"]', "", "null.models"),
        ("nulls of a spectrum", 'type = "goe"\nsize = 100', 'models = ["wishart"]', "", "null.models"),
        ("sectors of synthetic data", 'type = "gaussian"\nsamples = 100\nfeatures = 16', "", "sectors = true", "statistics.sectors"),
    ]
    for name, source, null, statistics, key in cases:
        code, text, _ = covariance(cascade, work, "bad", 1, source, null, statistics)
        check(f"refused: {name} (exit 2, names {key})", code == 2 and key in text, f"exit {code}: {text[-800:]}")
    rng = np.random.default_rng(3)
    path = os.path.join(work, "rect.h5")
    with h5py.File(path, "w") as h:
        h["fields"] = rng.standard_normal((50, 4, 6))
    code, text, _ = covariance(cascade, work, "rect", 2, f'type = "hdf5"\nfile = "{path}"\ndataset = "fields"', "", "sectors = true")
    check("refused: sectors of a 4 × 6 field (exit 1, names statistics.sectors)", code == 1 and "statistics.sectors" in text and "4, 6" in text,
          f"exit {code}: {text[-800:]}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cascade", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--only", default="")
    a = ap.parse_args()
    cascade = os.path.abspath(a.cascade)
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    for name, f in [("white", white_checks), ("phase", phase_checks), ("ranks", rank_checks), ("sectors", sector_checks),
                    ("refusal", refusal_checks), ("sweep", sweep_checks), ("ns2d", ns2d_checks)]:
        if not a.only or name in a.only.split(","):
            f(cascade, a.work)
    print(f"{results['passed']} passed, {results['failed']} failed")
    sys.exit(1 if results["failed"] else 0)


if __name__ == "__main__":
    main()
