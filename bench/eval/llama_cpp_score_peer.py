"""Peer for bench/eval/scoring.sh: llama.cpp scoring each case's expected output after its prompt
(both read from ftx's report) one sequence at a time, as ftx did before batching: one eval of
prompt + expected with logits for every position, then the NLL of the expected tokens.
Prints: cases seconds scored_tokens loss."""
import json, os, sys, time
import numpy as np
from llama_cpp import Llama

model_path, report_path = sys.argv[1], sys.argv[2]
report = json.load(open(report_path))
threads = int(os.environ.get("THREADS", os.cpu_count()))
llm = Llama(model_path=model_path, n_ctx=2048, n_threads=threads, n_threads_batch=threads, n_batch=512,
            logits_all=True, verbose=False)
cases = [c for c in report["cases"] if c["expected"]]
nll, scored = 0.0, 0
start = time.perf_counter()
for c in cases:
    p = llm.tokenize(c["prompt"].encode(), add_bos=True, special=True)
    e = llm.tokenize(c["expected"].encode(), add_bos=False, special=False)
    llm.reset()
    llm.eval(p + e)
    logits = np.asarray(llm.scores[len(p) - 1:len(p) + len(e) - 1], dtype=np.float64)
    m = logits.max(axis=1, keepdims=True)
    logz = (m[:, 0] + np.log(np.exp(logits - m).sum(axis=1)))
    nll += float((logz - logits[np.arange(len(e)), e]).sum())
    scored += len(e)
seconds = time.perf_counter() - start
print(len(cases), "%.3f" % seconds, scored, "%.6f" % (nll / max(scored, 1)))
