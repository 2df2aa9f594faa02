"""PyTorch reference values for GroupNormTests.testMatchesPyTorch.

Run: bench/.venv-torch/bin/python Tests/LearningLayerTests/Scripts/group_norm_torch.py
(bench/.venv-torch as in the repository's convention, from /opt/wheels/torch-*.whl).
Every input is a dyadic rational, exact in float32 on both sides. Prints Swift array literals
in NHWC order (Cascade's layout); PyTorch computes in NCHW.
"""
import torch

N, H, W, C, G = 2, 2, 3, 4, 2
count = N * H * W * C
x_nhwc = torch.tensor([((i * 37) % 23 - 11) / 8 for i in range(count)], dtype=torch.float32).reshape(N, H, W, C)
r_nhwc = torch.tensor([((i * 13) % 7 - 3) / 4 for i in range(count)], dtype=torch.float32).reshape(N, H, W, C)
gamma = torch.tensor([0.5 + 0.25 * c for c in range(C)], dtype=torch.float32)
beta = torch.tensor([-0.125 * c for c in range(C)], dtype=torch.float32)

layer = torch.nn.GroupNorm(G, C, eps=1e-5)
with torch.no_grad():
    layer.weight.copy_(gamma)
    layer.bias.copy_(beta)
x = x_nhwc.permute(0, 3, 1, 2).contiguous().requires_grad_(True)
y = layer(x)
loss = (y * r_nhwc.permute(0, 3, 1, 2)).sum()
loss.backward()


def literal(name, t):
    values = ", ".join(f"{v:.9g}" for v in t.detach().reshape(-1).tolist())
    print(f"let {name}: [Float] = [{values}]")


literal("y", y.permute(0, 2, 3, 1))
literal("dx", x.grad.permute(0, 2, 3, 1))
literal("dGamma", layer.weight.grad)
literal("dBeta", layer.bias.grad)
