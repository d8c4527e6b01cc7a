#!/usr/bin/env python3
"""Recall of planted defects in an `ftx data check --json` report."""
import json, sys

def groups(report, name):
    check = next(c for c in report["checks"] if c["name"] == name)
    line_to_group = {}
    for g, f in enumerate(check["findings"]):
        for loc in f["locations"]:
            line_to_group.setdefault(int(loc.rsplit(":", 1)[1]), set()).add(g)
    return line_to_group, len(check["findings"])

def recall(pairs, l2g):
    hit = sum(1 for a, b, *_ in pairs if l2g.get(a, set()) & l2g.get(b, set()))
    return hit, len(pairs)

def main():
    report, truth = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
    thr = report["nearDuplicateThreshold"]
    out = {}
    for kind, check, pairs in [("exact", "exact-duplicates", truth["exact"]),
                               ("near", "near-duplicates", [p for p in truth["near"] if p[2] >= thr]),
                               ("contradiction", "contradictions", truth["contradiction"])]:
        l2g, nf = groups(report, check)
        hit, tot = recall(pairs, l2g)
        out[kind] = (hit, tot, nf)
        print(f"recall {kind:14s} {hit}/{tot} = {100.0 * hit / max(tot, 1):.2f}%   ({nf} findings reported)")
    below = len([p for p in truth["near"] if p[2] < thr])
    if below:
        print(f"  ({below} planted near pairs fall below Jaccard {thr} and are not counted)")

if __name__ == "__main__":
    main()
