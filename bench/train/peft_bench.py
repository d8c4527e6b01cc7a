#!/usr/bin/env python3
"""PyTorch + PEFT peer for bench/train: the same model, a GGUF (dequantized to f32 by transformers'
GGUF loader, which uses gguf-py and un-permutes llama's q/k) or a Hugging Face folder (read in f32), LoRA
r=8/alpha=16 on all 7 projections, batch 8 x 256 of the same texts in the same order, AdamW with
the same hyper-parameters, N steps on CPU. Prints one JSON line: tokens_per_s, losses, peak_rss."""
import json, os, resource, sys, time

import torch
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM, AutoTokenizer

gguf, data, steps, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(threads)
torch.manual_seed(0)
if os.path.isdir(gguf):  # a Hugging Face checkpoint folder
    tok = AutoTokenizer.from_pretrained(gguf)
    model = AutoModelForCausalLM.from_pretrained(gguf, dtype=torch.float32)
else:
    d, f = os.path.dirname(os.path.abspath(gguf)), os.path.basename(gguf)
    tok = AutoTokenizer.from_pretrained(d, gguf_file=f)
    model = AutoModelForCausalLM.from_pretrained(d, gguf_file=f, dtype=torch.float32)
model = get_peft_model(model, LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0, task_type="CAUSAL_LM",
                                         target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]))
texts = [json.loads(l)["text"] for l in open(data)]
seqs = [(tok(t, add_special_tokens=False)["input_ids"] + [tok.eos_token_id])[:256] for t in texts]
opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=2e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
model.train()
losses, times = [], []
for s in range(steps):
    batch = torch.tensor(seqs[s * 8:(s + 1) * 8])
    t0 = time.time()
    out = model(input_ids=batch, labels=batch)
    out.loss.backward()
    torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
    opt.step(); opt.zero_grad()
    times.append(time.time() - t0)
    losses.append(out.loss.item())
    print(f"torch step {s + 1}/{steps} loss {losses[-1]:.4f} {8 * 256 / times[-1]:.0f} tok/s", file=sys.stderr)
steady = times[1:] if len(times) > 1 else times
print(json.dumps({"tokens_per_s": 8 * 256 * len(steady) / sum(steady), "losses": losses,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
