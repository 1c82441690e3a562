#!/usr/bin/env python3
"""PyTorch reference numbers for tests/bench/cuda_bench.cc on the same GPU.

Measures the same operations with CUDA events (warm-up first, then the mean over repeats):
matmul 4096^3 fp32 and TF32 in TFLOP/s, add over 64M floats, full sum of 64M floats, row sums
of 8192x8192 and a device-to-device copy (the practical bandwidth ceiling) in GB/s.
Writes JSON to the path given as the first argument (stdout without one).
"""
import json
import sys

import torch


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

    text = json.dumps(res, indent=2)
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w") as f:
            f.write(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
