"""numpy reference for bench/rmt/run.sh: the covariance of the same HDF5 file, read whole with h5py,
centred, then `Xc.T @ Xc` (numpy calls syrk for a product with its own transpose). Run with
OPENBLAS_NUM_THREADS=1. Prints `name value` lines: CPU seconds of the read + centring + product and of
the product alone, and the process's peak resident memory."""
import resource
import sys
import time

import h5py
import numpy as np

path, dataset = sys.argv[1], sys.argv[2]
c0 = time.process_time()
with h5py.File(path, "r") as h:
    x = h[dataset][...].astype(np.float64, copy=False)
x -= x.mean(axis=0)
c1 = time.process_time()
c = x.T @ x
c2 = time.process_time()
c /= x.shape[0] - 1
print(f"numpy_cpu {c2 - c0}")
print(f"numpy_product_cpu {c2 - c1}")
print(f"numpy_peak_rss_mb {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}")
print(f"numpy_check {c[0, 0]}")
