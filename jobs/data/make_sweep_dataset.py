#!/usr/bin/env python3
"""Writes the dataset of jobs/rmt-sweep-large.toml: M samples x d features, float32, in HDF5 (h5py).

    python3 jobs/data/make_sweep_dataset.py runs/data/sweep-powerlaw.h5 [--samples 1000000] [--features 256]

Samples are Gaussian with a known population covariance: eigenvalues lambda_k = k^-1 (k = 1..d, a bulk
spanning two and a half decades), plus `--spikes` planted eigenvalues of 40 and 20 (signal well above the
Marchenko-Pastur edge at every M of the sweep), in a random orthonormal basis. So what the sweep should
find is known: alpha of the rank-ordered bulk near the population's, the two spikes above the edge, and
the level statistics of a Wishart matrix (sampling noise). The population eigenvalues and basis are
stored beside the samples (/population/eigenvalues, /population/basis). Written in chunks (50 000 samples,
about 51 MB), so memory stays small; about 1 GB and under a minute for the defaults.
"""
import argparse
import os

import h5py
import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("path")
    ap.add_argument("--samples", type=int, default=1_000_000)
    ap.add_argument("--features", type=int, default=256)
    ap.add_argument("--spikes", type=int, default=2, choices=range(0, 3))
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--chunk", type=int, default=50_000)
    a = ap.parse_args()
    if a.samples < 2 or a.features < 2:
        ap.error("--samples and --features must be at least 2")
    rng = np.random.default_rng(a.seed)
    d = a.features
    eigenvalues = 1.0 / np.arange(1, d + 1)
    eigenvalues[: a.spikes] = [40.0, 20.0][: a.spikes]
    basis, _ = np.linalg.qr(rng.standard_normal((d, d)))
    factor = (basis * np.sqrt(eigenvalues)).T  # x = z @ factor has covariance basis diag(lambda) basis^T
    os.makedirs(os.path.dirname(os.path.abspath(a.path)), exist_ok=True)
    temp = a.path + ".partial"
    with h5py.File(temp, "w") as h:
        out = h.create_dataset("samples", shape=(a.samples, d), dtype="float32", chunks=(min(a.chunk, a.samples), d))
        for start in range(0, a.samples, a.chunk):
            m = min(a.chunk, a.samples - start)
            out[start : start + m] = (rng.standard_normal((m, d)) @ factor).astype(np.float32)
        h["population/eigenvalues"] = eigenvalues
        h["population/basis"] = basis
        h.attrs["description"] = "Gaussian samples, population eigenvalues k^-1 with planted spikes (jobs/data/make_sweep_dataset.py)"
        h.attrs["seed"] = a.seed
    os.replace(temp, a.path)  # never a half-written dataset under the final name
    print(f"wrote {a.path}: {a.samples} x {d} float32 ({a.samples * d * 4 / 1e9:.2f} GB), spikes {eigenvalues[:a.spikes].tolist()}")


if __name__ == "__main__":
    main()
