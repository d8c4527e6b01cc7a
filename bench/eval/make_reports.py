#!/usr/bin/env python3
"""Writes two synthetic ftx eval reports of N cases each (A: baseline, B: candidate with planted
flips), shaped like real ones: prompts, outputs, three assertions per case, NLL per case."""
import json, random, sys

def report(n, name, seed, flip_down, flip_up, base_pass):
    rng = random.Random(seed)
    cases = []
    passes = 0
    for i in range(n):
        p = base_pass[i]
        if i in flip_down: p = False
        if i in flip_up: p = True
        passes += p
        out = '{"category": "%s", "priority": %d}' % ("billing" if p else "shipping", rng.randint(1, 3))
        tok = rng.randint(5, 40)
        cases.append({
            "id": "case-%06d" % i,
            "prompt": "<|im_start|>user\nTicket %d: my order %d has a problem with the invoice, please help.<|im_end|>\n<|im_start|>assistant\n" % (i, rng.randint(1000, 9999)),
            "expected": '{"category": "billing", "priority": 2}',
            "output": out,
            "pass": p, "score": 1.0 if p else rng.choice([0.0, 1/3, 2/3]),
            "exact_match": p and rng.random() < 0.5,
            "output_tokens": tok, "prompt_tokens": 30, "finish_reason": "stop",
            "nll": rng.uniform(5, 30), "scored_tokens": 12,
            "assertions": [
                {"type": "is-json", "pass": True, "score": 1, "weight": 1},
                {"type": "json-field", "pass": p, "score": 1 if p else 0, "weight": 2,
                 **({} if p else {"reason": '$.category is "shipping", expected "billing"'})},
                {"type": "similar", "pass": p, "score": 0.9 if p else 0.4, "weight": 1},
            ],
        })
    sc = sum(c["scored_tokens"] for c in cases)
    loss = sum(c["nll"] for c in cases) / sc
    import math
    return {
        "format": "ftx-eval-report/1",
        "suite": {"name": "bench", "path": "suite.yaml", "sha256": "0" * 64, "cases_path": "test.jsonl",
                  "cases_sha256": "0" * 64, "generation": {"max_tokens": 64, "temperature": 0, "top_k": 0, "top_p": 1,
                  "seed": 0, "stop": [], "chat_template": True, "batch_size": 8}},
        "model": {"name": name},
        "cases": cases,
        "metrics": {"cases": n, "passed": passes, "pass_rate": passes / n,
                    "exact_match": sum(c["exact_match"] for c in cases) / n,
                    "mean_score": sum(c["score"] for c in cases) / n, "loss": loss, "perplexity": math.exp(loss),
                    "scored_tokens": sc, "output_tokens": sum(c["output_tokens"] for c in cases),
                    "assertion_pass_rates": {"is-json": 1.0, "json-field": passes / n, "similar": passes / n}},
        "gates": [],
        "timing": {"total_seconds": 100, "generation_seconds": 90, "scoring_seconds": 10,
                   "tokens_per_second": 200, "cases_per_second": n / 90.0, "case_latency_ms": [50.0] * n},
    }

n = int(sys.argv[1]); out_a, out_b = sys.argv[2], sys.argv[3]
rng = random.Random(1)
base = [rng.random() < 0.7 for _ in range(n)]
passing = [i for i in range(n) if base[i]]; failing = [i for i in range(n) if not base[i]]
down = set(rng.sample(passing, n // 50)); up = set(rng.sample(failing, n // 100))
json.dump(report(n, "base.gguf", 2, set(), set(), base), open(out_a, "w"))
json.dump(report(n, "tuned.gguf", 3, down, up, base), open(out_b, "w"))
