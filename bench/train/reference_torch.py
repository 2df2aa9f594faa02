"""PyTorch reference for bench/train: the same MLP (1024 -> 4096 -> 4096 -> 10, ReLU), softmax
cross-entropy, Adam (lr 1e-4), global batch 256, float32, 1 thread per process.

    python reference_torch.py single [--fused]   # one process, batch 256
    python reference_torch.py ddp                # DistributedDataParallel, gloo, 2 processes x 128

Prints one line like the Swift bench: ranks=, step_s= (median over steps of the slowest rank's time).
"""
import argparse
import os
import statistics
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
import torch.nn.functional as F

GLOBAL_BATCH, FEATURES, HIDDEN, CLASSES = 256, 1024, 4096, 10


def make_model():
    torch.manual_seed(1)
    return nn.Sequential(nn.Linear(FEATURES, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, HIDDEN), nn.ReLU(),
                         nn.Linear(HIDDEN, CLASSES))


def run(rank, world, args):
    torch.set_num_threads(1)
    model = make_model()
    if world > 1:
        os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
        os.environ.setdefault("MASTER_PORT", str(args.port))
        dist.init_process_group("gloo", rank=rank, world_size=world)
        model = nn.parallel.DistributedDataParallel(model, bucket_cap_mb=25)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4, fused=True if args.fused else None)
    local = GLOBAL_BATCH // world
    g = torch.Generator().manual_seed(7 + rank)
    pool_x = torch.rand(4 * local, FEATURES, generator=g) * 2 - 1
    pool_y = torch.randint(0, CLASSES, (4 * local,), generator=g)
    times = []
    for step in range(args.warmup + args.steps):
        k = step % 4
        xb, yb = pool_x[k * local:(k + 1) * local], pool_y[k * local:(k + 1) * local]
        if world > 1:
            dist.barrier()
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        t = torch.tensor([time.perf_counter() - t0])
        if world > 1:
            dist.all_reduce(t, op=dist.ReduceOp.MAX)
        if step >= args.warmup:
            times.append(t.item())
    if rank == 0:
        median = statistics.median(times)
        label = "ddp-gloo" if world > 1 else ("single-fused" if args.fused else "single")
        print(f"torch={label} ranks={world} step_s={median:.4f} samples_per_s={GLOBAL_BATCH / median:.1f} loss={loss.item():.4f}",
              flush=True)
    if world > 1:
        dist.destroy_process_group()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["single", "ddp"])
    p.add_argument("--fused", action="store_true")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--port", type=int, default=29517)
    args = p.parse_args()
    if args.mode == "single":
        run(0, 1, args)
    else:
        mp.spawn(run, args=(2, args), nprocs=2, join=True)


if __name__ == "__main__":
    sys.exit(main())
