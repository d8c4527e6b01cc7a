#!/usr/bin/env python3
"""Random-weight GGUFs of about 0.5B parameters with real tokenizers, for the engine and training
benchmarks on the families people fine-tune (no real weights needed: speed depends on shapes only).

  qwen2  Qwen2.5-0.5B's shape: hidden 896, 24 layers, 14 heads / 2 kv heads (head dim 64), ffn 4864,
         vocab 151936 (tokenizer of llama.cpp's models/ggml-vocab-qwen2.gguf), tied embeddings,
         q/k/v biases, rope base 1e6.                                              494M parameters
  llama3 Llama-3.2-style block: hidden 1024, 24 layers, 16 heads / 8 kv heads (head dim 64), ffn 4096,
         vocab 128256 (models/ggml-vocab-llama-bpe.gguf), tied embeddings as Llama 3.2, rope base
         5e5 with a `rope_freqs` tensor (Llama 3 scaling: factor 32, low 1, high 4, original 8192).
                                                                                   509M parameters

Weights are N(0, 0.02) in F16 (norms 1, biases N(0, 0.02) in F32), from a fixed seed, so the same
command writes the same bytes. Usage: make_random.py VOCAB_DIR OUT_DIR [qwen2|llama3 ...]
(VOCAB_DIR = llama.cpp's models/ folder). Needs numpy and gguf-py."""
import math, os, sys

import numpy as np
import gguf

SHAPES = {
    "qwen2": dict(arch="qwen2", vocab_file="ggml-vocab-qwen2.gguf", hidden=896, layers=24, heads=14,
                  kv_heads=2, ffn=4864, ctx=32768, rope_base=1e6, eps=1e-6, bias=True, rope_freqs=False,
                  name="Qwen2.5-0.5B-shaped random"),
    "llama3": dict(arch="llama", vocab_file="ggml-vocab-llama-bpe.gguf", hidden=1024, layers=24, heads=16,
                   kv_heads=8, ffn=4096, ctx=131072, rope_base=5e5, eps=1e-5, bias=False, rope_freqs=True,
                   name="Llama-3.2-shaped 0.5B random"),
}


def llama3_rope_factors(head_dim, base, factor=32.0, low=1.0, high=4.0, original=8192):
    """The per-frequency divisors convert_hf_to_gguf.py writes as `rope_freqs` for Llama 3.x."""
    out = []
    for i in range(0, head_dim, 2):
        wavelen = 2 * math.pi * base ** (i / head_dim)
        if wavelen < original / high:
            out.append(1.0)
        elif wavelen > original / low:
            out.append(factor)
        else:
            smooth = (original / wavelen - low) / (high - low)
            out.append(1 / ((1 - smooth) / factor + smooth))
    return np.array(out, dtype=np.float32)


def copy_tokenizer(src, w):
    """Every tokenizer.* key of the vocab GGUF, with its type."""
    r = gguf.GGUFReader(src)
    vocab = 0
    for key, f in r.fields.items():
        if not key.startswith("tokenizer."):
            continue
        t = f.types[0]
        if t == gguf.GGUFValueType.ARRAY:
            vals = f.contents()
            w.add_key_value(key, vals, t, sub_type=f.types[-1])
            if key == "tokenizer.ggml.tokens":
                vocab = len(vals)
        else:
            w.add_key_value(key, f.contents(), t)
    return vocab


def make(kind, vocab_dir, out_dir, seed=1234):
    s = SHAPES[kind]
    path = os.path.join(out_dir, f"random-{kind}-0.5b.F16.gguf")
    w = gguf.GGUFWriter(path, s["arch"])
    w.add_name(s["name"])
    w.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    vocab = copy_tokenizer(os.path.join(vocab_dir, s["vocab_file"]), w)
    d, L, H, KV, F = s["hidden"], s["layers"], s["heads"], s["kv_heads"], s["ffn"]
    hd = d // H
    w.add_context_length(s["ctx"])
    w.add_embedding_length(d)
    w.add_block_count(L)
    w.add_feed_forward_length(F)
    w.add_head_count(H)
    w.add_head_count_kv(KV)
    w.add_rope_dimension_count(hd)
    w.add_rope_freq_base(s["rope_base"])
    w.add_layer_norm_rms_eps(s["eps"])
    w.add_vocab_size(vocab)

    rng = np.random.default_rng(seed)
    count = 0

    def mat(name, rows, cols):  # [out, in] as numpy shape, which gguf-py stores as ne = (in, out)
        nonlocal count
        w.add_tensor(name, (rng.standard_normal((rows, cols), dtype=np.float32) * 0.02).astype(np.float16))
        count += rows * cols

    def vec(name, n, value=None):
        nonlocal count
        v = np.full(n, value, np.float32) if value is not None else rng.standard_normal(n, dtype=np.float32) * 0.02
        w.add_tensor(name, v)
        count += n

    mat("token_embd.weight", vocab, d)
    if s["rope_freqs"]:
        w.add_tensor("rope_freqs.weight", llama3_rope_factors(hd, s["rope_base"]))
    for i in range(L):
        b = f"blk.{i}."
        vec(b + "attn_norm.weight", d, 1.0)
        mat(b + "attn_q.weight", H * hd, d)
        mat(b + "attn_k.weight", KV * hd, d)
        mat(b + "attn_v.weight", KV * hd, d)
        if s["bias"]:
            vec(b + "attn_q.bias", H * hd)
            vec(b + "attn_k.bias", KV * hd)
            vec(b + "attn_v.bias", KV * hd)
        mat(b + "attn_output.weight", d, H * hd)
        vec(b + "ffn_norm.weight", d, 1.0)
        mat(b + "ffn_gate.weight", F, d)
        mat(b + "ffn_up.weight", F, d)
        mat(b + "ffn_down.weight", d, F)
    vec("output_norm.weight", d, 1.0)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print(f"{path}: {count / 1e6:.1f}M parameters")


if __name__ == "__main__":
    vocab_dir, out_dir = sys.argv[1], sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    for kind in sys.argv[3:] or list(SHAPES):
        make(kind, vocab_dir, out_dir)
