#!/usr/bin/env python3
"""End-to-end checks of the covariance job with `matrix.layout = "distributed"` (ScaLAPACK).

Writes a dataset with h5py, runs the job on 1-4 ranks (grids 1x1, 1x2, 1x3, 2x2) with a block size
that divides neither d nor n, and compares with scipy.linalg.eigh of np.cov / np.corrcoef / the Gram
matrix: eigenvalues to 1e-12 of the largest, eigenvectors (written in parallel from the block-cyclic
layout) to 1e-10 up to sign where the eigenvalue is separated from its neighbours, the matrix itself
to 1e-12; the file's layout attributes; `auto` choosing replicated for a small matrix and distributed
under a small CASCADE_MEMORY_LIMIT, and saying so in the log. Ends with `N passed, M failed`.
"""
import argparse
import os
import shutil
import sys

import h5py
import numpy as np
import scipy.linalg

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_cli import ROOT, check, results, run  # noqa: E402  (shared PASS/FAIL counting)


def run_job(cascade, work, name, ranks, matrix, env=None):
    out = os.path.join(work, f"{name}-np{ranks}")
    job = os.path.join(work, f"{name}.toml")
    with open(job, "w") as f:
        f.write(f'kind = "covariance"\n[source]\ntype = "hdf5"\nfile = "{work}/data.h5"\ndataset = "x"\n'
                f'[matrix]\n{matrix}\n')
    cmd = [os.path.join(ROOT, "cluster/mpirun.sh"), "-np", str(ranks)]
    if env:
        for k, v in env.items():
            cmd += ["-x", f"{k}={v}"]
    code, so, se = run(cmd + [cascade, "run", job, "--out", out, "--overwrite"])
    return code, so + se, os.path.join(out, "rmt.h5")


def compare_vectors(ref_values, ref_vectors, vectors):
    """Largest |v − ±v_ref| over eigenvalues separated by more than 1e-6 of the largest, and how many."""
    scale = np.max(np.abs(ref_values))
    gaps = np.diff(ref_values)
    below = np.concatenate([[np.inf], gaps])
    above = np.concatenate([gaps, [np.inf]])
    separated = np.minimum(below, above) > 1e-6 * scale
    signs = np.sign(np.sum(ref_vectors * vectors, axis=0))
    worst = np.max(np.abs(vectors * signs - ref_vectors)[:, separated]) if separated.any() else 0.0
    return worst, int(separated.sum())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cascade", required=True)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    cascade = os.path.abspath(args.cascade)
    work = os.path.abspath(args.work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    rng = np.random.default_rng(14)
    n, d = 157, 101  # neither divisible by the block size 24
    x = rng.standard_normal((n, d)) @ (rng.standard_normal((d, d)) * 0.2 + np.diag(1 + 0.05 * np.arange(d))) + 3.0
    with h5py.File(os.path.join(work, "data.h5"), "w") as h:
        h["x"] = x
    xc = x - x.mean(axis=0)
    references = {
        "covariance": np.cov(x, rowvar=False),
        "correlation": np.corrcoef(x, rowvar=False),
        "gram": xc @ xc.T / d,
    }
    for kind, reference in references.items():
        ref_values, ref_vectors = scipy.linalg.eigh(reference)
        for ranks, grid in [(1, [1, 1]), (2, [1, 2]), (3, [1, 3]), (4, [2, 2])]:
            label = f"distributed {kind} np={ranks}"
            code, log, path = run_job(cascade, work, f"{kind}", ranks,
                                      f'type = "{kind}"\nlayout = "distributed"\nblock_size = 24\nvectors = true\nwrite = true')
            if not check(f"{label}: job succeeds", code == 0, log[-2000:]):
                continue
            check(f"{label}: the log names the layout", "matrix layout distributed" in log, log[-1500:])
            with h5py.File(path, "r") as h:
                values, vectors, matrix = h["eigenvalues"][:], h["eigenvectors"][:], h["matrix"][:]
                attrs = dict(h.attrs)
            check(f"{label}: layout attributes", attrs.get("matrix_layout") == "distributed"
                  and list(attrs.get("process_grid", [])) == grid and attrs.get("block_size") == 24
                  and attrs.get("eigen_routine") == "pdsyevd", str(attrs))
            scale = np.max(np.abs(ref_values))
            check(f"{label}: matrix equals numpy's to 1e-12", np.max(np.abs(matrix - reference)) <= 1e-12 * np.max(np.abs(reference)),
                  f"{np.max(np.abs(matrix - reference))}")
            err = np.max(np.abs(values - ref_values)) / scale
            check(f"{label}: eigenvalues equal scipy's to 1e-12 of the largest", err <= 1e-12, f"{err}")
            worst, compared = compare_vectors(ref_values, ref_vectors, vectors)
            check(f"{label}: eigenvectors (columns) equal scipy's to 1e-10 up to sign ({compared} separated)",
                  worst <= 1e-10 and compared >= len(ref_values) // 2, f"{worst}, {compared} compared")
    # Values only: pdsyevr, no /eigenvectors.
    code, log, path = run_job(cascade, work, "values", 2, 'type = "covariance"\nlayout = "distributed"\nblock_size = 24')
    if check("distributed values only: job succeeds", code == 0, log[-2000:]):
        with h5py.File(path, "r") as h:
            ok = "eigenvectors" not in h and h.attrs.get("eigen_routine") == "pdsyevr"
            err = np.max(np.abs(h["eigenvalues"][:] - scipy.linalg.eigh(references["covariance"], eigvals_only=True)))
        check("distributed values only: pdsyevr, no /eigenvectors, eigenvalues = scipy's", ok and err <= 1e-12 * np.max(np.abs(references["covariance"])), f"{err}")
    # auto: replicated for a matrix that fits, distributed when the memory limit says it does not.
    code, log, path = run_job(cascade, work, "auto-small", 2, 'type = "covariance"\nlayout = "auto"\nvectors = true')
    check("auto picks replicated for a small matrix and says why", code == 0 and "matrix layout replicated: auto" in log, log[-1500:])
    code, log, path = run_job(cascade, work, "auto-limited", 2, 'type = "gram"\nlayout = "auto"',
                              env={"CASCADE_MEMORY_LIMIT": str(1_200_000)})
    ok = code == 0 and "matrix layout distributed: auto" in log
    if ok:
        with h5py.File(path, "r") as h:
            ok = h.attrs.get("matrix_layout") == "distributed"
    check("auto picks distributed under a 1.2 MB memory limit (gram 157² values only: 394 kB replicated on rank 0, more than half of 600 kB) and says why", ok, log[-1500:])
    print(f"{results['passed']} passed, {results['failed']} failed")
    sys.exit(0 if results["failed"] == 0 else 1)


if __name__ == "__main__":
    main()
