"""The same measurement as AllreduceBench.swift, with mpi4py: prints `bytes seconds` lines."""
import numpy as np
from mpi4py import MPI

comm = MPI.COMM_WORLD
b = 8 * 1024
while b <= 8 * 1024 * 1024:
    buf = np.ones(b // 8)
    reps = max(10, min(1000, (64 << 20) // b))
    for _ in range(3):
        comm.Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM)
    samples = []
    for _ in range(reps):
        comm.Barrier()
        t0 = MPI.Wtime()
        comm.Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM)
        samples.append(MPI.Wtime() - t0)
    if comm.rank == 0:
        print(b, sorted(samples)[len(samples) // 2], flush=True)
    b *= 4
