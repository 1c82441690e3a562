"""PyTorch twins of libneedle models, and a hand-written safetensors reader/writer.

Shared by make_reference.py (PyTorch -> libneedle) and check_in_pytorch.py (libneedle ->
PyTorch). Debian ships no `safetensors` package; the format is simple enough to write here:
8-byte little-endian header length, JSON header, raw little-endian data. Reading needs torch
alone (no numpy), so the check also runs on a PyTorch install without it.
"""
import json
import struct

import torch


class Residual(torch.nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x) + x


def residual_block(dim, hidden, drop):
    return torch.nn.Sequential(
        Residual(torch.nn.Sequential(
            torch.nn.Linear(dim, hidden), torch.nn.BatchNorm1d(hidden), torch.nn.ReLU(),
            torch.nn.Dropout(drop), torch.nn.Linear(hidden, dim), torch.nn.BatchNorm1d(dim))),
        torch.nn.ReLU())


def mlp_resnet(dim, hidden, blocks, classes, drop):
    return torch.nn.Sequential(
        torch.nn.Linear(dim, hidden), torch.nn.ReLU(),
        *[residual_block(hidden, hidden // 2, drop) for _ in range(blocks)],
        torch.nn.Linear(hidden, classes))


def conv_net():
    """The twin of save_for_pytorch.cc's Sequential(Conv2d(2, 3, 3, 1, 1), BatchNorm2d(3), ReLU,
    Flatten, Linear(60, 4)) for (N, 2, 4, 5) inputs."""
    return torch.nn.Sequential(
        torch.nn.Conv2d(2, 3, 3, 1, 1), torch.nn.BatchNorm2d(3), torch.nn.ReLU(),
        torch.nn.Flatten(), torch.nn.Linear(3 * 4 * 5, 4))


DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64", torch.int32: "I32",
          torch.uint8: "U8"}


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous()
        data = t.numpy().tobytes()  # x86: little-endian already
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = metadata
    js = json.dumps(header, separators=(",", ":")).encode()
    js += b" " * (-len(js) % 8)  # the reference implementation pads to 8 bytes
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(js)))
        f.write(js)
        for blob in blobs:
            f.write(blob)


def read_safetensors(path):
    """Returns ({name: tensor}, metadata)."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    torch_types = {v: k for k, v in DTYPES.items()}
    torch_types["BOOL"] = torch.bool
    metadata = header.pop("__metadata__", {})
    out = {}
    for name, entry in header.items():
        b, e = entry["data_offsets"]
        dtype = torch_types[entry["dtype"]]
        if b == e:  # frombuffer refuses an empty buffer
            out[name] = torch.zeros(entry["shape"], dtype=dtype)
            continue
        flat = torch.frombuffer(bytearray(data[b:e]), dtype=dtype)  # x86: little-endian
        out[name] = flat.reshape(entry["shape"])
    return out, metadata
