"""empyricalRMT reference for bench/covariance/run.sh (Python 3.10, empyricalrmt 1.1.1).

For each N, reads the GOE levels Cascade used (DIR/levels_N.txt), unfolds them with a degree-9 polynomial,
and computes the level number variance (its default L grid, 0.5…19.9, 98 values) and spectral rigidity
(2…49, 48 values), best of 2 after a warm-up (numba compilation). Prints `name seconds` lines, then
compares with Cascade's answers (DIR/{unfolded,sigma2,delta3}_N.txt): `compare_<what>_N <max rel diff>`.
empyricalRMT's Σ² and Δ₃ are Monte-Carlo estimates (random window centres), so they differ from Cascade's
deterministic window grid by their sampling noise; unfolding should agree to rounding.
"""
import sys
import time

import numpy as np
import scipy.integrate
import scipy.special
from empyricalRMT.eigenvalues import Eigenvalues
from empyricalRMT.smoother import SmoothMethod


def best(f):
    times, out = [], None
    for _ in range(2):
        t0 = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t0)
    return min(times), out


def sigma2_goe(L):
    """Dyson–Mehta GOE number variance (docs/rmt.md), independent of Cascade's implementation."""
    L = np.asarray(L, dtype=float)
    si2, ci2 = scipy.special.sici(2 * np.pi * L)
    si1, _ = scipy.special.sici(np.pi * L)
    gue = (np.log(2 * np.pi * L) + np.euler_gamma + 1 - np.cos(2 * np.pi * L) - ci2) / np.pi ** 2 + L * (1 - 2 / np.pi * si2)
    return 2 * gue + (si1 / np.pi) ** 2 - si1 / np.pi


def delta3_goe(L):
    return np.array([2 / l ** 4 * scipy.integrate.quad(lambda r: (l ** 3 - 2 * l ** 2 * r + r ** 3) * sigma2_goe(max(r, 1e-12)),
                                                        0, l, limit=200)[0] for l in L])


directory = sys.argv[1]
for n in map(int, sys.argv[2:]):
    levels = np.loadtxt(f"{directory}/levels_{n}.txt")
    eigs = Eigenvalues(levels)
    tu, unfolded = best(lambda: eigs.unfold(smoother=SmoothMethod.Polynomial, degree=9))
    l2 = np.arange(0.5, 20, 0.2)
    l3 = np.arange(2, 50, 1, dtype=np.float64)
    unfolded.level_variance(L=l2[:2], show_progress=False)
    unfolded.spectral_rigidity(L=l3[:2], show_progress=False)
    ts, s2 = best(lambda: unfolded.level_variance(L=l2, show_progress=False))
    td, d3 = best(lambda: unfolded.spectral_rigidity(L=l3, show_progress=False))
    print(f"unfold_{n} {tu}")
    print(f"sigma2_{n} {ts}")
    print(f"delta3_{n} {td}")
    ours = {k: np.loadtxt(f"{directory}/{k}_{n}.txt") for k in ("unfolded", "sigma2", "delta3")}
    # empyricalRMT fits N(λ_i) = i + 1 where Cascade fits i + 1/2: compare spacings-level quantities.
    du = np.max(np.abs(np.diff(unfolded.vals) - np.diff(ours["unfolded"]))) / np.mean(np.diff(ours["unfolded"]))
    print(f"compare_unfolded_spacings_{n} {du}")
    print(f"compare_sigma2_{n} {np.max(np.abs(s2['sigma'].values - ours['sigma2']) / ours['sigma2'])}")
    print(f"compare_delta3_{n} {np.max(np.abs(d3['delta'].values - ours['delta3']) / ours['delta3'])}")
    # Which is right: median relative deviation of each from the GOE formulas (the levels are GOE).
    g2, g3 = sigma2_goe(l2), delta3_goe(l3)
    for what, theirs, mine, ref in (("sigma2", s2["sigma"].values, ours["sigma2"], g2), ("delta3", d3["delta"].values, ours["delta3"], g3)):
        print(f"goe_deviation_{what}_{n} empyricalRMT {np.median(np.abs(theirs / ref - 1)):.4f} cascade {np.median(np.abs(mine / ref - 1)):.4f}")
    sys.stdout.flush()
