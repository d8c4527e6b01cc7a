#!/usr/bin/env python3
"""llama.cpp's own Q4_K quantizer on fixed rows (Tests/FTXTensorTests/Fixtures/gguf_quants/q4_k.quantize-*).

gguf-py has no Q4_K quantizer, so the reference is ggml's C code: `ggml_quantize_chunk(GGML_TYPE_Q4_K,
…, imatrix=NULL)`, which runs `quantize_row_q4_K_ref`, called through ctypes in the libggml-base that
llama-cpp-python 0.3.36 ships. The rows cover an all-zero block, a constant block, a two-valued block,
a ramp, all-positive and all-negative blocks, and random blocks at several magnitudes.

Writes:
  q4_k.quantize-in.f32.bin      ROWS rows of 256 little-endian float32
  q4_k.quantize-out.blocks.bin  ggml's Q4_K blocks of them (144 bytes a row)

Usage (make references-arch runs it with llama-cpp-python's interpreter):
  .cache/bench-serve/venv/bin/python scripts/ggml_quantize_reference.py [OUT_DIR]
"""
import ctypes
import glob
import os
import sys

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "Tests", "FTXTensorTests", "Fixtures", "gguf_quants")
GGML_TYPE_Q4_K = 12
ROWS = 48


def libggml():
    import llama_cpp
    libs = glob.glob(os.path.join(os.path.dirname(llama_cpp.__file__), "lib", "libggml-base.so*"))
    if not libs:
        raise SystemExit("libggml-base.so not found beside llama_cpp")
    lib = ctypes.CDLL(sorted(libs)[0])
    lib.ggml_quantize_chunk.restype = ctypes.c_size_t
    lib.ggml_quantize_chunk.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64,
                                        ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p]
    return lib


def rows():
    rng = np.random.default_rng(20261207)
    x = rng.standard_normal((ROWS, 256)).astype(np.float32)
    x *= rng.choice([1e-3, 0.02, 1, 30], size=(ROWS, 1)).astype(np.float32)
    x[0] = 0
    x[1] = 0.25
    x[2, :128], x[2, 128:] = -1, 1
    x[3] = np.linspace(-2, 2, 256, dtype=np.float32)
    x[4] = np.abs(x[4])
    x[5] = -np.abs(x[5])
    x[6, :32] = 0                       # one empty sub-block among full ones
    return x


def main():
    lib = libggml()
    x = np.ascontiguousarray(rows())
    out = np.zeros(ROWS * 144, dtype=np.uint8)
    n = lib.ggml_quantize_chunk(GGML_TYPE_Q4_K, x.ctypes.data, out.ctypes.data, 0, ROWS, 256, None)
    assert n == out.size, n
    os.makedirs(OUT, exist_ok=True)
    x.astype("<f4").tofile(os.path.join(OUT, "q4_k.quantize-in.f32.bin"))
    out.tofile(os.path.join(OUT, "q4_k.quantize-out.blocks.bin"))
    print(f"q4_k: {ROWS} rows quantized by ggml")


if __name__ == "__main__":
    main()
