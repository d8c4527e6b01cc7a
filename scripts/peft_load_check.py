#!/usr/bin/env python3
"""Proves PEFT loads the adapter ftx writes (the other direction of scripts/peft_reference.py).

Rebuilds the tiny HF Llama of Tests/FTXTrainTests/Fixtures/peft_reference.safetensors, loads the
adapter that ftx's PEFT writer produced (Fixtures/peft_load/adapter_model.safetensors +
adapter_config.json, written by PEFTLoadTests) with `PeftModel.from_pretrained`, and fails loudly
unless every LoRA tensor in the file lands in a LoRA module of the model (no missing, no unexpected
keys, values bit-identical) and the config's r, lora_alpha, target_modules and use_rslora are the
ones PEFT applies. Then it runs the reference input_ids (attention mask all ones) and writes

  Fixtures/peft_load/peft_logits.safetensors   logits [2, seq, vocab] with the adapter applied
                                               unmerged, and merged_logits after merge_and_unload()

which PEFTLoadTests compares with ftx's training forward, inference forward and merged weights.

Regenerate (after changing the writer or the test's adapter values):
  FTX_REGENERATE_FIXTURES=1 swift test --filter PEFTLoadTests      # rewrites the adapter files
  .cache/venv/bin/python scripts/peft_load_check.py                 # rewrites peft_logits
"""
import json
import math
import os
import sys
import warnings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402
from peft import PeftModel  # noqa: E402
from peft.tuners.lora import LoraLayer  # noqa: E402
from safetensors.torch import load_file, save_file  # noqa: E402
from transformers import LlamaConfig, LlamaForCausalLM  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "FTXTrainTests", "Fixtures")


def fail(msg):
    print("peft_load_check: FAILED: " + msg, file=sys.stderr)
    sys.exit(1)


def base_model(meta, tensors):
    c = meta["config"]
    cfg = LlamaConfig(vocab_size=c["vocab_size"], hidden_size=c["hidden_size"], intermediate_size=c["intermediate_size"],
                      num_hidden_layers=c["num_layers"], num_attention_heads=c["num_heads"],
                      num_key_value_heads=c["num_kv_heads"], head_dim=c["head_dim"], max_position_embeddings=64,
                      rms_norm_eps=c["rms_norm_eps"], rope_theta=c["rope_theta"], tie_word_embeddings=False,
                      attention_bias=False, mlp_bias=False)
    model = LlamaForCausalLM(cfg).float()
    model.config._attn_implementation = "eager"
    state = {k[len("base."):]: v for k, v in tensors.items() if k.startswith("base.")}
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if "rotary_emb" not in k]
    if missing or unexpected:
        fail(f"base weights: missing {missing}, unexpected {unexpected}")
    model.eval()
    return model


def check_loaded(peft_model, adapter_dir, cfg_file, num_layers):
    """Every file tensor is a LoRA parameter of the model (same values), every LoRA parameter has a tensor."""
    file_tensors = load_file(os.path.join(adapter_dir, "adapter_model.safetensors"))
    params = {n: p for n, p in peft_model.named_parameters() if "lora_" in n}
    by_file_key = {n.replace(".default.", "."): p for n, p in params.items()}
    unexpected = sorted(set(file_tensors) - set(by_file_key))
    missing = sorted(set(by_file_key) - set(file_tensors))
    if unexpected or missing:
        fail(f"LoRA keys: unexpected in file {unexpected[:5]} ({len(unexpected)}), missing from file {missing[:5]} ({len(missing)})")
    for k, t in file_tensors.items():
        if t.dtype != torch.float32:
            fail(f"{k}: dtype {t.dtype}, ftx writes float32")
        if not torch.equal(by_file_key[k].detach(), t):
            fail(f"{k}: the loaded parameter differs from the file")

    cfg = peft_model.peft_config["default"]
    r, alpha, rs = cfg_file["r"], cfg_file["lora_alpha"], cfg_file["use_rslora"]
    if cfg.r != r or cfg.lora_alpha != alpha or cfg.use_rslora != rs:
        fail(f"config not honoured: r {cfg.r} vs {r}, lora_alpha {cfg.lora_alpha} vs {alpha}, use_rslora {cfg.use_rslora} vs {rs}")
    if set(cfg.target_modules) != set(cfg_file["target_modules"]):
        fail(f"target_modules {sorted(cfg.target_modules)} vs {sorted(cfg_file['target_modules'])}")
    scale = alpha / math.sqrt(r) if rs else alpha / r
    wrapped = set()
    for name, module in peft_model.named_modules():
        if isinstance(module, LoraLayer):
            if abs(module.scaling["default"] - scale) > 1e-12:
                fail(f"{name}: scaling {module.scaling['default']}, expected {scale}")
            if module.r["default"] != r:
                fail(f"{name}: r {module.r['default']}")
            wrapped.add(name.split(".")[-1])
    layers = cfg_file.get("layers_to_transform") or list(range(num_layers))
    expected = len(layers) * len(cfg_file["target_modules"])
    count = sum(1 for _, m in peft_model.named_modules() if isinstance(m, LoraLayer))
    if wrapped != set(cfg_file["target_modules"]) or count != expected:
        fail(f"PEFT wrapped {count} modules {sorted(wrapped)}; the config names {expected}")
    return len(file_tensors), scale


def main():
    adapter_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(FIXTURES, "peft_load")
    with open(os.path.join(FIXTURES, "peft_reference.json")) as f:
        meta = json.load(f)
    with open(os.path.join(adapter_dir, "adapter_config.json")) as f:
        cfg_file = json.load(f)
    model = base_model(meta, load_file(os.path.join(FIXTURES, "peft_reference.safetensors")))
    input_ids = torch.tensor(meta["input_ids"])
    with torch.no_grad():
        base_logits = model(input_ids=input_ids).logits

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        peft_model = PeftModel.from_pretrained(model, adapter_dir, is_trainable=False)
    for w in caught:
        text = str(w.message).lower()
        if "missing" in text or "unexpected" in text or "not found" in text:
            fail(f"PEFT warned while loading: {w.message}")
    n, scale = check_loaded(peft_model, adapter_dir, cfg_file, meta["config"]["num_layers"])
    peft_model.eval()
    with torch.no_grad():
        logits = peft_model(input_ids=input_ids).logits.float().contiguous()
        merged = peft_model.merge_and_unload()
        merged_logits = merged(input_ids=input_ids).logits.float().contiguous()

    effect = (logits - base_logits).abs().max().item()
    merge_gap = (logits - merged_logits).abs().max().item()
    if effect < 1e-2:
        fail(f"the adapter barely changes the logits (max |Δ| {effect}); the check would prove nothing")
    out = os.path.join(adapter_dir, "peft_logits.safetensors")
    save_file({"logits": logits, "merged_logits": merged_logits}, out, metadata={
        "input_ids": json.dumps(meta["input_ids"]), "scale": repr(scale),
        "torch": torch.__version__, "peft": __import__("peft").__version__,
        "transformers": __import__("transformers").__version__})
    print(f"loaded {n} LoRA tensors (scale {scale:g}); max |logit| {logits.abs().max().item():.4f}, "
          f"adapter effect max |Δ| {effect:.4f}, unmerged vs merged max |Δ| {merge_gap:.2e}; wrote {os.path.relpath(out)}")


if __name__ == "__main__":
    main()
