"""Compares two ns2d run folders: every dataset of snapshots.h5 and diagnostics.h5 bit-identical.

    python Tests/slurm/same_results.py REFERENCE_DIR RUN_DIR

Prints `same: ...` and exits 0, or names the datasets that differ and exits 1. Used by the Slurm
requeue test in Tests/run-all.sh (an uninterrupted run against one checkpointed and requeued).
"""
import os
import sys

import h5py
import numpy as np


def datasets(path):
    found = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: found.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return found


def main():
    reference, run = sys.argv[1], sys.argv[2]
    problems, compared = [], 0
    for name in ("snapshots.h5", "diagnostics.h5"):
        a, b = datasets(os.path.join(reference, name)), datasets(os.path.join(run, name))
        if a.keys() != b.keys():
            problems.append(f"{name}: datasets {sorted(a.keys() ^ b.keys())} in one file only")
        for key in sorted(a.keys() & b.keys()):
            compared += 1
            if a[key].shape != b[key].shape:
                problems.append(f"{name}/{key}: shape {a[key].shape} vs {b[key].shape}")
            elif not np.array_equal(a[key], b[key], equal_nan=a[key].dtype.kind == "f"):
                problems.append(f"{name}/{key}: values differ")
    if problems:
        print("different: " + "; ".join(problems[:8]))
        sys.exit(1)
    vorticity = datasets(os.path.join(run, "snapshots.h5"))["vorticity"]
    print(f"same: {compared} datasets bit-identical (vorticity {vorticity.shape})")


if __name__ == "__main__":
    main()
