#!/usr/bin/env python3
"""PyTorch reference numbers for tests/bench/cuda_bench.cc on the same GPU.

Measures the same operations with CUDA events (warm-up first, then the mean over repeats):
matmul 4096^3 fp32 and TF32 in TFLOP/s, add over 64M floats, full sum of 64M floats, row sums
of 8192x8192 and a device-to-device copy (the practical bandwidth ceiling) in GB/s, and one
MLPResNet(784, 100, 3, 10) training step (forward, cross-entropy, backward, Adam) in eager mode
at batch 128 and 1024 in ms, synchronising after every step as BM_CudaMLPResNetStep does.
Writes JSON to the path given as the first argument (stdout without one).
"""
import json
import sys
import time

import torch
from torch import nn


def timed(fn, repeats, warmup=3):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(repeats):
        fn()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) / 1e3 / repeats  # seconds per call


class Residual(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x) + x


def mlp_resnet(dim=784, hidden=100, num_blocks=3, num_classes=10, drop_prob=0.1):
    """needle's MLPResNet: the same layers in the same order (state-dict keys match)."""

    def block(d, h):
        return nn.Sequential(
            Residual(nn.Sequential(nn.Linear(d, h), nn.BatchNorm1d(h), nn.ReLU(),
                                   nn.Dropout(drop_prob), nn.Linear(h, d), nn.BatchNorm1d(d))),
            nn.ReLU())

    return nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(),
                         *[block(hidden, hidden // 2) for _ in range(num_blocks)],
                         nn.Linear(hidden, num_classes))


def mlp_step_ms(dev, batch, repeats=200, warmup=10):
    torch.manual_seed(0)
    model = mlp_resnet().to(dev).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.rand(batch, 784, device=dev)
    y = torch.randint(0, 10, (batch,), device=dev)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        torch.cuda.synchronize()

    for _ in range(warmup):
        step()
    start = time.perf_counter()
    for _ in range(repeats):
        step()
    return (time.perf_counter() - start) / repeats * 1e3


def main():
    if not torch.cuda.is_available():
        print(json.dumps({"error": "torch sees no CUDA device"}))
        return 0
    dev = torch.device("cuda")
    res = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__}

    n = 4096
    a = torch.rand(n, n, device=dev) * 2 - 1
    b = torch.rand(n, n, device=dev) * 2 - 1
    for name, tf32 in (("matmul_fp32_tflops", False), ("matmul_tf32_tflops", True)):
        torch.backends.cuda.matmul.allow_tf32 = tf32
        t = timed(lambda: torch.matmul(a, b), 20)
        res[name] = 2 * n**3 / t / 1e12
    torch.backends.cuda.matmul.allow_tf32 = False
    del a, b

    n = 64 << 20
    x = torch.ones(n, device=dev)
    y = torch.full((n,), 2.0, device=dev)
    z = torch.empty(n, device=dev)
    res["add_gbs"] = 3 * 4 * n / timed(lambda: torch.add(x, y, out=z), 50) / 1e9
    res["sum_gbs"] = 4 * n / timed(lambda: torch.sum(x), 50) / 1e9
    res["copy_gbs"] = 2 * 4 * n / timed(lambda: z.copy_(x), 50) / 1e9
    del x, y, z

    m = torch.rand(8192, 8192, device=dev)
    res["rowsum_gbs"] = 4 * m.numel() / timed(lambda: m.sum(1), 50) / 1e9
    del m

    for batch in (128, 1024):
        res[f"mlp_step_{batch}_ms"] = mlp_step_ms(dev, batch)

    text = json.dumps(res, indent=2)
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w") as f:
            f.write(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
