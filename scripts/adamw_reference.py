#!/usr/bin/env python3
"""torch.optim.AdamW on a recorded sequence of gradients (Tests/FTXTrainTests/Fixtures/adamw).

Two runs of 20 steps over one float32 parameter vector of 24 values, each with its own
hyperparameters (weight decay on; the second with non-default betas and eps) and a learning rate
that changes every step (as ftx's schedules do, set on the param group before each step). The
gradients are seeded random with a few fixed cases: a zero gradient, a gradient 1e4 times larger
than the rest, and sign flips. torch.optim.AdamW with foreach=False, fused=False (the single-tensor
loop, the algorithm of its documentation), amsgrad=False, maximize=False; bias corrections
1 - beta^t with t counted from 1, as ftx's AdamW.

Writes adamw.json: for each run its betas, eps, weight_decay, the initial parameters, and per step
the learning rate, the gradient and the parameters after the step (float32 values written as the
shortest decimal that reads back to the same float32).

Usage (make references, or by hand; needs torch):
  .cache/venv/bin/python scripts/adamw_reference.py [OUT_DIR]
"""
import json
import os
import sys

import numpy as np
import torch

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "Tests", "FTXTrainTests", "Fixtures", "adamw")
N, STEPS = 24, 20
RUNS = [
    {"betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.01, "lr0": 1e-2},
    {"betas": [0.8, 0.95], "eps": 1e-6, "weight_decay": 0.1, "lr0": 3e-2},
]


def f32(a):
    """float32 values as Python floats (the shortest decimal of the float32, so the JSON reads back exactly)."""
    return [float(str(np.float32(x))) for x in np.asarray(a, dtype=np.float32).reshape(-1)]


def run(spec, rng):
    p0 = rng.standard_normal(N).astype(np.float32)
    param = torch.nn.Parameter(torch.tensor(p0))
    opt = torch.optim.AdamW([param], lr=spec["lr0"], betas=tuple(spec["betas"]), eps=spec["eps"],
                            weight_decay=spec["weight_decay"], amsgrad=False, foreach=False, fused=False)
    steps = []
    for t in range(STEPS):
        g = (rng.standard_normal(N) * 0.1).astype(np.float32)
        if t == 3:
            g[:] = 0                      # a step with no gradient: decay and momentum only
        if t == 7:
            g[5] *= 1e4                   # one huge gradient
        if t >= 10:
            g[::4] = -np.abs(g[::4]) if t % 2 else np.abs(g[::4])   # sign flips
        lr = spec["lr0"] * (0.5 + 0.5 * np.cos(np.pi * t / STEPS))  # a changing rate, cosine-like
        lr = float(np.float32(lr))
        for group in opt.param_groups:
            group["lr"] = lr
        param.grad = torch.tensor(g)
        opt.step()
        steps.append({"lr": lr, "grad": f32(g), "params": f32(param.detach().numpy())})
    return {"betas": spec["betas"], "eps": spec["eps"], "weight_decay": spec["weight_decay"],
            "initial": f32(p0), "steps": steps}


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    rng = np.random.default_rng(777)
    runs = [run(spec, rng) for spec in RUNS]
    with open(os.path.join(OUT, "adamw.json"), "w") as f:
        json.dump({"torch": torch.__version__.split("+")[0], "runs": runs}, f, indent=1)
        f.write("\n")
    print(f"torch {torch.__version__}: {len(runs)} runs of {STEPS} steps over {N} parameters")


if __name__ == "__main__":
    main()
