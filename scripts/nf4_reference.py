#!/usr/bin/env python3
"""bitsandbytes' NF4 as references for ftx's QLoRA storage (Tests/FTXTrainTests/Fixtures/nf4).

1. The 16 NF4 levels, read out of bitsandbytes' own source: the wheel is fetched with
   `pip download --no-deps bitsandbytes==0.50.2` and the list assigned under `typename == "nf4"` in
   `get_4bit_type` (bitsandbytes/functional.py) is extracted with `ast`; torch.tensor() stores them as
   float32, so they are written as the little-endian hex of each f32 (bnb_nf4_levels_f32.txt).

2. A quantize/dequantize round trip of random weights by a float64 numpy reimplementation of
   bitsandbytes' `quantize_4bit(..., quant_type="nf4", compress_statistics=True)` and
   `dequantize_4bit` (the torch reference kernels of bitsandbytes/backends/default/ops.py):
     absmax of each block of 64; code = bucketize(clamp(x / absmax, -1, 1), midpoints of the levels)
     (a value on a midpoint takes the lower code); double quantization: offset = mean(absmax),
     then each group of 256 (absmax - offset) is quantized blockwise to the signed dynamic map
     (bnb_dynamic_map_f32.txt, bitsandbytes' create_dynamic_map) by the same bucketize;
     dequantized absmax = map[q] * group_absmax + offset; weight = level[code] * dequantized absmax.
   Elements that fall within 1e-5 of a midpoint (where f32 and float64 could round apart) are moved
   off it before the reference is computed, so the comparison can be exact on codes.
   Rows are whole blocks (cols % 64 == 0), so per-row blocks equal bitsandbytes' flat blocks.

Writes: bnb_nf4_levels_f32.txt, roundtrip.json (shape, version), roundtrip_input_f32.bin,
roundtrip_codes_u8.bin (one code per weight), roundtrip_absmax_codes_u8.bin (one per block),
roundtrip_absmax_f32.bin (dequantized absmax per block), roundtrip_dequant_f32.bin.

Usage (make references, or by hand; needs numpy and pip):
  .cache/venv/bin/python scripts/nf4_reference.py [OUT_DIR]
"""
import ast
import glob
import json
import os
import subprocess
import sys
import zipfile

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "Tests", "FTXTrainTests", "Fixtures", "nf4")
DYNAMIC_MAP = os.path.join(ROOT, "Tests", "FTXTrainTests", "Fixtures", "bnb_dynamic_map_f32.txt")
WHEELS = os.path.join(ROOT, ".cache", "wheels")
BITSANDBYTES = "0.50.2"   # the release whose table is committed; a newer one is checked by raising this
ROWS, COLS, BLOCK, GROUP = 40, 448, 64, 256   # 280 blocks: two groups, the second ragged


def bitsandbytes_source():
    """(version, text of bitsandbytes/functional.py) from the wheel on PyPI."""
    os.makedirs(WHEELS, exist_ok=True)
    pattern = os.path.join(WHEELS, f"bitsandbytes-{BITSANDBYTES}-*.whl")
    if not glob.glob(pattern):
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", f"bitsandbytes=={BITSANDBYTES}", "-d", WHEELS], check=True)
    wheel = sorted(glob.glob(pattern))[-1]
    version = os.path.basename(wheel).split("-")[1]
    with zipfile.ZipFile(wheel) as z:
        return version, z.read("bitsandbytes/functional.py").decode("utf-8")


def nf4_levels(source):
    """The list literal assigned to `data` under `if typename == "nf4":` in get_4bit_type."""
    for fn in ast.walk(ast.parse(source)):
        if isinstance(fn, ast.FunctionDef) and fn.name == "get_4bit_type":
            for node in ast.walk(fn):
                if (isinstance(node, ast.If) and isinstance(node.test, ast.Compare)
                        and isinstance(node.test.comparators[0], ast.Constant) and node.test.comparators[0].value == "nf4"):
                    for stmt in node.body:
                        if isinstance(stmt, ast.Assign) and stmt.targets[0].id == "data":
                            values = ast.literal_eval(stmt.value)
                            assert len(values) == 16
                            return values
    raise SystemExit("NF4 table not found in bitsandbytes/functional.py")


def f32_from_hex(path):
    return np.array([np.frombuffer(bytes.fromhex(line.strip()), dtype="<f4")[0] for line in open(path) if line.strip()])


def bucketize(x, bounds):
    """torch.bucketize(x, bounds, right=False): the number of bounds strictly below x."""
    return np.searchsorted(bounds, x, side="left")


def near(x, bounds, eps):
    i = np.clip(np.searchsorted(bounds, x), 1, len(bounds) - 1)
    return np.minimum(np.abs(x - bounds[i - 1]), np.abs(x - bounds[i])) < eps


def reference(w, levels, dmap):
    """bitsandbytes NF4 with double quantization, in float64."""
    lv_mid = ((levels[:-1] + levels[1:]) / 2).astype(np.float32).astype(np.float64)  # bnb: f32 midpoints
    dm_mid = ((dmap[:-1] + dmap[1:]) / 2).astype(np.float32).astype(np.float64)
    x = w.astype(np.float64).reshape(-1, BLOCK)
    absmax = np.abs(x).max(axis=1)
    scaled = np.clip(x / np.maximum(absmax, 1e-38)[:, None], -1, 1)
    offset = absmax.mean()
    a = absmax - offset
    q2 = np.empty(len(a), dtype=np.int64)
    am_hat = np.empty(len(a))
    s_all = np.empty(len(a))
    for g in range(0, len(a), GROUP):
        ga = a[g:g + GROUP]
        a2 = np.abs(ga).max()
        s = np.clip(ga / max(a2, 1e-38), -1, 1)
        s_all[g:g + GROUP] = s
        q2[g:g + GROUP] = bucketize(s, dm_mid)
        am_hat[g:g + GROUP] = dmap[q2[g:g + GROUP]] * a2 + offset
    codes = bucketize(scaled, lv_mid)
    out = levels[codes] * am_hat[:, None]
    ties = near(scaled, lv_mid, 1e-5), near(s_all, dm_mid, 1e-6)
    return codes.reshape(-1), q2, am_hat, out.reshape(-1), ties


def main():
    os.makedirs(OUT, exist_ok=True)
    version, source = bitsandbytes_source()
    levels = np.array(nf4_levels(source), dtype=np.float32)
    levels /= np.abs(levels).max()  # get_4bit_type: data.div_(data.abs().max())
    with open(os.path.join(OUT, "bnb_nf4_levels_f32.txt"), "w") as f:
        f.write("\n".join(np.array([v], dtype="<f4").tobytes().hex() for v in levels) + "\n")
    levels = levels.astype(np.float64)
    dmap = f32_from_hex(DYNAMIC_MAP).astype(np.float64)

    rng = np.random.default_rng(4242)
    w = (rng.standard_normal((ROWS, COLS)) * rng.uniform(0.005, 0.05, size=(ROWS, 1))).astype(np.float32)
    w[3, 64:128] = 0          # an all-zero block
    w[7, :64] *= 40           # a block far above the mean absmax
    flat = w.reshape(-1, BLOCK)
    for _ in range(100):      # move values off midpoints, and blocks off dynamic-map midpoints
        codes, q2, am_hat, out, (tie, btie) = reference(w, levels, dmap)
        if not tie.any() and not btie.any():
            break
        flat[tie] = (flat[tie] * np.float32(1.001)).astype(np.float32)
        flat[btie] = (flat[btie] * np.float32(1.01)).astype(np.float32)
    else:
        raise SystemExit("could not move the data off the midpoints")

    w.astype("<f4").tofile(os.path.join(OUT, "roundtrip_input_f32.bin"))
    codes.astype(np.uint8).tofile(os.path.join(OUT, "roundtrip_codes_u8.bin"))
    q2.astype(np.uint8).tofile(os.path.join(OUT, "roundtrip_absmax_codes_u8.bin"))
    am_hat.astype("<f4").tofile(os.path.join(OUT, "roundtrip_absmax_f32.bin"))
    out.astype("<f4").tofile(os.path.join(OUT, "roundtrip_dequant_f32.bin"))
    with open(os.path.join(OUT, "roundtrip.json"), "w") as f:
        json.dump({"rows": ROWS, "cols": COLS, "blocksize": BLOCK, "groupsize": GROUP, "bitsandbytes": version}, f, indent=1)
        f.write("\n")
    print(f"bitsandbytes {version}: 16 levels; round trip of {ROWS}x{COLS} ({ROWS * COLS // BLOCK} blocks)")


if __name__ == "__main__":
    main()
