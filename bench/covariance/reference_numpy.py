"""References for bench/covariance/run.sh, measured like CovarianceBench.swift (best of 2):
numpy `X.T @ X` (syrk) for the covariance kernel and scipy `eigh(driver="evd")` with eigenvectors.
Run with OPENBLAS_NUM_THREADS=1. Prints `name seconds` lines."""
import sys
import time

import numpy as np
import scipy.linalg


def best(f):
    times = []
    for _ in range(2):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times)


args = sys.argv[1:]
while args:
    what = args.pop(0)
    if what == "cov":
        n, d = int(args.pop(0)), int(args.pop(0))
        x = np.random.default_rng(1).standard_normal((n, d))
        print(f"cov_{n}x{d} {best(lambda: x.T @ x)}", flush=True)
        del x
    elif what == "eig":
        d = int(args.pop(0))
        x = np.random.default_rng(2).standard_normal((d, d))
        a = x + x.T
        print(f"eig_{d} {best(lambda: scipy.linalg.eigh(a, driver='evd'))}", flush=True)
    elif what == "stats":
        args.pop(0)   # statistics have their own reference (reference_empyricalrmt.py)
