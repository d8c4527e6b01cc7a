#!/usr/bin/env python3
"""gen_small.py OUT_DIR COUNT TOTAL_BYTES: COUNT small text files (deterministic), TOTAL_BYTES in all,
spread over 100 directories, as a dataset of many small examples looks."""
import os
import random
import sys

out, count, total = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(99)
words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9))) for _ in range(5000)]
size = total // count
for i in range(count):
    d = os.path.join(out, "d%02d" % (i % 100))
    os.makedirs(d, exist_ok=True)
    text = " ".join(rng.choices(words, k=size // 5))
    with open(os.path.join(d, "ex-%05d.txt" % i), "w") as f:
        f.write((text + "\n")[:size] if len(text) >= size else text.ljust(size - 1) + "\n")
