#!/usr/bin/env python3
"""Cuts the first records of an MNIST-style IDX dataset into a smaller one, for short runs.

    cut_idx.py SRC DST TRAIN TEST

writes DST/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz holding the first TRAIN training
and TEST test records of the gzipped IDX files in SRC (Debian's dataset-fashion-mnist puts them
in /usr/share/datasets/fashion-mnist). The header's count is rewritten and everything else kept,
so MNISTDataset validates a cut file like the full one. Used by the examples' ctest runs
(expect_training.py) and by tests/gpu/fetch-debs.sh.
"""
import gzip
import os
import struct
import sys

SPLITS = ("train", "t10k")
# (file kind, header bytes); a record is the product of the dimensions after the count.
KINDS = (("images-idx3", 16), ("labels-idx1", 8))


def missing(src):
    """The first file cut() would read that is not in `src`, or None."""
    for split in SPLITS:
        for kind, _ in KINDS:
            path = os.path.join(src, f"{split}-{kind}-ubyte.gz")
            if not os.path.isfile(path):
                return path
    return None


def cut(src, dst, counts, compresslevel=9):
    """counts: {"train": n, "t10k": m}. Reads only the records it keeps."""
    os.makedirs(dst, exist_ok=True)
    for split in SPLITS:
        count = counts[split]
        for kind, header in KINDS:
            name = f"{split}-{kind}-ubyte.gz"
            with gzip.open(os.path.join(src, name)) as f:
                head = f.read(header)
                record = 1
                for (dim,) in struct.iter_unpack(">I", head[8:]):
                    record *= dim
                raw = head + f.read(count * record)
            (available,) = struct.unpack(">I", raw[4:8])
            if available < count:
                raise SystemExit(f"cut_idx: {src}/{name} holds {available} records, not {count}")
            out = raw[:4] + struct.pack(">I", count) + raw[8:]
            with gzip.open(os.path.join(dst, name), "wb", compresslevel=compresslevel) as f:
                f.write(out)


if __name__ == "__main__":
    if len(sys.argv) != 5:
        raise SystemExit(__doc__)
    cut(sys.argv[1], sys.argv[2], {"train": int(sys.argv[3]), "t10k": int(sys.argv[4])})
