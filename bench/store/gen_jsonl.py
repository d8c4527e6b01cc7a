#!/usr/bin/env python3
"""Deterministic synthetic chat-format JSONL of a given size, and a 1%-edited copy.

gen_jsonl.py make OUT SIZE_BYTES      rows of {"id", "messages": [user, assistant]}
gen_jsonl.py edit IN OUT PERCENT      rewrites every (100/PERCENT)-th row's answer (spread through the file)
"""
import json
import random
import sys


def vocabulary(rng):
    letters = "abcdefghijklmnopqrstuvwxyz"
    return ["".join(rng.choice(letters) for _ in range(rng.randint(2, 10))) for _ in range(20000)]


def make(out, size):
    rng = random.Random(1234)
    vocab = vocabulary(rng)
    # A long random word stream; rows are random slices of it, so rows are unique and compress
    # like text (no long-range repeats for chunk dedup to exploit).
    blob = " ".join(rng.choices(vocab, k=3_000_000))
    n = len(blob)
    written = 0
    i = 0
    with open(out, "w") as f:
        buf = []
        while written < size:
            a = rng.randrange(0, n - 400)
            b = rng.randrange(0, n - 400)
            q = blob[a:a + rng.randint(40, 160)]
            ans = blob[b:b + rng.randint(60, 240)]
            row = '{"id": "ex-%08d", "messages": [{"role": "user", "content": "%s"}, {"role": "assistant", "content": "%s"}]}\n' % (i, q, ans)
            buf.append(row)
            written += len(row)
            i += 1
            if len(buf) >= 10000:
                f.write("".join(buf))
                buf = []
        f.write("".join(buf))
    print(f"{out}: {i} rows, {written} bytes", file=sys.stderr)


def edit(src, out, percent):
    step = max(1, int(round(100 / percent)))
    rng = random.Random(99)
    edited = 0
    with open(src) as fi, open(out, "w") as fo:
        for i, line in enumerate(fi):
            if i % step == step // 2:
                row = json.loads(line)
                row["messages"][1]["content"] = "EDITED %d %s" % (rng.randrange(10**9), row["messages"][1]["content"][::-1])
                line = json.dumps(row) + "\n"
                edited += 1
            fo.write(line)
    print(f"{out}: edited {edited} rows (every {step}th)", file=sys.stderr)


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1] == "edit":
        edit(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    else:
        sys.exit(__doc__)
