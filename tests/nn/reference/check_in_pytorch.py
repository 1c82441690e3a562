#!/usr/bin/env python3
"""Checks the libneedle -> PyTorch direction of checkpoints by hand (not run by ctest).

A C++ program saves an MLPResNet(6, 8, 2, 3, BatchNorm1d, drop 0) with needle::save and an
input/eval-output pair with needle::save_safetensors({{"x", ...}, {"y", ...}}); this script
loads the checkpoint into the PyTorch twin with load_state_dict(strict=True) and compares.
Usage: /usr/bin/python3 check_in_pytorch.py model.safetensors io.safetensors
"""
import sys

import torch

from torch_models import mlp_resnet, read_safetensors

state, meta = read_safetensors(sys.argv[1])
io, _ = read_safetensors(sys.argv[2])
model = mlp_resnet(6, 8, 2, 3, 0.0)
print("metadata:", meta)
print(model.load_state_dict(state, strict=True))
model.eval()
with torch.no_grad():
    diff = (model(io["x"]) - io["y"]).abs().max().item()
print("max |torch - needle| =", diff)
sys.exit(0 if diff < 1e-5 else 1)
