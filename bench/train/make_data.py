#!/usr/bin/env python3
"""Deterministic English text for the training benchmark: docstrings of Python's standard library,
cut into ~1,400-character examples (each ≥ 256 tokens, so every sequence is exactly max_seq_length
after truncation). Usage: make_data.py OUT.jsonl N"""
import importlib, json, pkgutil, sys

out, n = sys.argv[1], int(sys.argv[2])
mods = sorted(m.name for m in pkgutil.iter_modules() if not m.name.startswith("_"))
text = []
for name in mods:
    if name in ("antigravity", "this", "idlelib", "tkinter", "turtle", "turtledemo"):
        continue
    try:
        m = importlib.import_module(name)
    except Exception:
        continue
    for obj in [m] + [getattr(m, a, None) for a in sorted(dir(m))[:40]]:
        d = getattr(obj, "__doc__", None)
        if isinstance(d, str) and len(d) > 200:
            text.append(" ".join(d.split()))
    if sum(map(len, text)) > n * 1600:
        break
blob = " ".join(text)
rows = [blob[i * 1400:(i + 1) * 1400] for i in range(n)]
with open(out, "w") as f:
    for r in rows:
        f.write(json.dumps({"text": r}) + "\n")
