#!/usr/bin/env python3
"""End-to-end checks of streamed (bounded-memory) reads in the `covariance` and `rmt-sweep` jobs.

Writes datasets with h5py and runs Cascade on 1-4 ranks with small `source.block_rows` (many blocks,
a partial last one): the covariance equals np.cov (1e-12 relative) for float64 and float32 files,
first/stride/samples, crop + coarse-graining and `source.sample_axis = 1` (a features × samples file
stored transposed, which used to be read silently as the wrong matrix); the Gram matrix equals
Xc Xcᵀ/d; rmt-sweep's subsets read as rows give the statistics of the default blocks; NaN found
while streaming is refused naming the sample; a 3-D dataset with sample_axis = 1 is refused.

Memory (issue 14): a 200 000 × 1024 float32 dataset (0.8 GB, written under --work and deleted after)
on 2 ranks peaks below 250 MB per rank (VmHWM of every rank, logged by the job; before streaming each
rank held its float64 share: 950 MB); the memory estimate no longer refuses it with 1 GB per node
(CASCADE_MEMORY_LIMIT), and still refuses its 200 000 × 200 000 Gram matrix naming the keys.
Prints PASS/FAIL lines and ends with `N passed, M failed`.
"""
import argparse
import json
import os
import re
import shutil
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_cli import ROOT, check, results, run  # noqa: E402  (shared PASS/FAIL counting)


def run_job(cascade, work, name, ranks, text, env=None):
    out = os.path.join(work, f"{name}-np{ranks}")
    job = os.path.join(work, f"{name}.toml")
    with open(job, "w") as f:
        f.write(text)
    cmd = [os.path.join(ROOT, "cluster/mpirun.sh"), "-np", str(ranks), cascade, "run", job, "--out", out, "--overwrite"]
    code, so, se = run(cmd, env=dict(os.environ, **(env or {})))
    return code, so + se, out


def covariance_job(source, matrix="write = true"):
    return f'kind = "covariance"\n[source]\ntype = "hdf5"\n{source}\n[matrix]\n{matrix}\n'


def rel(a, b):
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def make_data(work):
    rng = np.random.default_rng(11)
    n = 301
    x = (rng.standard_normal((n, 96)) @ rng.standard_normal((96, 96)) * 0.3 + 20.0).reshape(n, 8, 12)
    path = os.path.join(work, "stream.h5")
    with h5py.File(path, "w") as h:
        h["fields"] = x
        h["fields32"] = x.astype(np.float32)
        h["transposed"] = x.reshape(n, -1).T.copy()            # features × samples
        h["transposed32"] = x.reshape(n, -1).T.astype(np.float32)
        h["wide"] = rng.standard_normal((50, 300))
        bad = x.copy()
        bad[173, 2, 5] = np.inf
        h["with_inf"] = bad
    return path, x


def matrix_checks(cascade, work, path, x):
    n = x.shape[0]
    x32 = x.astype(np.float32).astype(np.float64)
    flat, flat32 = x.reshape(n, -1), x32.reshape(n, -1)
    cases = [
        # (name, source lines, ranks, expected matrix)
        ("float64 blocks of 16", 'dataset = "fields"\nblock_rows = 16', (1, 2, 3, 4), np.cov(flat, rowvar=False)),
        ("float64 default block", 'dataset = "fields"', (2,), np.cov(flat, rowvar=False)),
        ("float32 first/stride/samples blocks of 5", 'dataset = "fields32"\nfirst = 7\nstride = 3\nsamples = 90\nblock_rows = 5',
         (1, 3), np.cov(flat32[7:7 + 3 * 90:3], rowvar=False)),
        ("float32 crop + coarse blocks of 9", 'dataset = "fields32"\ncrop = [2, 8, 0, 12]\ncoarse = [2, 3]\nblock_rows = 9',
         (2, 4), np.cov(x32[:, 2:8, :].reshape(n, 3, 2, 4, 3).mean(axis=(2, 4)).reshape(n, -1), rowvar=False)),
        ("sample_axis = 1 (features × samples) stride 2 blocks of 11", 'dataset = "transposed"\nsample_axis = 1\nstride = 2\nblock_rows = 11',
         (1, 2, 4), np.cov(flat[::2], rowvar=False)),
        ("sample_axis = 1 float32 crop + coarse", 'dataset = "transposed32"\nsample_axis = 1\ncrop = [10, 70]\ncoarse = [3]\nblock_rows = 13',
         (3,), np.cov(flat32[:, 10:70].reshape(n, 20, 3).mean(axis=2), rowvar=False)),
    ]
    for name, source, rank_list, ref in cases:
        for ranks in rank_list:
            code, text, out = run_job(cascade, work, "m-" + re.sub(r"[^a-z0-9]+", "-", name), ranks,
                                      covariance_job(f'file = "{path}"\n{source}'))
            if not check(f"{name} np={ranks} exits 0", code == 0, text[-2000:]):
                continue
            with h5py.File(os.path.join(out, "rmt.h5"), "r") as h:
                m = h["matrix"][...]
                axis = int(h.attrs.get("selection_sample_axis", -1))
            check(f"{name} np={ranks} records selection_sample_axis", axis == (1 if "sample_axis = 1" in source else 0), str(axis))
            ok = m.shape == ref.shape and rel(m, ref) <= 1e-12
            check(f"{name} np={ranks} equals np.cov to 1e-12", ok, f"shape {m.shape} vs {ref.shape}" + (f", rel {rel(m, ref):.2e}" if m.shape == ref.shape else ""))
            if m.shape == ref.shape:
                print(f"     max relative difference: {rel(m, ref):.2e}")
    # Without sample_axis the transposed file is (correctly) read as 96 samples of 301 features: not the data's covariance.
    code, text, out = run_job(cascade, work, "m-transposed-axis0", 1, covariance_job(f'file = "{path}"\ndataset = "transposed"'))
    if check("transposed file with sample_axis = 0 runs", code == 0, text[-2000:]):
        with h5py.File(os.path.join(out, "rmt.h5"), "r") as h:
            check("... and is a 301 × 301 matrix (samples read as features), as the key documents",
                  h["matrix"].shape == (n, n), str(h["matrix"].shape))
    # Gram matrices streamed: blocks of 7 samples of a wide dataset, and of the transposed file.
    with h5py.File(path, "r") as h:
        wide = h["wide"][...]
    xc = wide - wide.mean(axis=0)
    sub = flat[::4]
    sc = (sub - sub.mean(axis=0)) / sub.std(axis=0, ddof=1)
    grams = [("gram blocks of 7", 'dataset = "wide"\nblock_rows = 7', (1, 3), xc @ xc.T / wide.shape[1]),
             ("gram sample_axis = 1 standardised", 'dataset = "transposed"\nsample_axis = 1\nstride = 4\nstandardize = true\nblock_rows = 6',
              (2,), sc @ sc.T / sc.shape[1])]
    for name, source, rank_list, ref in grams:
        for ranks in rank_list:
            code, text, out = run_job(cascade, work, "g-" + re.sub(r"[^a-z0-9]+", "-", name), ranks,
                                      covariance_job(f'file = "{path}"\n{source}', 'type = "gram"\nwrite = true'))
            if not check(f"{name} np={ranks} exits 0", code == 0, text[-2000:]):
                continue
            with h5py.File(os.path.join(out, "rmt.h5"), "r") as h:
                m = h["matrix"][...]
            check(f"{name} np={ranks} equals Xc Xcᵀ/d to 1e-12", m.shape == ref.shape and rel(m, ref) <= 1e-12,
                  f"{m.shape} {rel(m, ref) if m.shape == ref.shape else ''}")


def sweep_checks(cascade, work, path):
    """Subsets read as their rows in small blocks give the statistics of the default (one-block) reads. With
    stride 2 every selected row is a run of its own, so the one-block reads join > 64 runs (several reads per
    block: SampleBlockStream.runsPerRead) and the blocks of 8 one read each."""
    def job(block_rows, matrix):
        return f"""kind = "rmt-sweep"
[datasets]
names = ["fields"]
types = ["hdf5"]
files = ["{path}"]
paths = ["fields"]
[source]
block_rows = {block_rows}
stride = 2
[matrix]
type = "{matrix}"
[sweep]
sizes = [100, 151]
repeats = 2
"""
    for matrix in ("covariance", "gram"):
        tables = {}
        for block_rows, ranks in ((0, 1), (8, 3)):
            code, text, out = run_job(cascade, work, f"sweep-{matrix}-b{block_rows}", ranks, job(block_rows, matrix))
            if check(f"sweep ({matrix}) block_rows = {block_rows} np={ranks} exits 0", code == 0, text[-2000:]):
                with h5py.File(os.path.join(out, "sweep.h5"), "r") as h:
                    tables[block_rows] = h["fields/scalars"][...]
        if len(tables) == 2:
            a, b = tables[0], tables[8]
            check(f"sweep ({matrix}): subsets streamed in blocks of 8 on 3 ranks = default blocks on 1 rank (1e-8)",
                  a.shape == b.shape and np.allclose(a, b, rtol=1e-8, atol=1e-12, equal_nan=True), f"{a.shape} {b.shape}")
            check(f"sweep ({matrix}): the smaller subsets differ between repeats", not np.allclose(a[0, 0], a[0, 1], equal_nan=True))


def error_checks(cascade, work, path):
    cases = [
        ("infinite value found while streaming (blocks of 10, 3 ranks)", 'dataset = "with_inf"\nblock_rows = 10', 3,
         ["NaN or infinite", "sample 173", "fix"]),
        ("sample_axis = 1 on a 3-D dataset", 'dataset = "fields"\nsample_axis = 1', 2, ["source.sample_axis", "2-D", "fix"]),
    ]
    for name, source, ranks, needles in cases:
        code, text, out = run_job(cascade, work, "err-" + re.sub(r"[^a-z0-9]+", "-", name), ranks, covariance_job(f'file = "{path}"\n{source}'))
        check(f"refused: {name} (exit 1)", code == 1, f"exit {code}: {text[-800:]}")
        check(f"refused: {name} names the key or sample and the fix", all(s in text for s in needles), text[-800:])
        check(f"refused: {name} writes no output file", not os.path.exists(os.path.join(out, "rmt.h5")))
    code, text, _ = run_job(cascade, work, "err-axis-2", 1, covariance_job(f'file = "{path}"\ndataset = "fields"\nsample_axis = 2'))
    check("refused: sample_axis = 2 before running (exit 2, names the key)", code == 2 and "source.sample_axis" in text, text[-600:])


def memory_checks(cascade, work):
    """The issue's test: 200 000 × 1024 float32 on 2 ranks below 250 MB per rank (VmHWM logged by every rank)."""
    n, d, slab = 200_000, 1024, 10_000
    path = os.path.join(work, "big.h5")
    rng = np.random.default_rng(5)
    col_sum = np.zeros(d)
    col_sq = np.zeros(d)
    cross = np.zeros((d, 8))                       # Σ x xᵀ against the first 8 features, for C[:, :8]
    try:
        with h5py.File(path, "w") as h:
            ds = h.create_dataset("x", shape=(n, d), dtype=np.float32)
            for s in range(0, n, slab):
                z = rng.standard_normal((slab, d), dtype=np.float32)
                block = z + np.float32(0.5) * np.roll(z, 1, axis=1) + np.float32(3.0)     # neighbours correlated, an offset
                ds[s:s + slab] = block
                b = block.astype(np.float64)
                col_sum += b.sum(axis=0)
                col_sq += (b * b).sum(axis=0)
                cross += b.T @ b[:, :8]
        mean = col_sum / n
        ref = (cross - n * np.outer(mean, mean[:8])) / (n - 1)
        source = f'file = "{path}"\ndataset = "x"'
        code, text, out = run_job(cascade, work, "memory", 2, covariance_job(source), env={"CASCADE_MEMORY_LIMIT": str(10**9)})
        if check("200 000 × 1024 float32 on 2 ranks (1 GB per node allowed) exits 0", code == 0, text[-2000:]):
            peaks = re.search(r"peak resident memory \(VmHWM\) per rank: (.*)", text)
            values = [float(v) * {"kB": 1e3, "MB": 1e6, "GB": 1e9}[u] for v, u in re.findall(r"([\d.]+) (kB|MB|GB)", peaks.group(1))] if peaks else []
            elapsed = json.load(open(os.path.join(out, "run.json")))["elapsed_seconds"]
            print(f"     peak resident memory per rank: {', '.join(f'{v / 1e6:.0f} MB' for v in values)} (goal < 250 MB; was 950 MB); job {elapsed:.1f} s")
            check("peak resident memory of each of the 2 ranks below 250 MB", len(values) == 2 and max(values) < 250e6, str(values))
            with h5py.File(os.path.join(out, "rmt.h5"), "r") as h:
                m = h["matrix"][:, :8]
                check("the big covariance's first 8 columns equal numpy's (1e-10 relative)", rel(m, ref) < 1e-10, f"{rel(m, ref):.2e}")
                check("the big covariance's mean equals numpy's", rel(h["mean"][...], mean) < 1e-12)
        code, text, out = run_job(cascade, work, "memory-gram", 2, covariance_job(source, 'type = "gram"'), env={"CASCADE_MEMORY_LIMIT": str(10**9)})
        check("its 200 000 × 200 000 Gram matrix is refused by the memory estimate, naming the keys",
              code == 1 and "gram matrix" in text and "source.samples" in text and not os.path.exists(os.path.join(out, "rmt.h5")), text[-800:])
    finally:
        if os.path.exists(path):
            os.remove(path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cascade", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--skip-memory", action="store_true", help="skip the 0.8 GB memory test")
    args = ap.parse_args()
    cascade = os.path.abspath(args.cascade)
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    path, x = make_data(args.work)
    matrix_checks(cascade, args.work, path, x)
    sweep_checks(cascade, args.work, path)
    error_checks(cascade, args.work, path)
    if not args.skip_memory:
        memory_checks(cascade, args.work)
    print(f"{results['passed']} passed, {results['failed']} failed")
    sys.exit(0 if results["failed"] == 0 else 1)


if __name__ == "__main__":
    main()
