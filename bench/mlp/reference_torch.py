"""PyTorch reference for bench/mlp: the same MLP step as cascade-bench-mlp, on one thread.

    bench/.venv-torch/bin/python bench/mlp/reference_torch.py --adam default|fused [--steps N] [--warmup N]

Model nn.Sequential(Linear(1024, W), ReLU, Linear(W, W), ReLU, Linear(W, 10)), float32, batch 256,
CrossEntropyLoss, torch.optim.Adam(lr=1e-4) with its default implementation (the per-tensor loop on
CPU) or fused=True. Prints one `torch_<adam> key=value ...` line: medians over the timed steps of the
whole step (wall and process CPU time) and of its phases (forward+loss, backward, optimiser incl.
zero_grad), the matmul peak at
2048^3 through torch (its own BLAS), and the peak RSS of this process.
"""
import argparse
import resource
import time

import torch

parser = argparse.ArgumentParser()
parser.add_argument("--adam", choices=["default", "fused"], default="default")
parser.add_argument("--steps", type=int, default=20)
parser.add_argument("--warmup", type=int, default=3)
parser.add_argument("--batch", type=int, default=256)
parser.add_argument("--width", type=int, default=4096)
args = parser.parse_args()
torch.set_num_threads(1)
torch.manual_seed(0)

n = 2048
a, b = torch.full((n, n), 0.5), torch.full((n, n), 0.25)
best = min((lambda t0: (torch.mm(a, b), time.perf_counter() - t0)[1])(time.perf_counter()) for _ in range(3))
peak = 2 * n ** 3 / best / 1e9
del a, b

w = args.width
model = torch.nn.Sequential(torch.nn.Linear(1024, w), torch.nn.ReLU(), torch.nn.Linear(w, w), torch.nn.ReLU(),
                            torch.nn.Linear(w, 10))
opt = torch.optim.Adam(model.parameters(), lr=1e-4, fused=True if args.adam == "fused" else None)
loss_fn = torch.nn.CrossEntropyLoss()
x = torch.randn(args.batch, 1024)
y = torch.randint(0, 10, (args.batch,))

fwd, bwd, optim, total, cpu = [], [], [], [], []
for step in range(args.warmup + args.steps):
    c0, t0 = time.process_time(), time.perf_counter()
    loss = loss_fn(model(x), y)
    t1 = time.perf_counter()
    loss.backward()
    t2 = time.perf_counter()
    opt.step()
    opt.zero_grad()
    t3, c3 = time.perf_counter(), time.process_time()
    if step >= args.warmup:
        fwd.append(t1 - t0); bwd.append(t2 - t1); optim.append(t3 - t2); total.append(t3 - t0); cpu.append(c3 - c0)


def median(v):
    s = sorted(v)
    return s[len(s) // 2] if len(s) % 2 else 0.5 * (s[len(s) // 2 - 1] + s[len(s) // 2])


rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"torch_{args.adam} step_s={median(total)} cpu_step_s={median(cpu)} forward_s={median(fwd)} backward_s={median(bwd)} optimizer_s={median(optim)}"
      f" torch_mm2048_gflops={peak} peak_rss_mb={rss} loss={loss.item()} torch={torch.__version__}"
      f" threads={torch.get_num_threads()}")
