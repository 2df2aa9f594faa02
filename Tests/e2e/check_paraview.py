#!/usr/bin/env python3
"""Opens Cascade's XDMF sidecar in ParaView (pvbatch) and checks what a user would see.

Two steps, because pvbatch has its own python without h5py:

  .build/pyvenv/bin/python Tests/e2e/check_paraview.py expect --h5 run/selftest.h5 --out expect.json
  xvfb-run -a pvbatch Tests/e2e/check_paraview.py check --xmf run/selftest.xmf --expect expect.json

`expect` reads the selftest's file with h5py and writes the values to compare; `check` opens
the .xmf with ParaView's XDMF reader and checks that the 2D grid lies in the x-y plane (z
extent 0), its point dimensions, and values of the static field and of the last frame.
Prints PASS/FAIL lines and ends with `N passed, M failed`.
"""
import argparse
import json
import sys

results = {"passed": 0, "failed": 0}


def check(name, condition, detail=""):
    results["passed" if condition else "failed"] += 1
    print(("PASS " if condition else "FAIL ") + name + ("" if condition or not detail else f": {detail}"))
    sys.stdout.flush()
    return condition


def expect(h5, out):
    import h5py
    with h5py.File(h5, "r") as f:
        field = f["field"][...]
        frames = f["frames"]
        rows, cols = field.shape
        # A few points spread over the grid: corners, an interior point, the last row.
        points = sorted({(0, 0), (0, cols - 1), (rows - 1, 0), (rows - 1, cols - 1), (rows // 2, cols // 3)})
        last = frames[frames.shape[0] - 1]
        data = {"rows": rows, "cols": cols, "frames": frames.shape[0],
                "points": [[i, j, float(field[i, j]), float(last[i, j])] for i, j in points]}
    with open(out, "w") as f:
        json.dump(data, f)


def check_xmf(xmf, expected_file):
    from paraview.simple import XDMFReader, servermanager
    want = json.load(open(expected_file))
    rows, cols = want["rows"], want["cols"]
    reader = XDMFReader(FileNames=[xmf])
    times = list(reader.TimestepValues)
    check("ParaView sees one time per frame", len(times) == want["frames"], f"{times}")
    reader.UpdatePipeline(times[-1] if times else 0)
    data = servermanager.Fetch(reader)
    grid = data.GetBlock(0) if data.IsA("vtkMultiBlockDataSet") else data
    check("the grid is image data", grid is not None and grid.IsA("vtkImageData"), grid and grid.GetClassName())
    dims = tuple(grid.GetDimensions())
    check("point dimensions are (nx, ny, 1)", dims == (cols, rows, 1), f"{dims}, want {(cols, rows, 1)}")
    bounds = grid.GetBounds()
    check("the grid lies in the x-y plane (z extent 0)", bounds[4] == 0 and bounds[5] == 0, f"bounds {bounds}")
    check("x and y extents match the spacing", bounds[1] - bounds[0] == cols - 1 and bounds[3] - bounds[2] == rows - 1,
          f"bounds {bounds}")
    point_data = grid.GetPointData()
    for name, column in (("field", 2), ("frames", 3)):
        array = point_data.GetArray(name)
        if not check(f"point array {name} is there", array is not None and array.GetNumberOfTuples() == rows * cols,
                     f"arrays {[point_data.GetArrayName(k) for k in range(point_data.GetNumberOfArrays())]}"):
            continue
        # VTK orders points x fastest: (i, j) of the [ny, nx] dataset is point i * nx + j.
        bad = [(i, j, array.GetValue(i * cols + j), p[column]) for p in want["points"] for i, j in [p[:2]]
               if array.GetValue(i * cols + j) != p[column]]
        check(f"{name} values agree with h5py", not bad, f"(i, j, ParaView, h5py): {bad}")


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="step", required=True)
    e = sub.add_parser("expect")
    e.add_argument("--h5", required=True)
    e.add_argument("--out", required=True)
    c = sub.add_parser("check")
    c.add_argument("--xmf", required=True)
    c.add_argument("--expect", required=True)
    args = parser.parse_args()
    if args.step == "expect":
        expect(args.h5, args.out)
        return
    # The reader's complaints (HDF5-DIAG, "XDMF Error", "Can't Write Temp Dataset") go to the C
    # stderr, not to exceptions: capture it to check that reading was silent.
    import os
    import tempfile
    log = tempfile.TemporaryFile(mode="w+")
    saved = os.dup(2)
    os.dup2(log.fileno(), 2)
    try:
        check_xmf(args.xmf, args.expect)
    except Exception as error:  # a reader crash is a failure, with the reason
        check("ParaView reads the XDMF file", False, repr(error))
    finally:
        os.dup2(saved, 2)
    log.seek(0)
    errors = [line.strip() for line in log if "error" in line.lower()]
    check("ParaView reads it without HDF5 or XDMF errors", not errors, "; ".join(errors[:5]))
    print(f"{results['passed']} passed, {results['failed']} failed")
    sys.exit(1 if results["failed"] else 0)


if __name__ == "__main__":
    main()
