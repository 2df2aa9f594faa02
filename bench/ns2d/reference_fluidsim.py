"""Reference timings for the ns2d benchmark: fluidsim's pseudo-spectral 2D Navier-Stokes solver.

For each N on the command line (default 256 512 1024) it builds fluidsim's `ns2d` solver on an N x N
periodic grid of side 2*pi (RK4, fixed time step, viscosity nu_2, random forcing in a wavenumber band,
2/3 dealiasing, every output off), takes warm-up steps, then times steps of
`sim.time_stepping.one_time_step()` and prints one line per N:

    fluidsim N=<N> procs=<p> s_per_step=<float> peak_rss_mb=<float>

s_per_step is the median over rounds of the mean step time of each round (max over ranks);
peak_rss_mb is the peak resident set of the process (max over ranks) after that N.

    bench/ns2d/setup-venv.sh        # once: bench/.venv-fluidsim with fluidsim and fluidfft's FFTW plugins
    OPENBLAS_NUM_THREADS=1 bench/.venv-fluidsim/bin/python bench/ns2d/reference_fluidsim.py 256
    cluster/mpirun.sh -np 2 bench/.venv-fluidsim/bin/python bench/ns2d/reference_fluidsim.py 256

FFTs: fluidfft's `fft2d.with_fftw2d` on 1 process, `fft2d.mpi_with_fftwmpi2d` under MPI (both the
system FFTW 3.3, FFTW_MEASURE planning).
"""

import argparse
import contextlib
import ctypes
import os
import resource
import shutil
import sys
import tempfile
import time
import warnings

# Before fluidsim is imported: fluidsim/fluiddyn read these at import time. Runs go into a
# throw-away directory in /tmp; one thread per process, as Cascade runs.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")
_tmp_root = os.environ.get("FLUIDSIM_BENCH_TMP") or tempfile.gettempdir()

try:
    from mpi4py import MPI  # noqa: E402  (fluiddyn.util.mpi uses mpi4py when launched by mpirun)

    comm = MPI.COMM_WORLD
    rank, nprocs = comm.Get_rank(), comm.Get_size()
except ImportError:  # 1 process without mpi4py
    comm, rank, nprocs = None, 0, 1

# One directory for the whole run, chosen by rank 0 and shared with the others.
_sim_root = tempfile.mkdtemp(prefix="fluidsim-bench-", dir=_tmp_root) if rank == 0 else None
if comm is not None and nprocs > 1:
    _sim_root = comm.bcast(_sim_root, root=0)
os.environ["FLUIDSIM_PATH"] = _sim_root
os.environ["FLUIDDYN_PATH_SCRATCH"] = _sim_root

from fluidsim.solvers.ns2d.solver import Simul  # noqa: E402

_libc = ctypes.CDLL(None)
# Without the optional package pulp, fluidsim keeps full-size forcing arrays under MPI and says so
# on every rank; the reference is fluidsim as `pip install fluidsim` gives it, so stay quiet about it.
warnings.filterwarnings("ignore", message="To use smaller forcing arrays")


def make_params(n, dt, nu, nkmin, nkmax):
    params = Simul.create_default_params()
    params.short_name_type_run = f"bench{n}"
    params.NEW_DIR_RESULTS = True

    params.oper.nx = params.oper.ny = n
    params.oper.Lx = params.oper.Ly = 2 * 3.141592653589793
    params.oper.coef_dealiasing = 2.0 / 3.0
    params.oper.type_fft = "fft2d.mpi_with_fftwmpi2d" if nprocs > 1 else "fft2d.with_fftw2d"

    params.nu_2 = nu

    params.time_stepping.type_time_scheme = "RK4"
    params.time_stepping.USE_CFL = False
    params.time_stepping.deltat0 = dt
    params.time_stepping.USE_T_END = False
    params.time_stepping.it_end = 10**9

    params.init_fields.type = "noise"

    params.forcing.enable = True
    params.forcing.type = "tcrandom"
    params.forcing.nkmin_forcing = nkmin
    params.forcing.nkmax_forcing = nkmax
    params.forcing.forcing_rate = 1.0

    # No outputs: nothing printed, nothing saved, no HDF5 files.
    params.output.HAS_TO_SAVE = False
    params.output.ONLINE_PLOT_OK = False
    for periods in (params.output.periods_print, params.output.periods_save, params.output.periods_plot):
        for key in periods._get_key_attribs():
            setattr(periods, key, 0)
    return params


def peak_rss_mb():
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def allmax(value):
    return comm.allreduce(value, op=MPI.MAX) if comm is not None and nprocs > 1 else value


def barrier():
    if comm is not None and nprocs > 1:
        comm.Barrier()


@contextlib.contextmanager
def quiet(args):
    """fluidsim (and fluidfft's C++ classes) print their set-up and a summary; keep stdout for the
    result lines by pointing file descriptor 1 at /dev/null meanwhile."""
    if args.verbose:
        yield
        return
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        _libc.fflush(None)  # C stdio buffers what C++ wrote while fd 1 was /dev/null
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def bench(n, args):
    params = make_params(n, args.dt, args.nu, args.nkmin, args.nkmax)
    with quiet(args):
        sim = Simul(params)
        ts = sim.time_stepping
        ts.prepare_main_loop()  # what sim.time_stepping.start() does before its loop
        for _ in range(args.warmup):
            ts.one_time_step()
    per_round = []
    for _ in range(args.rounds):
        barrier()
        t0 = time.perf_counter()
        for _ in range(args.steps):
            ts.one_time_step()
        per_round.append(allmax((time.perf_counter() - t0) / args.steps))
    per_round.sort()
    s_per_step = per_round[len(per_round) // 2]
    rss = allmax(peak_rss_mb())
    if rank == 0:
        print(
            f"fluidsim N={n} procs={nprocs} s_per_step={s_per_step:.6g} peak_rss_mb={rss:.1f}",
            flush=True,
        )
    # The solver state must stay finite, or the timing measured garbage.
    energy = sim.output.compute_energy()
    if rank == 0 and not (energy == energy and abs(energy) < 1e30):
        print(f"reference_fluidsim: N={n}: energy is {energy} after {ts.it} steps", file=sys.stderr)
    with quiet(args):
        ts.finalize_main_loop()
    del sim


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[256, 512, 1024], help="grid sizes N (N x N)")
    parser.add_argument("--steps", type=int, default=20, help="timed steps per round (default 20)")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds; the median is printed (default 5)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first (default 3)")
    parser.add_argument("--dt", type=float, default=1e-3, help="time step (default 1e-3)")
    parser.add_argument("--nu", type=float, default=1e-3, help="viscosity nu_2 (default 1e-3)")
    parser.add_argument("--nkmin", type=int, default=4, help="forcing band, lowest index (default 4)")
    parser.add_argument("--nkmax", type=int, default=6, help="forcing band, highest index (default 6)")
    parser.add_argument("--verbose", action="store_true", help="let fluidsim print its set-up and summary")
    args = parser.parse_args()
    try:
        for n in args.sizes:
            bench(n, args)
    finally:
        barrier()
        if rank == 0:
            shutil.rmtree(_sim_root, ignore_errors=True)


if __name__ == "__main__":
    main()
