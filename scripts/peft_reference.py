#!/usr/bin/env python3
"""PEFT reference for ftx's LoRA gradients (the analogue of llm.c's PyTorch dump).

Builds a tiny Llama (transformers.LlamaConfig) with seeded weights, wraps it with PEFT LoRA on all
seven projections, initialises lora_B non-zero (so dL/dA is non-trivial), runs one forward/backward
on fixed tokens with a loss mask and right padding, and writes

  Tests/FTXTrainTests/Fixtures/peft_reference.safetensors   base weights (HF names, HF q/k layout),
                                                            lora_A/lora_B and their gradients
  Tests/FTXTrainTests/Fixtures/peft_reference.json          config, tokens, labels, mask, loss

Usage (torch, transformers, peft, safetensors from PyPI, e.g. in .cache/venv):
  .cache/venv/bin/python scripts/peft_reference.py [OUT_DIR]
"""
import json
import os
import sys

import torch
from peft import LoraConfig, get_peft_model
from safetensors.torch import save_file
from transformers import LlamaConfig, LlamaForCausalLM

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "Tests", "FTXTrainTests", "Fixtures")
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def init_weights(model):
    """Seeded weights with non-trivial norms: norms 1 ± 0.1, 1-D biases U(±0.5), projections
    U(±1/√fan_in), embeddings U(±0.5)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name:
                p.copy_(1 + 0.2 * (torch.rand_like(p) - 0.5))
            elif p.dim() == 1:
                p.copy_((torch.rand_like(p) * 2 - 1) * 0.5)
            else:
                fan_in = p.shape[1]
                p.copy_((torch.rand_like(p) * 2 - 1) / fan_in ** 0.5 * (1.0 if "embed" not in name else fan_in ** 0.5 * 0.5))


def lora_step(model, vocab_size, targets=TARGETS):
    """PEFT LoRA (r 4, alpha 8, `targets` (default the seven projections), lora_B randn·0.1) and one forward/backward on
    two sequences of 12: the first 5 tokens of each are the prompt (label −100); the second is
    right-padded by 3 (attention_mask 0, label −100). Returns the batch, the output and the LoRA
    tensors with their gradients under PEFT's names (less `.default`)."""
    lcfg = LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules=targets, bias="none", task_type="CAUSAL_LM")
    peft_model = get_peft_model(model, lcfg)
    with torch.no_grad():
        for name, p in peft_model.named_parameters():
            if "lora_B" in name:
                p.copy_(torch.randn_like(p) * 0.1)
    seq = 12
    g = torch.Generator().manual_seed(7)
    input_ids = torch.randint(0, vocab_size, (2, seq), generator=g)
    attention_mask = torch.ones(2, seq, dtype=torch.long)
    attention_mask[1, 9:] = 0
    input_ids[1, 9:] = 0
    labels = input_ids.clone()
    labels[:, :5] = -100
    labels[attention_mask == 0] = -100
    peft_model.train()
    out = peft_model(input_ids=input_ids, attention_mask=attention_mask, labels=labels)
    out.loss.backward()
    tensors = {}
    for name, p in peft_model.named_parameters():
        if "lora_" in name:
            key = name.replace(".default", "")
            tensors[key] = p.detach().clone().contiguous()
            tensors[key + ".grad"] = p.grad.detach().clone().contiguous()
    return lcfg, seq, input_ids, attention_mask, labels, out, tensors


def main():
    torch.manual_seed(1234)
    cfg = LlamaConfig(vocab_size=128, hidden_size=64, intermediate_size=96, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, head_dim=16, max_position_embeddings=64,
                      rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=False,
                      attention_bias=False, mlp_bias=False)
    model = LlamaForCausalLM(cfg).float()
    model.config._attn_implementation = "eager"
    init_weights(model)
    base_state = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    lcfg, seq, input_ids, attention_mask, labels, out, lora = lora_step(model, cfg.vocab_size)
    tensors = {"base." + k: v for k, v in base_state.items()} | lora
    os.makedirs(OUT, exist_ok=True)
    save_file(tensors, os.path.join(OUT, "peft_reference.safetensors"))
    meta = {
        "config": {"vocab_size": cfg.vocab_size, "hidden_size": cfg.hidden_size,
                   "intermediate_size": cfg.intermediate_size, "num_layers": cfg.num_hidden_layers,
                   "num_heads": cfg.num_attention_heads, "num_kv_heads": cfg.num_key_value_heads,
                   "head_dim": cfg.head_dim, "rope_theta": (getattr(cfg, "rope_parameters", None) or {}).get("rope_theta", 10000.0), "rms_norm_eps": cfg.rms_norm_eps},
        "lora": {"r": lcfg.r, "alpha": lcfg.lora_alpha, "targets": TARGETS},
        "batch": 2, "seq_len": seq,
        "input_ids": input_ids.tolist(), "labels": labels.tolist(), "attention_mask": attention_mask.tolist(),
        "loss": out.loss.item(),
        "versions": {"torch": torch.__version__, "peft": __import__("peft").__version__,
                     "transformers": __import__("transformers").__version__},
    }
    with open(os.path.join(OUT, "peft_reference.json"), "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
    print("loss", out.loss.item(), "tensors", len(tensors))


if __name__ == "__main__":
    main()
