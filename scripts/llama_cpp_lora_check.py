"""Does llama.cpp load the GGUF LoRA that ftx writes, and apply it as ftx does?

Scores one text (mean cross-entropy in nats per predicted token, like `ftx score`) with llama.cpp
(llama-cpp-python) on the base alone and with `--lora adapter.gguf`, and prints both beside
`ftx score` with and without `--adapter`. The adapter's effect (with − without) should agree to a
few hundredths: the two engines round differently (llama.cpp quantizes activations to 8 bits), but
a wrong tensor name, scale or q/k row order would move it by far more or make llama.cpp refuse
the file.

usage: python scripts/llama_cpp_lora_check.py MODEL.gguf ADAPTER.gguf FTX_BIN "text"
"""
import json
import math
import subprocess
import sys

import numpy as np
from llama_cpp import Llama


def llama_cpp_nll(model, text, lora=None):
    llm = Llama(model_path=model, lora_path=lora, n_ctx=1024, n_threads=2, logits_all=True, verbose=False)
    tokens = llm.tokenize(text.encode(), add_bos=True, special=True)
    llm.eval(tokens)
    logits = np.asarray(llm.scores[: len(tokens)], dtype=np.float64)
    nll = 0.0
    for i in range(len(tokens) - 1):
        row = logits[i]
        m = row.max()
        nll += m + math.log(np.exp(row - m).sum()) - row[tokens[i + 1]]
    return nll / (len(tokens) - 1), len(tokens)


def ftx_nll(ftx, model, text, adapter=None):
    cmd = [ftx, "score", "-m", model, "--threads", "2", "--json"] + (["--adapter", adapter] if adapter else []) + [text]
    out = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    return out


def main():
    model, adapter, ftx, text = sys.argv[1:5]
    base_l, n = llama_cpp_nll(model, text)
    tuned_l, _ = llama_cpp_nll(model, text, adapter)
    base_f = ftx_nll(ftx, model, text)
    tuned_f = ftx_nll(ftx, model, text, adapter)
    key = next(k for k in ("mean_cross_entropy", "nll") if k in base_f)
    bf, tf = base_f[key], tuned_f[key]
    print(f"tokens: llama.cpp {n}, ftx {base_f.get('tokens', '?')}")
    print(f"             base     with adapter   effect")
    print(f"llama.cpp  {base_l:7.4f}   {tuned_l:7.4f}        {tuned_l - base_l:+.4f}")
    print(f"ftx        {bf:7.4f}   {tf:7.4f}        {tf - bf:+.4f}")
    diff = abs((tuned_l - base_l) - (tf - bf))
    print(f"effect difference: {diff:.4f}")
    sys.exit(0 if diff < 0.05 and abs(tuned_l - base_l) > 0.05 else 1)


if __name__ == "__main__":
    main()
