#!/usr/bin/python3
"""Writes samples/data/shapes: a small synthetic segmentation set for samples/unet_small.cnn.
Each 32x32 grey image is noise with one to three filled shapes on it, squares and discs of
random size and brightness; its mask gives each pixel's class (0 background, 1 square, 2 disc;
a later shape covers an earlier one). 800 training and 200 test images, as gzipped IDX
(images [N,32,32], masks [N,32,32], one byte a pixel), the same bytes on every run (seed 7).
"""
import gzip
import os
import random
import struct
import sys

DST = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "samples", "data", "shapes")
SIZE = 32


def example(r):
    # noise in steps of 8 (it compresses to a fifth of the raw bytes, and is still noise to a conv)
    image = [8 * r.randint(0, 12) for _ in range(SIZE * SIZE)]
    mask = [0] * (SIZE * SIZE)
    for _ in range(r.randint(1, 3)):
        kind = r.choice([1, 2])
        half = r.randint(3, 7)
        cy, cx = r.randint(half, SIZE - 1 - half), r.randint(half, SIZE - 1 - half)
        level = r.randint(120, 200)
        for y in range(cy - half, cy + half + 1):
            for x in range(cx - half, cx + half + 1):
                if kind == 2 and (y - cy) ** 2 + (x - cx) ** 2 > half * half:
                    continue
                image[y * SIZE + x] = min(255, level + 8 * r.randint(0, 6))
                mask[y * SIZE + x] = kind
    return bytes(image), bytes(mask)


def write(name, count, body):
    with gzip.GzipFile(os.path.join(DST, name), "wb", compresslevel=9, mtime=0) as f:
        f.write(struct.pack(">I", 0x800 | 3))
        f.write(struct.pack(">III", count, SIZE, SIZE))
        f.write(body)


def main():
    os.makedirs(DST, exist_ok=True)
    r = random.Random(7)
    for split, count in (("train", 800), ("t10k", 200)):
        pairs = [example(r) for _ in range(count)]
        write(split + "-images-idx3-ubyte.gz", count, b"".join(p[0] for p in pairs))
        write(split + "-labels-idx3-ubyte.gz", count, b"".join(p[1] for p in pairs))


if __name__ == "__main__":
    main()
