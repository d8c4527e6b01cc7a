#!/usr/bin/env python3
"""Generate a completion-format JSONL benchmark file with planted defects and a truth file.

Planted (disjoint originals): exact duplicates (identical rows), near duplicates (one word replaced
in the prompt, sometimes one in the completion, plus case/punctuation noise; exact word-3-shingle Jaccard
recorded), contradictions (same prompt, unrelated completion). Line numbers are 1-based.
"""
import json, re, sys
import numpy as np

def main():
    out, truth_path = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 1_000_000
    n_exact, n_near, n_contra = n // 100, n // 100, n // 200
    rng = np.random.default_rng(42)
    syl = ["ka", "lo", "mi", "ne", "ru", "ta", "shi", "po", "ve", "da", "qu", "zo", "ben", "tor", "lin", "gar", "sel", "mon"]
    vocab = sorted({"".join(rng.choice(syl, size=rng.integers(2, 4))) for _ in range(20000)})
    vocab = np.array(vocab, dtype=object)
    V = len(vocab)

    def sentence(words):
        s = " ".join(words)
        return s[0].upper() + s[1:] + "."

    n_base = n - n_exact - n_near - n_contra
    plens = rng.integers(28, 41, size=n_base)
    clens = rng.integers(20, 33, size=n_base)
    pidx = rng.integers(0, V, size=(n_base, 50))
    cidx = rng.integers(0, V, size=(n_base, 40))
    prompts = [sentence(vocab[pidx[i, :plens[i]]]) for i in range(n_base)]
    comps = [sentence(vocab[cidx[i, :clens[i]]]) for i in range(n_base)]

    originals = rng.permutation(n_base)[: n_exact + n_near + n_contra]
    ex_orig, near_orig, con_orig = originals[:n_exact], originals[n_exact:n_exact + n_near], originals[n_exact + n_near:]

    rows = [(prompts[i], comps[i]) for i in range(n_base)]
    plants = []  # (kind, original index, row, jaccard)

    def words(t):
        return [w for w in re.split(r"[^0-9a-z]+", t.lower()) if w]

    def shingles(p, c):
        w = words(p) + ["\x01completion"] + words(c)
        return {tuple(w[k:k + 3]) for k in range(len(w) - 2)}

    for i in ex_orig:
        plants.append(("exact", i, rows[i], 1.0))
    for i in near_orig:
        pw, cw = prompts[i][:-1].split(" "), comps[i][:-1].split(" ")
        pw[rng.integers(1, len(pw))] = vocab[rng.integers(0, V)]
        if rng.random() < 0.3:
            cw[rng.integers(1, len(cw))] = vocab[rng.integers(0, V)]
        p = " ".join(pw) + rng.choice([".", "!", "?", " ."])
        c = " ".join(cw) + "."
        if rng.random() < 0.5:
            p = p.upper() if rng.random() < 0.1 else p[0].lower() + p[1:]
        s1, s2 = shingles(*rows[i]), shingles(p, c)
        plants.append(("near", i, (p, c), len(s1 & s2) / len(s1 | s2)))
    for i in con_orig:
        c = sentence(vocab[rng.integers(0, V, size=30)])
        plants.append(("contradiction", i, (prompts[i], c), 0.0))

    # Interleave: every row gets a random position; plants land anywhere (before or after originals).
    total = n_base + len(plants)
    order = rng.permutation(total)  # order[k] = final 0-based line of item k
    lines = [None] * total
    for k in range(n_base):
        lines[order[k]] = rows[k]
    truth = {"exact": [], "near": [], "contradiction": []}
    for j, (kind, i, row, jac) in enumerate(plants):
        pos = order[n_base + j]
        lines[pos] = row
        truth[kind].append([int(order[i]) + 1, int(pos) + 1, round(jac, 4)])
    with open(out, "w") as f:
        for p, c in lines:
            f.write(json.dumps({"prompt": p, "completion": c}) + "\n")
    json.dump(truth, open(truth_path, "w"))
    js = [t[2] for t in truth["near"]]
    print(f"generated {total} examples: {n_exact} exact, {n_near} near (Jaccard min {min(js):.3f}, "
          f"median {sorted(js)[len(js)//2]:.3f}), {n_contra} contradictions")

if __name__ == "__main__":
    main()
