#!/usr/bin/env python3
"""The peer: a straightforward pandas pass — read the JSONL, drop exact duplicates."""
import sys, time
import pandas as pd

t0 = time.time()
df = pd.read_json(sys.argv[1], lines=True)
dup = df.duplicated(subset=["prompt", "completion"])
deduped = df[~dup]
print(f"pandas: {len(df)} rows, {int(dup.sum())} exact duplicates dropped, {len(deduped)} kept in {time.time() - t0:.2f}s")
