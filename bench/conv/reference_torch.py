"""PyTorch reference for bench/conv: ms per training step of layers x (Conv2d 3x3 C->C + ReLU).

Same work as cascade-bench-conv: forward, then backward of a fixed output gradient (y.backward(g)),
parameter gradients only (the input does not require grad), gradients zeroed in place each step.
Prints `name median q1 q3` (ms) for NCHW and channels_last, zero and circular padding, 1 thread.

    python reference_torch.py [size 64] [channels 64] [batch 16] [layers 4] [warmup 2] [steps 7] [only zero|circular]
"""
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
        times = []
        for i in range(opts["warmup"] + opts["steps"]):
            t0 = time.perf_counter()
            model.zero_grad(set_to_none=False)
            model(x).backward(g)
            if i >= opts["warmup"]:
                times.append((time.perf_counter() - t0) * 1e3)
        times.sort()
        q = lambda f: times[min(len(times) - 1, int(f * (len(times) - 1) + 0.5))]
        name = f"torch_{label}_{'zero' if padding_mode == 'zeros' else 'circular'}"
        print(name, q(0.5), q(0.25), q(0.75), flush=True)
