"""PyTorch reference for bench/conv: ms per training step of layers x (Conv2d 3x3 C->C + ReLU).

Same work as cascade-bench-conv: forward, then backward of a fixed output gradient (y.backward(g)),
parameter gradients only (the input does not require grad), gradients zeroed in place each step.
Prints `name cpu_ms wall_ms` (medians over the timed steps of the process CPU time and of the wall
time per step) for NCHW and channels_last, zero and circular padding, 1 thread.

    python reference_torch.py [size 64] [channels 64] [batch 16] [layers 4] [warmup 2] [steps 7] [only zero|circular]
"""
import statistics
import sys
import time

import torch

opts = dict(size=64, channels=64, batch=16, layers=4, warmup=2, steps=7)
only = None
argv = sys.argv[1:]
for key, value in zip(argv[0::2], argv[1::2]):
    if key == "only":
        only = value
    else:
        opts[key] = int(value)

torch.set_num_threads(1)
torch.manual_seed(0)
n, c, s = opts["batch"], opts["channels"], opts["size"]

for padding_mode in ("zeros", "circular"):
    if only is not None and only != ("zero" if padding_mode == "zeros" else "circular"):
        continue
    for memory_format, label in ((torch.contiguous_format, "nchw"), (torch.channels_last, "channels_last")):
        layers = []
        for _ in range(opts["layers"]):
            layers += [torch.nn.Conv2d(c, c, 3, padding=1, padding_mode=padding_mode), torch.nn.ReLU()]
        model = torch.nn.Sequential(*layers).to(memory_format=memory_format)
        x = torch.rand(n, c, s, s).mul_(2).sub_(1).contiguous(memory_format=memory_format)
        g = torch.rand(n, c, s, s).mul_(2).sub_(1).contiguous(memory_format=memory_format)
        wall, cpu = [], []
        for i in range(opts["warmup"] + opts["steps"]):
            c0, t0 = time.process_time(), time.perf_counter()
            model.zero_grad(set_to_none=False)
            model(x).backward(g)
            t1, c1 = time.perf_counter(), time.process_time()
            if i >= opts["warmup"]:
                wall.append((t1 - t0) * 1e3)
                cpu.append((c1 - c0) * 1e3)
        name = f"torch_{label}_{'zero' if padding_mode == 'zeros' else 'circular'}"
        print(name, statistics.median(cpu), statistics.median(wall), flush=True)
