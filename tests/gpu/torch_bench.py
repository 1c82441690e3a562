#!/usr/bin/env python3
"""PyTorch reference numbers for tests/bench/cuda_bench.cc on the same GPU.

Measures the same operations with CUDA events (warm-up first, then the mean over repeats):
matmul 4096^3 fp32 and TF32 in TFLOP/s, add over 64M floats, full sum of 64M floats, row sums
of 8192x8192 and a device-to-device copy (the practical bandwidth ceiling) in GB/s, and one
MLPResNet(784, 100, 3, 10) training step (forward, cross-entropy, backward, Adam) in eager mode
at batch 128 and 1024 in ms, synchronising after every step as BM_CudaMLPResNetStep does; and
needle's ResNet9 and the CIFAR ResNet-18 training at batch 128 in images/s (BM_CudaResNetStep).
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


def seconds_per_step(model, opt, x, y, repeats, warmup):
    """Mean wall time of a training step (zero_grad, cross-entropy, backward, step, sync)."""
    loss_fn = nn.CrossEntropyLoss()

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
    return (time.perf_counter() - start) / repeats


def mlp_step_ms(dev, batch, repeats=200, warmup=10):
    torch.manual_seed(0)
    model = mlp_resnet().to(dev).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(batch, 784, device=dev)
    y = torch.randint(0, 10, (batch,), device=dev)
    return seconds_per_step(model, opt, x, y, repeats, warmup) * 1e3


class ConvBN(nn.Sequential):
    def __init__(self, a, b, k, s):
        super().__init__(nn.Conv2d(a, b, k, s, k // 2), nn.BatchNorm2d(b), nn.ReLU())


def resnet9():
    """needle's ResNet9 (nn/resnet.h): the same layers, biases and order."""
    return nn.Sequential(
        ConvBN(3, 16, 7, 4), ConvBN(16, 32, 3, 2),
        Residual(nn.Sequential(ConvBN(32, 32, 3, 1), ConvBN(32, 32, 3, 1))),
        ConvBN(32, 64, 3, 2), ConvBN(64, 128, 3, 2),
        Residual(nn.Sequential(ConvBN(128, 128, 3, 1), ConvBN(128, 128, 3, 1))),
        nn.Flatten(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 10))


class BasicBlock(nn.Module):
    def __init__(self, a, b, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(a, b, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(b)
        self.conv2 = nn.Conv2d(b, b, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(b)
        self.downsample = None
        if stride != 1 or a != b:
            self.downsample = nn.Sequential(nn.Conv2d(a, b, 1, stride, bias=False),
                                            nn.BatchNorm2d(b))

    def forward(self, x):
        h = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        return torch.relu(h + (x if self.downsample is None else self.downsample(x)))


class ResNet18(nn.Module):
    """The CIFAR ResNet-18 of nn/resnet18.h (torchvision's keys, 3x3 stem, no max-pool)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        chans = [(64, 64, 1), (64, 128, 2), (128, 256, 2), (256, 512, 2)]
        for i, (a, b, s) in enumerate(chans, 1):
            setattr(self, f"layer{i}", nn.Sequential(BasicBlock(a, b, s), BasicBlock(b, b, 1)))
        self.fc = nn.Linear(512, 10)

    def forward(self, x):
        h = torch.relu(self.bn1(self.conv1(x)))
        h = self.layer4(self.layer3(self.layer2(self.layer1(h))))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(h, 1), 1))


def resnet_images_per_s(dev, model, batch=128, repeats=50, warmup=5):
    torch.manual_seed(0)
    model = model.to(dev).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    x = torch.randn(batch, 3, 32, 32, device=dev)
    y = torch.randint(0, 10, (batch,), device=dev)
    return batch / seconds_per_step(model, opt, x, y, repeats, warmup)


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

    # cuDNN convolutions in fp32 (TF32 off, as in needle by default), no autotuning: the
    # algorithm heuristics, as needle uses them.
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = False
    res["resnet9_img_s"] = resnet_images_per_s(dev, resnet9())
    res["resnet18_img_s"] = resnet_images_per_s(dev, ResNet18())

    text = json.dumps(res, indent=2)
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w") as f:
            f.write(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
