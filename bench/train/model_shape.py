#!/usr/bin/env python3
"""Matmul shape of a model for bench/train's MFU: prints JSON {layers, q_width, matmul_params}, the
weights every token multiplies (the seven projections of each block and the output head, tied or
not). MODEL is a GGUF (read with gguf-py) or a Hugging Face folder (config.json)."""
import json, os, re, sys

model = sys.argv[1]
if os.path.isdir(model):
    c = json.load(open(os.path.join(model, "config.json")))
    d, L, ff, V = c["hidden_size"], c["num_hidden_layers"], c["intermediate_size"], c["vocab_size"]
    hd = c.get("head_dim") or d // c["num_attention_heads"]
    q, kv = c["num_attention_heads"] * hd, c.get("num_key_value_heads", c["num_attention_heads"]) * hd
    n = L * (2 * d * q + 2 * d * kv + 3 * d * ff) + V * d
else:
    import gguf
    r = gguf.GGUFReader(model)
    proj = re.compile(r"blk\.\d+\.(attn_(q|k|v|output)|ffn_(gate|up|down))\.weight")
    sizes = {t.name: int(t.n_elements) for t in r.tensors}
    n = sum(v for k, v in sizes.items() if proj.fullmatch(k)) + sizes.get("output.weight", sizes["token_embd.weight"])
    L = 1 + max(int(k.split(".")[1]) for k in sizes if k.startswith("blk."))
    q = int(r.tensors[[t.name for t in r.tensors].index("blk.0.attn_q.weight")].shape[1])
print(json.dumps({"layers": L, "q_width": q, "matmul_params": n}))
