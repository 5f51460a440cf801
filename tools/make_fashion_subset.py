#!/usr/bin/python3
"""Writes samples/data/fashion-mnist-small: the first 5,000 training and 1,000 test images of
Fashion-MNIST from Debian's dataset-fashion-mnist, as gzipped IDX (deterministic bytes)."""
import gzip
import os
import struct
import sys

SRC = "/usr/share/datasets/fashion-mnist/"
DST = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "samples", "data", "fashion-mnist-small")


def read(name):
    data = gzip.open(SRC + name).read()
    rank = struct.unpack(">I", data[:4])[0] & 0xFF
    dims = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    return dims, data[4 + 4 * rank:]


def write(name, dims, body):
    with gzip.GzipFile(os.path.join(DST, name), "wb", compresslevel=9, mtime=0) as f:
        f.write(struct.pack(">I", 0x800 | len(dims)))
        f.write(struct.pack(">" + "I" * len(dims), *dims))
        f.write(body)


os.makedirs(DST, exist_ok=True)
for split, count in (("train", 5000), ("t10k", 1000)):
    _, images = read(split + "-images-idx3-ubyte.gz")
    _, labels = read(split + "-labels-idx1-ubyte.gz")
    write(split + "-images-idx3-ubyte.gz", (count, 28, 28), images[:count * 784])
    write(split + "-labels-idx1-ubyte.gz", (count,), labels[:count])
