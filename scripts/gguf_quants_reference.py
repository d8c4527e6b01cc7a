#!/usr/bin/env python3
"""gguf-py's dequantization of random Q4_0, Q4_K, Q6_K, Q5_0, Q5_1, Q2_K, Q3_K and Q5_K blocks (Tests/FTXTensorTests/Fixtures/gguf_quants).

For each type, BLOCKS random blocks (seeded): every byte random, except that the f16 scales (d, and
dmin for Q4_K) are random finite halves of either sign, zero and subnormals included (random bits
with the all-ones exponent of inf/NaN excluded). gguf-py's `gguf.quants.dequantize` (numpy, f32) is
the reference; ftx must match it bit for bit.

Writes, per type T in q4_0, q4_k, q6_k, q5_0, q5_1, q2_k, q3_k, q5_k:
  T.blocks.bin   the raw blocks, as they sit in a GGUF tensor
  T.f32.bin      gguf-py's output, little-endian float32
and, for the quantizers of the GGUFs ftx writes (Q in q8_0, q4_1, q5_0; Q4_K: ggml_quantize_reference.py):
  Q.quantize-in.f32.bin     48 rows of 32 values (zero, constant, two-valued and random blocks)
  Q.quantize-out.blocks.bin gguf-py's `gguf.quants.quantize` of them

Usage (make references, or by hand):
  .cache/venv/bin/python scripts/gguf_quants_reference.py [OUT_DIR]
"""
import os
import sys

import numpy as np
from gguf import GGMLQuantizationType as QT
from gguf.constants import GGML_QUANT_SIZES
from gguf.quants import dequantize, quantize

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "Tests", "FTXTensorTests", "Fixtures", "gguf_quants")
BLOCKS = 48
# Byte offsets of the f16 scales in each block (ggml's block_q4_0, block_q4_K, block_q6_K, …).
# New types go at the end: the generator is seeded once, so earlier fixtures keep their bytes.
TYPES = {"q4_0": (QT.Q4_0, [0]), "q4_k": (QT.Q4_K, [0, 2]), "q6_k": (QT.Q6_K, [208]),
         "q5_0": (QT.Q5_0, [0]), "q5_1": (QT.Q5_1, [0, 2]), "q2_k": (QT.Q2_K, [80, 82]),
         "q3_k": (QT.Q3_K, [108]), "q5_k": (QT.Q5_K, [0, 2])}


def finite_halves(rng, n):
    bits = rng.integers(0, 1 << 16, size=n, dtype=np.uint16)
    bad = (bits & 0x7C00) == 0x7C00
    while bad.any():
        bits[bad] = rng.integers(0, 1 << 16, size=int(bad.sum()), dtype=np.uint16)
        bad = (bits & 0x7C00) == 0x7C00
    return bits


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20240612)
    for name, (qt, scale_offsets) in TYPES.items():
        block_elems, block_bytes = GGML_QUANT_SIZES[qt]
        blocks = rng.integers(0, 256, size=(BLOCKS, block_bytes), dtype=np.uint8)
        for off in scale_offsets:
            h = finite_halves(rng, BLOCKS)
            blocks[:, off] = (h & 0xFF).astype(np.uint8)
            blocks[:, off + 1] = (h >> 8).astype(np.uint8)
        # A few fixed scales: zero, the smallest subnormal, the largest finite half, negative one.
        for i, h in enumerate([0x0000, 0x0001, 0x7BFF, 0xBC00]):
            for off in scale_offsets:
                blocks[i, off], blocks[i, off + 1] = h & 0xFF, h >> 8
        out = dequantize(blocks.reshape(-1), qt).astype("<f4")
        assert out.size == BLOCKS * block_elems and np.isfinite(out).all()
        blocks.tofile(os.path.join(OUT, f"{name}.blocks.bin"))
        out.tofile(os.path.join(OUT, f"{name}.f32.bin"))
        print(f"{name}: {BLOCKS} blocks of {block_bytes} bytes -> {out.size} values")
    # Quantization (the GGUFs ftx writes): rows of every kind of block through gguf-py's quantize.
    for name, qt in {"q8_0": QT.Q8_0, "q4_1": QT.Q4_1, "q5_0": QT.Q5_0}.items():
        x = rng.standard_normal((BLOCKS, 32)).astype(np.float32) * rng.choice([1e-3, 0.05, 1, 30], size=(BLOCKS, 1)).astype(np.float32)
        x[0] = 0                      # an all-zero block (d = 0)
        x[1] = 0.25                   # a constant block
        x[2, :16], x[2, 16:] = -1, 1  # two values
        x[3] = np.linspace(-2, 2, 32, dtype=np.float32)
        x.astype("<f4").tofile(os.path.join(OUT, f"{name}.quantize-in.f32.bin"))
        quantize(x.reshape(-1, 32), qt).reshape(-1).tofile(os.path.join(OUT, f"{name}.quantize-out.blocks.bin"))
        print(f"{name}: {BLOCKS} blocks quantized")


if __name__ == "__main__":
    main()
