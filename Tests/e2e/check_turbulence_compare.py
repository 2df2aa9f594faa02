#!/usr/bin/env python3
"""End-to-end checks of the turbulence-compare job, run as a user runs it, outputs read with h5py.

- a small stationary ns2d run (32², 1 rank, ~6 s) split in halves, plus white noise written with
  h5py in the snapshots layout (same N and rms vorticity): the halves give exponents ζ_p equal within
  their bootstrap error bars (|Δζ| < 3σ) and spectra within 50% per shell; the noise gives large
  distances (every ζ_p > 3σ away, velocity JS and KS far above the halves', spectrum off by > 5×
  in some shell) and a larger novelty;
- the file's statistics against numpy: the mean shell spectrum, longitudinal ⟨|δu_L|^p⟩, the
  PDF histograms, their JS/KS distances, and the novelty of a noise field (min over the 8 D4
  elements and every translation, recomputed with numpy FFTs);
- the same file on 1, 2 and 3 ranks (every dataset and attribute equal: fields are spread over the ranks);
- `novelty.file` naming the first half's frames gives the first input's novelty (a field is never
  compared with the same frame of the same file);
- coarse-graining (`inputs.coarsen`, `novelty.coarsen`): the run's frames block-averaged 2 × 2 by
  numpy (reshape-mean) as an input give the same statistics, to round-off, as the run's file with
  coarsen 2; a samples-like coarse file (other frames, coarse-grained by numpy, plus a copy of a
  training frame) compares with the coarse-grained run, its novelty against `novelty.file` with
  `novelty.coarsen` = 2 equals numpy's and is ~0 for the copy; the coarse grid keeps the box, so the
  large-scale spectrum and ⟨|δu_L|²⟩ at equal physical separation match the fine run's;
- float32 and int16 vorticity (samples written by other codes) give the statistics of the same values
  stored as float64;
- bad inputs refused before any output, naming the key and the file: a missing file and dataset,
  a dataset of strings, non-square fields, different N, an empty frame range, NaN in a frame (input and reference), a
  one-field reference set that is the field itself, conflicting novelty keys; a coarsening that
  does not divide N, leaves fewer than 4 points per side, has the wrong number of entries, gives
  different N after coarse-graining (the message suggests the factor), `novelty.coarsen` without
  `novelty.file` or not dividing its N.
Prints PASS/FAIL lines and ends with `N passed, M failed`.
"""
import os
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_cli import check, cli_main, run, run_job  # noqa: E402

N = 32
NS2D_SETS = ["grid.n=32", "time.t_end=84.0", "time.adaptive=false", "time.dt=0.01", "forcing.kf=6.0",
             "physics.damping=1.0", "output.snapshot_interval=2.0", "output.snapshot_start=4",
             "output.average_start=4", "output.spectra_interval=4", "output.statistics_interval=4",
             "output.checkpoint_interval=100"]
# Frames 1-20 (t = 4…42) and 21-40 (t = 44…82), 2 time units apart with drag α = 1 (the energy
# relaxes in 1/(2α) = 0.5), so the bootstrap over frames sees nearly independent fields. With α = 0.3
# and frames 1 apart the halves of some forcing seeds differed by 5 error bars: correlated frames make
# bootstrap errors too small. With these settings forcing seeds 1-6 gave |Δζ|/σ ≤ 1.8 for the halves
# and ≥ 4.2 for the noise.
HALVES = ([1, 21], [20, 20])


def job_text(files, names, extra=""):
    return f"""kind = "turbulence-compare"
name = "check"
[inputs]
names = {names!r}
files = {files!r}
[structure]
fit_range = [2, 6]
[bootstrap]
repeats = 100
[dissipation]
viscosity = 1e-14
viscosity_order = 4
[third_order]
epsilon = 0.1
{extra}""".replace("'", '"')


def compare(cascade, work, name, text, ranks=1, sets=()):
    code, log, out = run_job(cascade, work, name, text, ranks, sets)
    return code, log, os.path.join(out, "turbulence_compare.h5")


def velocity(w):
    """u = ∂yψ, v = −∂xψ with ∇²ψ = −ω, Nyquist modes dropped (as the job)."""
    n = w.shape[-1]
    m = np.fft.fftfreq(n, 1 / n)
    my, mx = np.meshgrid(m, m, indexing="ij")
    k2 = mx ** 2 + my ** 2
    keep = (k2 > 0) & (np.abs(mx) < n / 2) & (np.abs(my) < n / 2)
    psi = np.where(keep, np.fft.fft2(w) / np.where(k2 > 0, k2, 1), 0)
    return np.fft.ifft2(1j * my * psi).real, np.fft.ifft2(-1j * mx * psi).real


def shell_spectrum(w):
    n = w.shape[-1]
    m = np.fft.fftfreq(n, 1 / n)
    my, mx = np.meshgrid(m, m, indexing="ij")
    m2 = mx ** 2 + my ** 2
    hat = np.fft.fft2(w) / n ** 2
    e = np.zeros(n // 2 + 1)
    shell = np.floor(np.sqrt(m2) + 0.5).astype(int)
    ok = (m2 > 0) & (shell <= n // 2)
    np.add.at(e, shell[ok], 0.5 * np.abs(hat[ok]) ** 2 / m2[ok])
    return e


def structure(u, v, r, p):
    dx = np.roll(u, -r, axis=1) - u
    dy = np.roll(v, -r, axis=0) - v
    return 0.5 * (np.mean(np.abs(dx) ** p) + np.mean(np.abs(dy) ** p))


def d4(w):
    """The 8 images of ω under the box symmetries (ω flips sign under reflections)."""
    rots = [np.rot90(w, k) for k in range(4)]
    return rots + [-np.fliplr(r) for r in rots]


def novelty(a, refs):
    best = np.inf
    fa = np.fft.fft2(a)
    for b in refs:
        for g in d4(b):
            corr = np.fft.ifft2(fa * np.conj(np.fft.fft2(g))).real
            best = min(best, np.sqrt(max(np.sum(a * a) + np.sum(g * g) - 2 * corr.max(), 0)) / np.sqrt(np.sum(a * a)))
    return best


def js(p, q):
    p, q = p / p.sum(), q / q.sum()
    m = 0.5 * (p + q)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 0.5 * np.nansum(np.where(p > 0, p * np.log(p / m), 0)) + 0.5 * np.nansum(np.where(q > 0, q * np.log(q / m), 0))


def same_value(a, b):
    """Equal values, NaN equal to NaN (strings compared as they are)."""
    if isinstance(a, (str, bytes)) or isinstance(b, (str, bytes)):
        return a == b
    return np.array_equal(a, b, equal_nan=True)


def write_snapshots(path, frames, box=2 * np.pi):
    with h5py.File(path, "w") as h:
        h["vorticity"] = frames
        h.attrs["box_length"] = box
        h.attrs["n"] = frames.shape[-1]
    return path


def main_checks(cascade, work):
    code, so, se = run([cascade, "run", os.path.join("jobs", "ns2d-inverse-cascade.toml"), "--out", os.path.join(work, "ns2d"),
                        "--overwrite"] + [x for s in NS2D_SETS for x in ("--set", s)])
    if not check("small ns2d run (32², t = 84) exits 0", code == 0, se[-2000:]):
        return
    snapshots = os.path.join(work, "ns2d", "snapshots.h5")
    with h5py.File(snapshots) as h:
        omega = h["vorticity"][()]
    rng = np.random.default_rng(5)
    noise = rng.standard_normal((20, N, N)) * omega[1:].std()
    noise_file = write_snapshots(os.path.join(work, "noise.h5"), noise)

    names = ["first_half", "second_half", "noise"]
    text = job_text([snapshots, snapshots, noise_file], names)
    text = text.replace("[structure]", f"first = [{HALVES[0][0]}, {HALVES[0][1]}, 0]\ncount = [{HALVES[1][0]}, {HALVES[1][1]}, 0]\n[structure]")
    code, log, out1 = compare(cascade, work, "one", text)
    if not check("turbulence-compare of halves and noise exits 0 on 1 rank", code == 0, log[-3000:]):
        return
    check("the summary prints ζ_p ± error for every input", all(f"{n} (" in log for n in names) and log.count("ζ6 = ") == 3, log[-2000:])
    outs = {}
    for ranks in (2, 3):
        code, log2, outs[ranks] = compare(cascade, work, f"ranks{ranks}", text, ranks=ranks)
        check(f"turbulence-compare exits 0 on {ranks} ranks", code == 0, log2[-3000:])

    with h5py.File(out1) as f:
        zeta = {n: f[n]["zeta"][()] for n in names}
        err = {n: f[n]["zeta_error"][()] for n in names}
        for n in names:
            check(f"{n}: ζ_p and their bootstrap errors are finite and positive",
                  np.all(np.isfinite(zeta[n])) and np.all(err[n] > 0), f"{zeta[n]} ± {err[n]}")
        diff = np.abs(zeta["first_half"] - zeta["second_half"]) / np.hypot(err["first_half"], err["second_half"])
        check(f"halves: ζ_2…ζ_6 equal within their error bars (|Δζ|/σ = {np.round(diff, 2)} < 3)", np.all(diff < 3))
        check("halves: /comparison/zeta_difference_sigma holds those ratios",
              np.allclose(np.abs(f["comparison/zeta_difference_sigma"][1]), diff, rtol=1e-12))
        sigma_noise = np.abs(f["comparison/zeta_difference_sigma"][2])
        check(f"noise: every ζ_p many error bars away ({np.round(sigma_noise, 1)}σ > 3σ)", np.all(sigma_noise > 3))
        vjs, wjs = f["comparison/velocity_js"][()], f["comparison/vorticity_js"][()]
        vks, wks = f["comparison/velocity_ks"][()], f["comparison/vorticity_ks"][()]
        # The noise has the simulation's rms vorticity, and the one-point vorticity PDF of this small
        # run is itself close to Gaussian: the vorticity distances are small for both (not checked);
        # the velocity, dominated by the large scales, tells them apart.
        check(f"noise: velocity PDF distances (JS {vjs[2, 0]:.4f}, KS {vks[2, 0]:.3f}) far above the halves' "
              f"({vjs[1, 0]:.4f}, {vks[1, 0]:.3f})", vjs[2, 0] > 5 * vjs[1, 0] and vks[2, 0] > 2 * vks[1, 0])
        check("distance matrices are symmetric with a zero diagonal",
              all(np.allclose(m, m.T, atol=1e-15) and np.all(np.diag(m) == 0) for m in (vjs, wjs, vks, wks)))
        rel = f["comparison/spectrum_relative_difference"][()]
        e0 = f["first_half"]["energy_spectrum"][()]
        resolved = np.flatnonzero(e0 > 1e-12 * e0.max())[1:]   # the dealiased shells hold ~1e-31
        halves_max, noise_max = np.abs(rel[1, resolved]).max(), np.abs(rel[2, resolved]).max()
        check(f"spectrum per resolved shell: halves within {halves_max:.2f} < 0.5, noise off by {noise_max:.1f} > 5",
              halves_max < 0.5 and noise_max > 5)
        med = f["comparison/novelty_median"][()]
        check(f"novelty medians: noise {med[2]:.3f} above the second half's {med[1]:.3f}", med[2] > med[1])

        # Against numpy.
        frames = {n: f[n]["frames"][()] for n in names}
        check("frames of every input as asked", list(frames["first_half"]) == list(range(1, 21))
              and list(frames["second_half"]) == list(range(21, 41)) and list(frames["noise"]) == list(range(20)))
        fields = {"first_half": omega[frames["first_half"]], "second_half": omega[frames["second_half"]], "noise": noise}
        seps = f["separations"][()]
        worst_spectrum = worst_sf = 0.0
        for n in names:
            e = np.mean([shell_spectrum(w) for w in fields[n]], axis=0)
            worst_spectrum = max(worst_spectrum, np.max(np.abs(f[n]["energy_spectrum"][()] - e)) / e.max())
            vel = [velocity(w) for w in fields[n]]
            sf = np.array([[np.mean([structure(u, v, r, p) for u, v in vel]) for r in seps] for p in range(2, 7)])
            worst_sf = max(worst_sf, np.max(np.abs(f[n]["structure_functions"][()] - sf) / sf))
        check(f"mean shell spectra equal numpy's (max relative difference {worst_spectrum:.1e})", worst_spectrum < 1e-10)
        check(f"⟨|δu_L|^p⟩, p = 2…6, equal numpy's (max relative difference {worst_sf:.1e})", worst_sf < 1e-10)
        bins = f["vorticity_bins"][()]
        width = bins[1] - bins[0]
        edges = np.concatenate([[bins[0] - width / 2], bins + width / 2])
        counts = {}
        for n in names:
            x = np.clip(fields[n].ravel(), edges[0], edges[-1] - 1e-12 * width)
            counts[n] = np.histogram(x, edges)[0].astype(float)
            pdf = counts[n] / (counts[n].sum() * width)
            check(f"{n}: vorticity PDF equals numpy's histogram on the common bins",
                  np.allclose(f[n]["vorticity_pdf"][()], pdf, rtol=1e-12, atol=1e-14 / width))
        check("vorticity JS and KS equal numpy's from those histograms",
              abs(js(counts["noise"], counts["first_half"]) - wjs[2, 0]) < 1e-12
              and abs(np.max(np.abs(np.cumsum(counts["noise"]) / counts["noise"].sum()
                                    - np.cumsum(counts["first_half"]) / counts["first_half"].sum())) - wks[2, 0]) < 1e-12)
        ref = fields["first_half"]
        want = [novelty(fields["noise"][i], ref) for i in range(3)]
        got = f["noise"]["novelty"][:3]
        check(f"novelty of noise fields equals numpy's D4 × translation search ({got.round(4)} vs {np.round(want, 4)})",
              np.allclose(got, want, rtol=1e-10))
        want_self = novelty(ref[4], np.delete(ref, 4, axis=0))
        check(f"novelty of a first-half field leaves its own frame out ({f['first_half']['novelty'][4]:.4f} vs numpy {want_self:.4f})",
              abs(f["first_half"]["novelty"][4] - want_self) < 1e-10)
        novelty_first = f["first_half"]["novelty"][()]
        check("root attributes name the novelty reference", f.attrs["novelty_reference"] == "first_half"
              and list(f["novelty_reference_frames"][()]) == list(range(1, 21)))

    for ranks, out2 in outs.items():
        if not os.path.exists(out2):
            continue
        same, different = 0, []
        with h5py.File(out1) as a, h5py.File(out2) as b:
            def visit(name, obj):
                nonlocal same
                for key, value in obj.attrs.items():
                    if not same_value(value, b[name].attrs[key]):
                        different.append(f"{name}@{key}")
                if isinstance(obj, h5py.Dataset):
                    if np.array_equal(obj[()], b[name][()], equal_nan=True):
                        same += 1
                    else:
                        different.append(name)
            a.visititems(visit)
            different += [f"@{k}" for k, v in a.attrs.items() if k != "ranks" and not same_value(v, b.attrs[k])]
        check(f"1 and {ranks} ranks write the same values ({same} datasets and their attributes equal)", not different and same > 20, str(different))

    coarsen_checks(cascade, work, snapshots, omega, out1)
    dtype_checks(cascade, work, omega)

    # The reference set from a separate file: the first half's frames of the snapshots file.
    text2 = job_text([snapshots, snapshots], names[:2],
                     f'[novelty]\nfile = "{snapshots}"\nfirst = {HALVES[0][0]}\ncount = {HALVES[1][0]}\n')
    text2 = text2.replace("[structure]", f"first = {HALVES[0]}\ncount = {HALVES[1]}\n[structure]")
    code, log, out3 = compare(cascade, work, "reference-file", text2)
    if check("novelty.file as the reference set exits 0", code == 0, log[-2000:]):
        with h5py.File(out3) as f:
            check("novelty.file with the first half's frames gives the first input's novelty (own frames left out)",
                  np.array_equal(f["first_half"]["novelty"][()], novelty_first))
            check("its attributes name the file", f.attrs["novelty_reference"] == "novelty.file"
                  and f.attrs["novelty_reference_file"] == snapshots)


def block_means(frames, c):
    """c × c block means of frames × N × N (the train kind's `data.coarsen`)."""
    t, n, _ = frames.shape
    return frames.reshape(t, n // c, c, n // c, c).mean(axis=(2, 4))


def coarsen_checks(cascade, work, snapshots, omega, fine_out):
    c = 2
    first, count = HALVES[0][0], HALVES[1][0]
    train = omega[first:first + count]                   # the "training frames": the first half
    coarse_train = write_snapshots(os.path.join(work, "coarse_train.h5"), block_means(train, c))
    # Samples-like: coarse frames of the second half, and frame 3 of the training set copied in.
    samples = block_means(omega[HALVES[0][1]:HALVES[0][1] + 10], c)
    samples[7] = block_means(train[3:4], c)[0]
    samples_file = write_snapshots(os.path.join(work, "samples.h5"), samples)
    names = ["numpy_coarse", "run_coarse", "samples"]
    text = job_text([coarse_train, snapshots, samples_file], names,
                    f'[novelty]\nfile = "{snapshots}"\nfirst = {first}\ncount = {count}\ncoarsen = {c}\n')
    text = text.replace("[structure]", f"first = [0, {first}, 0]\ncount = [0, {count}, 0]\ncoarsen = [1, {c}, 1]\n[structure]")
    code, log, out = compare(cascade, work, "coarsen", text)
    if not check("coarse-grained run vs numpy-coarsened frames vs samples-like coarse file exits 0", code == 0, log[-3000:]):
        return
    check("the summary and log print the coarsening", "32² coarse-grained by 2" in log and "`inputs.coarsen[1]`" in log
          and "`novelty.coarsen`" in log, log[-2000:])
    with h5py.File(out) as f, h5py.File(fine_out) as fine:
        check("coarsening and stored_n attributes per input, novelty_reference_coarsening at the root",
              [f[n].attrs["coarsening"] for n in names] == [1, c, 1] and [f[n].attrs["stored_n"] for n in names] == [16, 32, 16]
              and f.attrs["novelty_reference_coarsening"] == c, str({n: dict(f[n].attrs) for n in names}))
        a, b = f["numpy_coarse"], f["run_coarse"]
        worst, compared = 0.0, 0
        for key in a:
            if key.startswith("novelty") or key == "frames":
                continue
            x, y = a[key][()], b[key][()]
            ok = np.isfinite(x) & np.isfinite(y)
            if not np.array_equal(np.isfinite(x), np.isfinite(y)):
                worst = np.inf
            scale = max(np.abs(x[ok]).max(initial=0), 1e-300)
            worst = max(worst, np.abs(x[ok] - y[ok]).max(initial=0) / scale)
            compared += 1
        for key in ("energy", "enstrophy", "mean_dissipation", "plateau", "plateau_error"):
            worst = max(worst, abs(a.attrs[key] - b.attrs[key]) / abs(a.attrs[key]))
        check(f"inputs.coarsen = 2 on the run equals numpy's reshape-mean file with 1 ({compared} datasets, max relative difference {worst:.1e})",
              compared >= 10 and worst < 1e-10)
        coarse_fields = block_means(train, c)
        e = np.mean([shell_spectrum(w) for w in coarse_fields], axis=0)
        check("the coarse spectrum equals numpy's of the block means (same box: k in the same units)",
              np.allclose(b["energy_spectrum"][()], e, rtol=1e-10, atol=1e-12 * e.max()) and len(f["k"]) == 16 // 2 + 1
              and np.allclose(f["k"][()], fine["k"][: 16 // 2 + 1]))
        e_fine = fine["first_half"]["energy_spectrum"][()]
        low = np.abs(b["energy_spectrum"][1:3] / e_fine[1:3] - 1)
        check(f"coarse and fine spectra agree at the largest scales k = 1, 2 (|ratio − 1| = {low.round(3)} < 0.15)", np.all(low < 0.15))
        seps, fine_seps = list(f["separations"][()]), list(fine["separations"][()])
        pairs = [(seps.index(s), fine_seps.index(c * s)) for s in seps if c * s in fine_seps and s >= 2]
        s2 = np.array([b["structure_functions"][0, i] / fine["first_half"]["structure_functions"][0, j] for i, j in pairs])
        # The block means filter out part of the energy at the forcing scale (kf = 6 of a 16² grid):
        # at equal physical separation ⟨|δu_L|²⟩ loses the same fraction as the energy, at every r.
        lost = b.attrs["energy"] / fine["first_half"].attrs["energy"]
        check(f"⟨|δu_L|²⟩ at equal physical separation (coarse r = {[int(seps[i]) for i, _ in pairs]} vs fine 2r): ratios "
              f"{s2.round(3)} within 10% of the energy ratio {lost:.3f}", len(pairs) >= 3 and np.all(np.abs(s2 / lost - 1) < 0.1))
        r_physical = f["separations"][()] * 2 * np.pi / 16
        check("S₃/(εr) uses the coarse spacing: r = separation × box/(N/c)",
              np.allclose(b["third_order"][()] * f.attrs["epsilon"] * r_physical, b["structure_functions_signed"][1], rtol=1e-12))
        got = f["samples"]["novelty"][()]
        want = [novelty(samples[i], coarse_fields) for i in (0, 1, 7)]
        check(f"samples' novelty against novelty.file coarse-grained by 2 equals numpy's ({got[[0, 1, 7]].round(4)} vs {np.round(want, 4)})",
              np.allclose(got[[0, 1]], want[:2], rtol=1e-9) and abs(got[7] - want[2]) < 1e-6)
        check(f"the copied training frame is found: novelty {got[7]:.1e} ≈ 0 at reference frame 3, the others above 0.1 (median {np.median(got):.3f})",
              got[7] < 1e-6 and f["samples"]["novelty_nearest"][7] == 3 and np.delete(got, 7).min() > 0.1)
        own = b["novelty"][()]
        check("run_coarse (the reference file at the same coarsening) leaves its own frames out",
              own.min() > 1e-3 and abs(own[4] - novelty(coarse_fields[4], np.delete(coarse_fields, 4, axis=0))) < 1e-9)


def dtype_checks(cascade, work, omega):
    """float32 and int16 vorticity (other codes' samples) read as float64: equal to a float64 file of the same values."""
    frames = omega[1:21]
    as32 = frames.astype(np.float32)
    scale = 3000 / np.abs(frames).max()
    as16 = np.round(frames * scale).astype(np.int16)
    files = [write_snapshots(os.path.join(work, "f64_of_f32.h5"), as32.astype(np.float64)),
             write_snapshots(os.path.join(work, "f32.h5"), as32),
             write_snapshots(os.path.join(work, "f64_of_i16.h5"), as16.astype(np.float64)),
             write_snapshots(os.path.join(work, "i16.h5"), as16)]
    names = ["f64_of_f32", "f32", "f64_of_i16", "i16"]
    with h5py.File(files[1]) as h, h5py.File(files[3]) as g:
        stored = (h["vorticity"].dtype, g["vorticity"].dtype)
    code, log, out = compare(cascade, work, "dtypes", job_text(files, names))
    if not check(f"float32 and int16 vorticity files ({stored[0]}, {stored[1]}) are compared (exit 0)", code == 0, log[-3000:]):
        return
    with h5py.File(out) as f:
        for wide, narrow in (("f64_of_f32", "f32"), ("f64_of_i16", "i16")):
            a, b = f[wide], f[narrow]
            different = [k for k in a if not k.startswith("novelty") and not np.array_equal(a[k][()], b[k][()], equal_nan=True)]
            different += [k for k in a.attrs if k != "file" and not k.startswith("novelty") and not same_value(a.attrs[k], b.attrs[k])]
            check(f"{narrow} gives the statistics of the same values stored as float64 ({len(a)} datasets, all but novelty equal)",
                  not different and len(a) > 10, str(different))
        check("the float32 copy of a reference frame has novelty 0", np.all(f["f32"]["novelty"][()] < 1e-6))


def bad_inputs(cascade, work):
    good = os.path.join(work, "good.h5")
    rng = np.random.default_rng(1)
    write_snapshots(good, rng.standard_normal((6, 16, 16)))
    with_nan = rng.standard_normal((6, 16, 16))
    with_nan[2, 3, 4] = np.nan
    nan_file = write_snapshots(os.path.join(work, "nan.h5"), with_nan)
    flat = write_snapshots(os.path.join(work, "flat.h5"), rng.standard_normal((6, 16, 8)))
    small = write_snapshots(os.path.join(work, "small.h5"), rng.standard_normal((6, 8, 8)))
    strings = os.path.join(work, "strings.h5")
    with h5py.File(strings, "w") as h:
        h["vorticity"] = np.full((6, 16, 16), b"x", dtype="S1")
    cases = [
        ("a missing file", [good, os.path.join(work, "nope.h5")], "", ["inputs.files[1]", "nope.h5", "no such file"]),
        ("a missing dataset", [good, good], 'dataset = "omega"\n', ["inputs.files[0]", "/omega"]),
        ("a vorticity dataset of strings", [good, strings], "", ["inputs.files[1]", "strings.h5", "not numbers"]),
        ("non-square fields", [good, flat], "", ["inputs.files[1]", "flat.h5", "not square"]),
        ("different N", [good, small], "", ["inputs.files[1]", "small.h5", "N = 8", "N = 16", "set `inputs.coarsen[0]` = 2"]),
        ("a coarsening that does not divide N", [good, good], "coarsen = [3, 1]\n", ["inputs.coarsen[0]", "good.h5", "3 does not divide 16"]),
        ("a coarsening below 4 points per side", [good, good], "coarsen = [8, 8]\n", ["inputs.coarsen[0]", "good.h5", "below 4 × 4"]),
        ("inputs.coarsen of the wrong length", [good, good], "coarsen = [2]\n", ["inputs.coarsen", "1 entries for 2"]),
        ("different N after coarse-graining", [good, good], "coarsen = [1, 2]\n",
         ["inputs.files[1]", "N = 16/2 = 8 after coarse-graining", "N = 16", "set `inputs.coarsen[1]` = 1", "set `inputs.coarsen[0]` = 2"]),
        ("a larger second input", [small, good], "", ["inputs.files[1]", "good.h5", "set `inputs.coarsen[1]` = 2"]),
        ("novelty.coarsen without novelty.file", [good, good], "[novelty]\ncoarsen = 2\n", ["novelty.coarsen", "novelty.file"]),
        ("novelty.coarsen that does not divide the file's N", [good, good], f'[novelty]\nfile = "{good}"\ncoarsen = 3\n',
         ["novelty.coarsen", "good.h5", "3 does not divide 16"]),
        ("an empty frame range", [good, good], "first = [0, 6]\n", ["inputs.first[1]", "good.h5", "empty"]),
        ("NaN in a frame", [good, nan_file], "", ["inputs.files[1]", "nan.h5", "frame 2", "NaN"]),
        ("a one-field reference that is the field itself", [good, good], "first = [0, 1]\ncount = [1, 3]\n",
         ["novelty", "one field", "never compared with itself"]),
        ("NaN in the novelty reference file", [good, good], f'[novelty]\nfile = "{nan_file}"\n', ["novelty.file", "nan.h5", "frame 2"]),
        ("a bootstrap block longer than an input", [good, good], "count = [6, 3]\n",
         ["bootstrap.block", "input b", "3 fields"], ["bootstrap.block=4"]),
        ("novelty.reference and novelty.file together", [good, good], f'[novelty]\nreference = "a"\nfile = "{good}"\n', ["novelty.file"]),
    ]
    for label, files, extra, needles, *sets in cases:
        inputs_extra, _, rest = extra.partition("[novelty]")
        text = job_text(files, ["a", "b"], ("[novelty]" + rest) if rest or "[novelty]" in extra else "")
        text = text.replace("[structure]", inputs_extra + "[structure]")
        code, log, out = compare(cascade, work, "bad", text, sets=sets[0] if sets else ())
        check(f"refused: {label} (exit {code}, names {needles})",
              code != 0 and all(s in log for s in needles) and not os.path.exists(out) and "Traceback" not in log,
              log[-1500:])


def main():
    def body(cascade, work):
        main_checks(cascade, work)
        bad_inputs(cascade, work)
    cli_main(body)


if __name__ == "__main__":
    main()
