#!/usr/bin/env python3
"""Checks docs/outputs.md against real outputs: every documented HDF5 dataset exists with the
documented dtype and rank, and every dataset of the real file is documented.

docs/outputs.md lists each file's layout in a fenced block whose info string is
`h5layout RUN:FILE` (RUN one of the tiny runs below, FILE a file in its output folder), one line
per object:

    /path/of/dataset   dtype   (dim, dim, ...)   # optional comment
    /path/of/group/    group
    /only/sometimes?   dtype   (dim)             # `?`: written only with some keys; checked if present
    /model/*.weight    float32 (...)             # `*`: part of a name (not `/`); every match not listed
                                                 # exactly is checked, and one must exist

dtype is numpy's name (float64, float32, int64, uint8, ...) or `string`; the shape is written in
terms of the job's parameters, and only its rank (the number of top-level comma-separated entries;
`()` is a scalar; `(...)` any rank) is checked. The tiny runs are the example jobs with `--set` overrides that make
them finish in seconds, with every optional output switched on. Prints PASS/FAIL lines per file and
ends with `N passed, M failed`. `--dump` prints the real layouts in the same format instead.
"""
import argparse
import os
import re
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_cli import ROOT, check, cli_main, mpirun, results  # noqa: E402,F401

# name -> (ranks, job file, overrides). Runs are made in this order (later runs read earlier outputs).
RUNS = [
    ("selftest", 2, "jobs/selftest.toml",
     ["fft.shape_2d=[16, 12]", "fft.shape_3d=[8, 8, 6]", "storage.shape=[10, 6]", "storage.frames=2",
      "collectives.elements=1000", "blas.n=16"]),
    ("ns2d", 2, "jobs/ns2d-inverse-cascade.toml",
     ["grid.n=32", "time.t_end=2.0", "time.adaptive=false", "time.dt=0.01", "forcing.kf=6.0",
      "output.spectra_interval=0.5", "output.statistics_interval=0.5", "output.snapshot_interval=0.05",
      "output.snapshot_velocity=true", "output.checkpoint_interval=1.0", "output.average_start=1.0",
      "output.separations=[1, 2, 4]", "output.pdf_bins=11"]),
    ("covariance", 2, "jobs/rmt-synthetic.toml",
     ["source.samples=400", "source.features=64", "matrix.write=true", "matrix.vectors=true",
      "statistics.power_law_min_r2=0.5", "statistics.lengths=[1.0, 5.0]", "statistics.length_count=5",
      "statistics.windows=50", "statistics.degree=5", 'null.models=["wishart", "shuffle"]', "null.repeats=2",
      "statistics.bootstrap=2"]),
    ("rmt-turbulence", 2, "jobs/rmt-turbulence.toml",
     ["source.file={work}/ns2d/snapshots.h5", "statistics.lengths=[1.0, 3.0]", "statistics.length_count=3",
      "statistics.windows=20", 'null.models=["phase"]', "null.repeats=2"]),
    ("rmt-sweep", 2, "jobs/rmt-sweep.toml",
     ["source.samples=600", "source.features=48", "source.size=200", "sweep.min_size=64", "sweep.steps=3",
      "sweep.repeats=2", "statistics.lengths=[1.0, 4.0]", "statistics.length_count=4", "statistics.windows=50",
      "statistics.degree=5"]),
    ("train", 2, "jobs/train-mlp.toml",
     ["data.samples=2048", "data.test_samples=256", "data.dimension=8", "model.input=[8]", "data.teacher_width=16",
      "train.steps=40", "train.batch=64", "train.log_interval=10", "train.eval_interval=20",
      "train.checkpoint_interval=20", "schedule.warmup_steps=5"]),
    ("gmm-bayes", 2, "jobs/gmm-bayes.toml",
     ["data.samples=2048", "data.test_samples=1024", "data.dimension=8", "model.input=[8]",
      "train.steps=20", "train.batch=128", "train.log_interval=10", "train.eval_interval=10",
      "schedule.warmup_steps=5"]),
    ("wide-sweep", 2, "jobs/wide-sweep.toml",
     ["sweep.widths=[8, 16]", "sweep.seeds=[1, 2]", "train.steps=20", "data.samples=64", "probe.samples=8"]),
    ("turbulence-compare", 2, "jobs/turbulence-compare.toml",
     ['inputs.files=["{work}/ns2d/snapshots.h5", "{work}/ns2d/snapshots.h5"]', "inputs.first=[1, 21]",
      "inputs.count=[20, 20]", "bootstrap.repeats=20"]),
    # A diffusion model of the tiny ns2d run's frames (coarsened to 16²), then samples from it.
    ("diffusion-train", 2, "jobs/diffusion-train.toml",
     ["data.file={work}/ns2d/snapshots.h5", "data.coarsen=2", "data.test_samples=4", "diffusion.timesteps=20",
      "train.steps=4", "train.batch=8", "train.log_interval=2", "train.eval_interval=2",
      "train.checkpoint_interval=2", "schedule.warmup_steps=1", "data.first_frame=1"]),
    ("diffusion-sample", 2, "jobs/diffusion-sample.toml",
     ["model.file={work}/diffusion-train/training.h5", "sampling.samples=5", "sampling.steps=4", "sampling.batch=2"]),
]

def real_layout(path):
    """(path, dtype, rank) of every group and dataset of an HDF5 file, in visiting order."""
    items = []

    def visit(name, obj):
        if isinstance(obj, h5py.Group):
            items.append(("/" + name + "/", "group", None))
        else:
            dt = obj.dtype
            if h5py.check_string_dtype(dt) is not None or dt.kind in "SU":
                name_of = "string"
            else:
                name_of = dt.name if dt.names is None else "compound"
            items.append(("/" + name, name_of, len(obj.shape) if obj.shape is not None else 0))
    with h5py.File(path, "r") as h:
        h.visititems(visit)
    return items


def shape_rank(text):
    """Rank of a documented shape `(a, b[, c])`: top-level commas outside brackets."""
    inner = text.strip()
    if inner == "(...)":
        return None
    if not (inner.startswith("(") and inner.endswith(")")):
        raise ValueError(f"shape must be parenthesised: {text!r}")
    inner = inner[1:-1].strip()
    if not inner:
        return 0
    depth, parts = 0, 1
    for c in inner:
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == "," and depth == 0:
            parts += 1
    return parts - (1 if inner.endswith(",") else 0)


def documented_layouts(doc_path):
    """{"RUN:FILE": [(path, dtype, rank or None, optional)]} from the h5layout blocks of docs/outputs.md."""
    layouts, current = {}, None
    for number, line in enumerate(open(doc_path, encoding="utf-8"), 1):
        m = re.match(r"^```h5layout\s+(\S+)\s*$", line)
        if m:
            current = layouts.setdefault(m.group(1), [])
            continue
        if current is not None and line.startswith("```"):
            current = None
            continue
        if current is None:
            continue
        body = line.split("#", 1)[0].strip()
        if not body:
            continue
        m = re.match(r"^(/\S*)\s+(\S+)\s*(\(.*\))?$", body)
        if not m:
            raise ValueError(f"{doc_path}:{number}: cannot read {line.strip()!r}")
        path, dtype, shape = m.groups()
        optional = path.endswith("?")
        path = path.rstrip("?")
        if dtype == "group":
            current.append((path if path.endswith("/") else path + "/", "group", None, optional))
        else:
            if shape is None:
                raise ValueError(f"{doc_path}:{number}: dataset {path} has no shape")
            current.append((path, dtype, shape_rank(shape), optional))
    return layouts


# Pages other helpers are writing at the same time as this one: links to them (and to the
# reference's `pipeline` section) are not checked until the page or section exists.
PENDING_PAGES: set = set()
PENDING_ANCHORS: set = set()
LINKED_PAGES = ["README.md", "docs/guide.md", "docs/outputs.md", "docs/architecture.md", "docs/performance.md"]


def github_anchor(heading):
    """The id GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"`|\*|_(?=\W)", "", heading.strip().lower())
    text = "".join(c for c in text if c.isalnum() or c in " -_")
    return text.replace(" ", "-")


def anchors_of(path):
    ids, in_code = set(), False
    for line in open(path, encoding="utf-8"):
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and line.startswith("#"):
            ids.add(github_anchor(line.lstrip("#")))
    return ids


def link_checks():
    """Every relative link of the user-facing pages names a file that exists and, with `#anchor`,
    a heading of that file."""
    for page in LINKED_PAGES:
        path = os.path.join(ROOT, page)
        if not os.path.exists(path):
            check(f"docs links: {page} exists", False)
            continue
        text = re.sub(r"```.*?```", "", open(path, encoding="utf-8").read(), flags=re.S)
        broken = []
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"^[a-z]+:", target):
                continue
            file, _, anchor = target.partition("#")
            resolved = os.path.normpath(os.path.join(os.path.dirname(path), file)) if file else path
            name = os.path.basename(resolved)
            if not os.path.exists(resolved):
                if name not in PENDING_PAGES:
                    broken.append(f"{target} (no such file)")
                continue
            if anchor and os.path.isfile(resolved) and anchor not in anchors_of(resolved):
                if (name, anchor) not in PENDING_ANCHORS:
                    broken.append(f"{target} (no such heading)")
        check(f"docs links: every relative link and anchor of {page} resolves", not broken, "; ".join(broken))


def make_runs(cascade, work, only=None):
    ok = {}
    for name, ranks, job, sets in RUNS:
        if only and name not in only:
            continue
        out = os.path.join(work, name)
        args = [cascade, "run", job, "--out", out, "--overwrite"]
        for s in sets:
            args += ["--set", s.format(work=work)]
        code, so, se = mpirun(ranks, args)
        ok[name] = check(f"outputs doc: tiny {name} run ({job}, {ranks} ranks) exits 0", code == 0,
                         f"exit {code}\n{so[-2000:]}\n{se[-2000:]}")
    return ok


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cascade", default=os.path.join(ROOT, ".build/debug/cascade"))
    p.add_argument("--work", required=True)
    p.add_argument("--doc", default=os.path.join(ROOT, "docs/outputs.md"))
    p.add_argument("--dump", action="store_true", help="print the real layouts in the doc's format")
    p.add_argument("--reuse", action="store_true", help="use the runs already in --work")
    a = p.parse_args()
    cascade = os.path.abspath(a.cascade)
    os.makedirs(a.work, exist_ok=True)
    layouts = {} if a.dump else documented_layouts(a.doc)
    needed = {k.split(":", 1)[0] for k in layouts}
    if not a.dump:
        check("outputs doc: every tiny run has a documented file",
              needed >= {r[0] for r in RUNS}, f"undocumented runs: {sorted({r[0] for r in RUNS} - needed)}")
        unknown = needed - {r[0] for r in RUNS}
        check("outputs doc: every h5layout block names a known run", not unknown, f"unknown: {sorted(unknown)}")
    if not a.dump:
        link_checks()
    ok = {r[0]: True for r in RUNS} if a.reuse else make_runs(cascade, a.work)
    if a.dump:
        for name, *_ in RUNS:
            out = os.path.join(a.work, name)
            for f in sorted(os.listdir(out)) if os.path.isdir(out) else []:
                if f.endswith((".h5", ".hdf5")):
                    print(f"```h5layout {name}:{f}")
                    for path, dtype, rank in real_layout(os.path.join(out, f)):
                        print(f"{path:40s} {dtype}" + ("" if rank is None else f"  rank {rank}"))
                    print("```")
        return
    for key, documented in sorted(layouts.items()):
        run, file = key.split(":", 1)
        path = os.path.join(a.work, run, file)
        if not ok.get(run) or not os.path.exists(path):
            check(f"outputs doc: {key} exists", False, f"no {path}")
            continue
        real = {p: (d, r) for p, d, r in real_layout(path)}
        wrong, covered = [], set()
        exact = {p_ for p_, _, _, _ in documented if "*" not in p_}
        for p_, d, r, optional in documented:
            if "*" in p_:
                # `*` is one or more characters of a name (never `/`); exact lines take precedence.
                pattern = re.compile("^" + "[^/]+".join(re.escape(part) for part in p_.split("*")) + "$")
                matches = [q for q in real if pattern.match(q) and q not in exact]
            else:
                matches = [q for q in real if q == p_]
            if not matches and not optional:
                wrong.append(f"{p_} is documented but not in the file")
            for q in matches:
                covered.add(q)
                rd, rr = real[q]
                if rd != d or (r is not None and rr != r):
                    wrong.append(f"{q}: documented {d} rank {r}, the file has {rd} rank {rr}")
        check(f"outputs doc: {key}: every documented object exists with its dtype and rank", not wrong, "; ".join(wrong))
        missing = [p_ for p_ in real if p_ not in covered]
        check(f"outputs doc: {key}: every object of the file is documented", not missing,
              "undocumented: " + ", ".join(missing))
    # Every file an example writes into its folder is described (HDF5 ones by a block).
    for name, *_ in RUNS:
        out = os.path.join(a.work, name)
        if not ok.get(name) or not os.path.isdir(out):
            continue
        h5 = [f for f in os.listdir(out) if f.endswith((".h5", ".hdf5"))]
        missing = [f for f in h5 if f"{name}:{f}" not in layouts]
        check(f"outputs doc: every HDF5 file of the {name} run has a layout block", not missing, str(missing))
    print(f"{results['passed']} passed, {results['failed']} failed")


if __name__ == "__main__":
    sys.exit(main() or (1 if results["failed"] else 0))
