#!/usr/bin/env python3
"""llama.cpp (llama-cpp-python) on the same measurements as `ftx model bench`: prefill of a
512-token prompt, decode of 128 tokens, and 32 prompts × 64 tokens run one by one."""
import json, random, sys, time
from llama_cpp import Llama

model, threads = sys.argv[1], int(sys.argv[2])
prompt_tokens, decode_tokens, batch, batch_tokens, repeats = 512, 128, 32, 64, 2
llm = Llama(model_path=model, n_ctx=1024, n_batch=512, n_threads=threads, n_threads_batch=threads,
            logits_all=False, verbose=False)
rng = random.Random(1)
def toks(n): return [rng.randrange(200, 20000) for _ in range(n)]

def best(f):
    return min(f() for _ in range(repeats))

llm.reset(); llm.eval(toks(16))  # warm up
prompt = toks(prompt_tokens)
def prefill():
    llm.reset(); t = time.perf_counter(); llm.eval(prompt); return time.perf_counter() - t
short = toks(16)
def decode():
    llm.reset(); llm.eval(short)
    t = time.perf_counter()
    for i in range(decode_tokens):
        llm.eval([int(llm.scores[llm.n_tokens - 1].argmax())])
    return time.perf_counter() - t
prompts = [toks(16 + rng.randrange(17)) for _ in range(batch)]
def one_by_one():
    t = time.perf_counter()
    for p in prompts:
        llm.reset(); llm.eval(p)
        # The first token comes from the prompt's logits, so 64 tokens take 63 more evals (as in ftx).
        for i in range(batch_tokens - 1):
            llm.eval([int(llm.scores[llm.n_tokens - 1].argmax())])
    return time.perf_counter() - t
p, d, b = best(prefill), best(decode), best(one_by_one)
print(json.dumps({"prefill_tok_s": prompt_tokens / p, "decode_tok_s": decode_tokens / d,
                  "batch_tok_s": batch * batch_tokens / b, "batch_seconds": b}))
