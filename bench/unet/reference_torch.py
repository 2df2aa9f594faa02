"""PyTorch reference for bench/unet: the U-Net of Sources/Learning/UNet, layer for layer, on 1 thread.

The same network as Cascade's `UNet` (UNet.swift, ResidualBlock.swift, SelfAttention2d.swift, TimeConditioned.swift):
  t -> sinusoidal embedding (c features, sin then cos, frequencies 10000^(-k/(c/2-1)), in float64)
    -> Linear(c, 4c) -> SiLU -> Linear(4c, 4c) -> SiLU = e
  stem Conv3x3(C -> c_0); level l: blocks x ResBlock(c_l); below the lowest level
  cat([x, UpConv(Upsample2x(level l+1(DownConv3x3 stride 2 (c_l -> c_{l+1})(x))))]) then blocks x ResBlock(c_l);
  the lowest level ends with self-attention (1 head); head GroupNorm -> SiLU -> Conv3x3(c_0 -> C).
  ResBlock: h = conv1(silu(gn1(x))) + Linear(e); y = skip(x) + conv2(silu(gn2(h))), skip a 1x1 conv when the
  channels change. Every 3x3 conv padding=1, padding_mode="circular"; GroupNorm eps 1e-5.
Parameters are registered in Cascade's store order, so `check` copies them one to one (conv weights OHWI -> OIHW).

  reference_torch.py train  [--memory-format nchw|channels_last] [--fused] [sizes]   one training step, medians
  reference_torch.py sample [--procs 1|2] [sizes]       DDIM, torch.no_grad(); 2 processes started together
  reference_torch.py check  --weights PATH              Cascade's exported weights: forward, loss, gradients
Sizes: --size 64 --channels 32 --levels 3 --blocks 2 --groups 8 --batch 16 --warmup 2 --steps 5
       --samples 16 --sample-batch 8 --ddim-steps 20 --no-attention.
Prints one `torch_<mode> key=value ...` line (seconds, peak RSS = VmHWM of each process).
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn


def resident_mb():
    """(VmRSS, VmHWM) of this process in MB."""
    values = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


def circular_conv(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1, padding_mode="circular")


class SinusoidalTimeEmbedding(nn.Module):
    def __init__(self, features):
        super().__init__()
        h = features // 2
        freqs = [1.0] if h == 1 else [10000.0 ** (-k / (h - 1)) for k in range(h)]
        self.register_buffer("frequencies", torch.tensor(freqs, dtype=torch.float64), persistent=False)

    def forward(self, t):
        phase = t.double()[:, None] * self.frequencies[None, :]
        return torch.cat([torch.sin(phase), torch.cos(phase)], dim=1).float()


class ResidualBlock(nn.Module):
    def __init__(self, cin, cout, groups, embedding):
        super().__init__()
        # Registration order = Cascade's: first GN + conv, the time projection, second GN + conv, the 1x1 skip.
        self.norm1 = nn.GroupNorm(groups, cin, eps=1e-5)
        self.conv1 = circular_conv(cin, cout)
        self.projection = nn.Linear(embedding, cout)
        self.norm2 = nn.GroupNorm(groups, cout, eps=1e-5)
        self.conv2 = circular_conv(cout, cout)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, e):
        h = self.conv1(F.silu(self.norm1(x))) + self.projection(e)[:, :, None, None]
        return self.skip(x) + self.conv2(F.silu(self.norm2(h)))


class SelfAttention2d(nn.Module):
    def __init__(self, channels, groups, heads=1):
        super().__init__()
        self.heads = heads
        self.norm = nn.GroupNorm(groups, channels, eps=1e-5)
        self.qkv = nn.Conv2d(channels, 3 * channels, 1)  # channels [0, C) q, [C, 2C) k, [2C, 3C) v
        self.out = nn.Conv2d(channels, channels, 1)

    def forward(self, x):
        b, c, h, w = x.shape
        d = c // self.heads
        qkv = self.qkv(self.norm(x)).reshape(b, 3, self.heads, d, h * w).transpose(-1, -2)  # b, 3, heads, N, d
        o = F.scaled_dot_product_attention(qkv[:, 0], qkv[:, 1], qkv[:, 2])  # softmax(q k^T / sqrt(d)) v
        return x + self.out(o.transpose(-1, -2).reshape(b, c, h, w))


class Level(nn.Module):
    def __init__(self, l, c, blocks, groups, embedding, attention, cin):
        super().__init__()
        self.down_blocks = nn.ModuleList(
            [ResidualBlock(cin if i == 0 else c[l], c[l], groups, embedding) for i in range(blocks)])
        self.inner = None
        self.attention = None
        if l + 1 < len(c):
            # The Concatenate's second branch, then the blocks after it (the first one from c_l + c_{l+1}).
            self.down = circular_conv(c[l], c[l + 1], stride=2)
            self.inner = Level(l + 1, c, blocks, groups, embedding, attention, c[l + 1])
            self.up = circular_conv(c[l + 1], c[l + 1])
            self.up_blocks = nn.ModuleList(
                [ResidualBlock(c[l] + c[l + 1] if i == 0 else c[l], c[l], groups, embedding) for i in range(blocks)])
        elif attention:
            self.attention = SelfAttention2d(c[l], groups)

    def forward(self, x, e):
        for block in self.down_blocks:
            x = block(x, e)
        if self.inner is not None:
            below = self.up(F.interpolate(self.inner(self.down(x), e), scale_factor=2, mode="nearest"))
            x = torch.cat([x, below], dim=1)
            for block in self.up_blocks:
                x = block(x, e)
        elif self.attention is not None:
            x = self.attention(x)
        return x


class UNet(nn.Module):
    def __init__(self, field_channels=1, levels=3, channels=32, blocks=2, groups=8, attention=True):
        super().__init__()
        c = [channels * (1 if l == 0 else 2) for l in range(levels)]
        e = 4 * channels
        self.embedding = SinusoidalTimeEmbedding(channels)
        self.time1 = nn.Linear(channels, e)
        self.time2 = nn.Linear(e, e)
        self.stem = circular_conv(field_channels, c[0])
        self.level = Level(0, c, blocks, groups, e, attention, c[0])
        self.head_norm = nn.GroupNorm(groups, c[0], eps=1e-5)
        self.head = circular_conv(c[0], field_channels)

    def forward(self, x, t):
        e = F.silu(self.time2(F.silu(self.time1(self.embedding(t)))))
        return self.head(F.silu(self.head_norm(self.level(self.stem(x), e))))


def make_model(a):
    return UNet(1, a.levels, a.channels, a.blocks, a.groups, not a.no_attention)


def parameter_count(model):
    return sum(p.numel() for p in model.parameters())


def describe(a):
    mult = ",".join("1" if l == 0 else "2" for l in range(a.levels))
    return (f"size={a.size} field_channels=1 levels={a.levels} channels={a.channels} multipliers={mult} "
            f"blocks={a.blocks} groups={a.groups} attention={0 if a.no_attention else 1}")


def train(a):
    start_rss = resident_mb()[0]
    torch.manual_seed(0)
    fmt = torch.channels_last if a.memory_format == "channels_last" else torch.contiguous_format
    model = make_model(a).to(memory_format=fmt)
    x = torch.randn(a.batch, 1, a.size, a.size).contiguous(memory_format=fmt)
    t = torch.randint(0, 1000, (a.batch,)).float()
    target = torch.randn(a.batch, 1, a.size, a.size).contiguous(memory_format=fmt)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4, fused=True if a.fused else None)
    fwd, bwd, optim, wall, cpu = [], [], [], [], []
    for i in range(a.warmup + a.steps):
        c0, t0 = time.process_time(), time.perf_counter()
        opt.zero_grad()
        loss = F.mse_loss(model(x, t), target)
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        opt.step()
        t3, c3 = time.perf_counter(), time.process_time()
        if i >= a.warmup:
            fwd.append(t1 - t0); bwd.append(t2 - t1); optim.append(t3 - t2); wall.append(t3 - t0); cpu.append(c3 - c0)
    m = statistics.median
    print(f"torch_train memory_format={a.memory_format} adam={'fused' if a.fused else 'default'} step_s={m(wall):.4f} "
          f"cpu_step_s={m(cpu):.4f} forward_s={m(fwd):.4f} backward_s={m(bwd):.4f} optimizer_s={m(optim):.4f} "
          f"params={parameter_count(model)} start_rss_mb={int(start_rss)} peak_rss_mb={int(resident_mb()[1])} "
          f"loss={loss.item():.6f} batch={a.batch} steps={a.steps} torch={torch.__version__} {describe(a)}", flush=True)


def ddim_coefficients(ddim_steps, steps=1000, start=1e-4, end=0.02):
    """(t, cx, ce) per visited step of DDIM with eta = 0 on the linear schedule, as Diffusion's DiffusionSampler."""
    betas = [start + (end - start) * i / (steps - 1) for i in range(steps)]
    bars, p = [], 1.0
    for b in betas:
        p *= 1 - b
        bars.append(p)
    ts = [steps - 1] if ddim_steps == 1 else [math.floor(i * (steps - 1) / (ddim_steps - 1) + 0.5) for i in range(ddim_steps)]
    visited = ts[::-1]
    out = []
    for k, t in enumerate(visited):
        bar = bars[t]
        nxt = bars[visited[k + 1]] if k + 1 < len(visited) else 1.0
        ratio = math.sqrt(nxt / bar)
        out.append((t, ratio, math.sqrt(max(0.0, 1 - nxt)) - ratio * math.sqrt(1 - bar)))
    return out


def one_thread():
    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already set in this process (the 1-process run calls the worker from main)
        pass


def sample_worker(a, rank, share, barrier, results):
    one_thread()
    torch.manual_seed(0)
    model = make_model(a).eval()
    coefficients = ddim_coefficients(a.ddim_steps)
    gen = torch.Generator().manual_seed(1000 + rank)
    with torch.no_grad():
        model(torch.zeros(a.sample_batch, 1, a.size, a.size), torch.full((a.sample_batch,), 999.0))  # untimed warm-up
    if barrier is not None:
        barrier.wait()
    c0, t0 = time.process_time(), time.perf_counter()
    fields = []
    with torch.no_grad():
        for start in range(0, share, a.sample_batch):
            b = min(a.sample_batch, share - start)
            x = torch.randn(b, 1, a.size, a.size, generator=gen)
            for t, cx, ce in coefficients:
                eps = model(x, torch.full((b,), float(t)))
                x = x.mul_(cx).add_(eps, alpha=ce)
            fields.append(x)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert all(torch.isfinite(f).all() for f in fields)
    results.put((wall, cpu, resident_mb()[1]))


def sample(a):
    if a.samples % a.procs != 0:
        sys.exit(f"reference_torch.py: --samples {a.samples} must be a multiple of --procs {a.procs}")
    share = a.samples // a.procs
    if a.procs == 1:
        import queue
        q = queue.Queue()
        sample_worker(a, 0, share, None, q)
        results = [q.get()]
    else:
        import multiprocessing as mp
        ctx = mp.get_context("spawn")
        barrier, q = ctx.Barrier(a.procs), ctx.Queue()
        procs = [ctx.Process(target=sample_worker, args=(a, r, share, barrier, q)) for r in range(a.procs)]
        for p in procs:
            p.start()
        results = [q.get() for _ in procs]
        for p in procs:
            p.join()
    wall, cpu, peak = (max(r[i] for r in results) for i in range(3))
    print(f"torch_sample procs={a.procs} samples={a.samples} wall_s={wall:.4f} cpu_s={cpu:.4f} "
          f"fields_per_s={a.samples / wall:.4f} fields_per_cpu_s={a.samples / cpu:.4f} peak_rss_mb={int(peak)} "
          f"sample_batch={a.sample_batch} ddim_steps={a.ddim_steps} torch={torch.__version__} {describe(a)}", flush=True)


def check(a):
    """Copies Cascade's exported weights in, runs the same batch: output, loss and every gradient must agree."""
    import numpy as np
    manifest = json.load(open(a.weights + ".json"))
    data = np.fromfile(a.weights + ".bin", dtype="<f4")
    h, w, c = manifest["field"]
    a.size, a.levels, a.channels, a.blocks, a.groups = h, manifest["levels"], manifest["channels"], manifest["blocks"], manifest["groups"]
    a.no_attention = not manifest["attention"]
    model = make_model(a)
    params = list(model.named_parameters())
    views = sorted(manifest["views"], key=lambda v: v["offset"])
    n_torch, n_cascade = parameter_count(model), manifest["parameters"]
    print(f"parameters: PyTorch {n_torch} in {len(params)} tensors, Cascade {n_cascade} in {len(views)} tensors")
    if n_torch != n_cascade or len(params) != len(views):
        sys.exit("check FAILED: the parameter counts differ")
    off = manifest["offsets"]

    def tensor(view, part):
        v = data[off[part] + view["offset"]: off[part] + view["offset"] + view["count"]].reshape(view["shape"])
        return torch.from_numpy(v.transpose(0, 3, 1, 2).copy() if v.ndim == 4 else v.copy())  # OHWI -> OIHW

    with torch.no_grad():
        for (name, p), view in zip(params, views):
            value = tensor(view, "values")
            if tuple(value.shape) != tuple(p.shape):
                sys.exit(f"check FAILED: {name} {tuple(p.shape)} against Cascade's {view['name']} {view['shape']}")
            p.copy_(value)
    rows, f = manifest["rows"], h * w * c
    inputs = torch.from_numpy(data[off["inputs"]: off["inputs"] + rows * (f + 1)].reshape(rows, f + 1).copy())
    x = inputs[:, :f].reshape(rows, h, w, c).permute(0, 3, 1, 2).contiguous()
    t = inputs[:, f].contiguous()
    target = torch.from_numpy(data[off["targets"]: off["targets"] + rows * f].reshape(rows, h, w, c).copy()).permute(0, 3, 1, 2)
    expected = torch.from_numpy(data[off["output"]: off["output"] + rows * f].reshape(rows, h, w, c).copy()).permute(0, 3, 1, 2)
    y = model(x, t)
    loss = F.mse_loss(y, target)
    loss.backward()
    rel = lambda a_, b_: ((a_ - b_).norm() / b_.norm().clamp_min(1e-30)).item()
    out_err = rel(y.detach(), expected)
    loss_err = abs(loss.item() - manifest["loss"]) / abs(manifest["loss"])
    worst = max(((rel(p.grad, tensor(v, "gradients")), name, v["name"]) for (name, p), v in zip(params, views)))
    print(f"forward output relative error {out_err:.2e} (|y| = {expected.norm().item():.3f}); loss {loss.item():.6f} "
          f"against Cascade's {manifest['loss']:.6f} (relative {loss_err:.2e})")
    print(f"worst parameter gradient relative error {worst[0]:.2e} ({worst[1]} = Cascade's {worst[2]})")
    ok = out_err < 1e-4 and loss_err < 1e-4 and worst[0] < 1e-3
    print(f"torch_check parameters={n_torch} output_rel_err={out_err:.2e} loss_rel_err={loss_err:.2e} "
          f"worst_grad_rel_err={worst[0]:.2e} {'PASSED' if ok else 'FAILED'}")
    sys.exit(0 if ok else 1)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("mode", choices=["train", "sample", "check"])
    for key, default in [("size", 64), ("channels", 32), ("levels", 3), ("blocks", 2), ("groups", 8), ("batch", 16),
                         ("warmup", 2), ("steps", 5), ("samples", 16), ("sample-batch", 8), ("ddim-steps", 20), ("procs", 1)]:
        p.add_argument(f"--{key}", type=int, default=default)
    p.add_argument("--no-attention", action="store_true")
    p.add_argument("--memory-format", choices=["nchw", "channels_last"], default="nchw")
    p.add_argument("--fused", action="store_true", help="torch.optim.Adam(fused=True)")
    p.add_argument("--weights", help="check: PATH of cascade-bench-unet export --out PATH")
    a = p.parse_args()
    one_thread()
    if a.mode == "check" and not a.weights:
        p.error("check needs --weights PATH (made by: cascade-bench-unet export --out PATH)")
    {"train": train, "sample": sample, "check": check}[a.mode](a)


if __name__ == "__main__":
    main()
