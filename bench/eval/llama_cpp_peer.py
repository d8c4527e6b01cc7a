"""Peer for bench/eval/throughput.sh: llama.cpp generating each case's prompt (exactly as ftx
rendered it, read from ftx's report) one by one, greedy, with the suite's max_tokens.
Prints: cases seconds generated_tokens."""
import json, os, sys, time
from llama_cpp import Llama

model_path, report_path = sys.argv[1], sys.argv[2]
report = json.load(open(report_path))
max_tokens = report["suite"]["generation"]["max_tokens"]
threads = int(os.environ.get("THREADS", os.cpu_count()))
llm = Llama(model_path=model_path, n_ctx=2048, n_threads=threads, n_threads_batch=threads, n_batch=512, verbose=False, seed=0)
prompts = [c["prompt"] for c in report["cases"]]
tokens = 0
start = time.perf_counter()
for p in prompts:
    out = llm.create_completion(p, max_tokens=max_tokens, temperature=0.0, top_k=1)
    tokens += out["usage"]["completion_tokens"]
seconds = time.perf_counter() - start
print(len(prompts), "%.3f" % seconds, tokens)
