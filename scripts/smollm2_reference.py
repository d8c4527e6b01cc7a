#!/usr/bin/env python3
"""Float64 reference for SmolLM2-135M-Instruct Q4_1 (the fixtures of Tests/FTXModelTests/Fixtures/smollm2).

The weights are read from the GGUF with gguf-py and dequantized exactly in float64
(Q4_1: w = q*d + m, Q8_0: w = q*d; low nibble = element j, high nibble = element j+16 of a 32-block);
the Llama forward runs in float64: "normal" (adjacent-pair) RoPE with base 100000, GQA (query head h
uses kv head h // 3), SwiGLU, RMSNorm eps 1e-5, tied embeddings, no activation quantization.
The tokenizer reference is Hugging Face `tokenizers` built from the GGUF's vocabulary and merges with
SmolLM2's pre-tokenizer (each digit alone, then GPT-2 byte-level); the chat prompt is the GGUF's
chat template rendered by jinja2.

Writes (binary files are raw little-endian float32, row-major, no header):
  tokenizer_cases.json        {text, ids} cases (specials parsed, no BOS)
  english.json                a plain sentence: ids, mean cross-entropy, argmax per position, top 5
  english_logits.bin          (25, 49152) logits of every position
  english_hidden_states.bin   (32, 25, 576): embeddings, residual after each block, after the final norm
  chat.json                   the ChatML prompt for "What is the capital of France?"
  chat_final_logits.bin       (49152,) logits at its last position
  chat_greedy_japan.json      greedy continuation of a chat prompt with per-step margins
  dequant_samples.json        dequantized spot values and sums of a few tensors

Usage (make references, or by hand):
  .cache/venv/bin/python scripts/smollm2_reference.py MODEL.gguf [OUT_DIR]
"""
import json
import os
import sys

import jinja2
import numpy as np
from gguf import GGUFReader, GGMLQuantizationType as QT
from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

MODEL = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", ".cache", "models", "SmolLM2-135M-Instruct.Q4_1.gguf")
OUT = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "..", "Tests", "FTXModelTests", "Fixtures", "smollm2")

N_LAYERS, HIDDEN, HEADS, KV_HEADS, HEAD_DIM, FFN = 30, 576, 9, 3, 64, 1536
ROPE_BASE, EPS, VOCAB, EOS = 100000.0, 1e-5, 49152, 2

ENGLISH = "The quick brown fox jumps over the lazy dog. It was a sunny afternoon, and the children were playing in the park."
CHAT_QUESTION = "What is the capital of France?"
GREEDY_QUESTION = "What is the capital of Japan?"
TOKENIZER_TEXTS = [
    "Hello world",
    "Hello, world! How are you?",
    "What is the capital of France?",
    " leading space and trailing space ",
    "line1\nline2\n\n\nline5\r\nwindows",
    "Numbers: 1234567890, 3.14159, -42, 1e10, 2024-06-01",
    "def foo(x):\n    return x**2 + 1  # square\n",
    "日本語のテキスト、中文文本，한국어 텍스트",
    "<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n",
    "Special <|endoftext|> in the middle and <jupyter_code> too",
    "    \n\t  \n",
    "camelCaseIdentifier snake_case_name SCREAMING_CASE kebab-case",
    "x" * 50 + " " + "ab" * 20,
    "",
    "a",
    "   ",
    None,  # the chat prompt (CHAT_QUESTION rendered), twice: as the engine sees it in both tests
    None,
    ENGLISH,
]
CE_DEFINITION = "mean over t=0..T-2 of -log softmax(logits[t])[ids[t+1]], natural log"
DTYPE_NOTE = "float32 little-endian, C/row-major order"


# ---------------------------------------------------------------- GGUF reading and exact dequantization

def field(reader, key):
    f = reader.fields[key]
    if len(f.data) == 1 and f.types and f.types[0].name != "ARRAY":
        v = f.parts[f.data[0]]
        return bytes(v).decode("utf-8") if f.types[0].name == "STRING" else v[0].item()
    if f.types[1].name == "STRING":
        return [bytes(f.parts[i]).decode("utf-8") for i in f.data]
    return [f.parts[i][0].item() for i in f.data]


def dequantize(t):
    """The tensor as float64, shape (rows, cols) (cols = ne0) or (n,) for vectors; exact."""
    cols = int(t.shape[0])
    rows = int(np.prod(t.shape[1:])) if len(t.shape) > 1 else 1
    raw = np.frombuffer(t.data.tobytes(), dtype=np.uint8)
    if t.tensor_type == QT.F32:
        w = raw.view("<f4").astype(np.float64)
    elif t.tensor_type in (QT.Q4_1, QT.Q8_0):
        bsize = 20 if t.tensor_type == QT.Q4_1 else 34
        b = raw.reshape(-1, bsize)
        d = b[:, 0:2].copy().view("<f2").astype(np.float64)
        if t.tensor_type == QT.Q4_1:
            m = b[:, 2:4].copy().view("<f2").astype(np.float64)
            qs = b[:, 4:20]
            q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float64)
            w = q * d + m
        else:
            q = b[:, 2:34].copy().view(np.int8).astype(np.float64)
            w = q * d
    else:
        raise SystemExit(f"{t.name}: unexpected type {t.tensor_type.name}")
    w = w.reshape(-1)
    return w if len(t.shape) == 1 else w.reshape(rows, cols)


class Weights:
    def __init__(self, reader):
        self.tensors = {t.name: t for t in reader.tensors}
        self.cache = {}

    def __getitem__(self, name):
        if name not in self.cache:
            self.cache[name] = dequantize(self.tensors[name])
        return self.cache[name]


# ---------------------------------------------------------------- float64 Llama forward

def rms_norm(x, w):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + EPS) * w


def rope(x, positions):
    """Adjacent pairs (x[2i], x[2i+1]) rotated by pos * base^(-2i/d). x: (T, heads, d)."""
    inv = ROPE_BASE ** (-np.arange(0, HEAD_DIM, 2, dtype=np.float64) / HEAD_DIM)
    ang = positions[:, None].astype(np.float64) * inv[None, :]
    cos, sin = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
    a, b = x[..., 0::2], x[..., 1::2]
    out = np.empty_like(x)
    out[..., 0::2] = a * cos - b * sin
    out[..., 1::2] = a * sin + b * cos
    return out


def forward(W, ids, want_hidden=False):
    """Logits (T, vocab) and, when asked, the (32, T, hidden) stack of hidden states."""
    T = len(ids)
    pos = np.arange(T)
    x = W["token_embd.weight"][np.array(ids)]
    hidden = [x.copy()]
    mask = np.triu(np.full((T, T), -np.inf), 1)
    group = HEADS // KV_HEADS
    for l in range(N_LAYERS):
        p = f"blk.{l}."
        h = rms_norm(x, W[p + "attn_norm.weight"])
        q = rope((h @ W[p + "attn_q.weight"].T).reshape(T, HEADS, HEAD_DIM), pos)
        k = rope((h @ W[p + "attn_k.weight"].T).reshape(T, KV_HEADS, HEAD_DIM), pos)
        v = (h @ W[p + "attn_v.weight"].T).reshape(T, KV_HEADS, HEAD_DIM)
        att = np.empty((T, HEADS, HEAD_DIM))
        for hd in range(HEADS):
            kv = hd // group
            s = q[:, hd, :] @ k[:, kv, :].T / np.sqrt(HEAD_DIM) + mask
            s = np.exp(s - s.max(axis=1, keepdims=True))
            s /= s.sum(axis=1, keepdims=True)
            att[:, hd, :] = s @ v[:, kv, :]
        x = x + att.reshape(T, HIDDEN) @ W[p + "attn_output.weight"].T
        h = rms_norm(x, W[p + "ffn_norm.weight"])
        g = h @ W[p + "ffn_gate.weight"].T
        u = h @ W[p + "ffn_up.weight"].T
        x = x + (g / (1 + np.exp(-g)) * u) @ W[p + "ffn_down.weight"].T
        hidden.append(x.copy())
    x = rms_norm(x, W["output_norm.weight"])
    hidden.append(x.copy())
    logits = x @ W["token_embd.weight"].T
    return (logits, np.stack(hidden)) if want_hidden else logits


def log_softmax(z):
    m = z.max(axis=-1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))


# ---------------------------------------------------------------- tokenizer and chat template

def byte_decoder():
    keep = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    table, n = {}, 0
    for b in range(256):
        if b in keep:
            table[chr(b)] = b
        else:
            table[chr(256 + n)] = b
            n += 1
    return table


def build_tokenizer(reader):
    tokens = field(reader, "tokenizer.ggml.tokens")
    types = field(reader, "tokenizer.ggml.token_type")
    merges = [tuple(m.split(" ", 1)) for m in field(reader, "tokenizer.ggml.merges")]
    vocab = {t: i for i, t in enumerate(tokens)}
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, fuse_unk=False))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    ])
    tok.decoder = decoders.ByteLevel()
    # Control tokens (GGUF token type 3) are matched as specials in text.
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t, ty in zip(tokens, types) if ty == 3])
    return tok, tokens


def piece(tokens, i):
    """A token's text: specials as written, byte-level tokens decoded (invalid UTF-8 replaced)."""
    bd = byte_decoder()
    t = tokens[i]
    if all(c in bd for c in t):
        return bytes(bd[c] for c in t).decode("utf-8", errors="replace")
    return t


def text_of(tokens, ids):
    bd = byte_decoder()
    out = b""
    for i in ids:
        t = tokens[i]
        out += bytes(bd[c] for c in t) if all(c in bd for c in t) else t.encode("utf-8")
    return out.decode("utf-8", errors="replace")


def render_chat(reader, question):
    template = field(reader, "tokenizer.chat_template")
    env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True)
    return env.from_string(template).render(messages=[{"role": "user", "content": question}],
                                            add_generation_prompt=True, bos_token="<|im_start|>", eos_token="<|im_end|>")


# ---------------------------------------------------------------- fixtures

def write_f32(path, a):
    np.ascontiguousarray(a, dtype="<f4").tofile(path)


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=1, ensure_ascii=False)


def sequence_fixture(W, text, ids, stem, hidden):
    out = forward(W, ids, want_hidden=hidden)
    logits, states = out if hidden else (out, None)
    lp = log_softmax(logits)
    T = len(ids)
    ce = float(-np.mean([lp[t, ids[t + 1]] for t in range(T - 1)]))
    final = logits[-1]
    order = np.argsort(-final, kind="stable")
    fx = {
        "text": text, "ids": ids, "n_tokens": T,
        "mean_cross_entropy_nats": ce, "perplexity": float(np.exp(ce)), "ce_definition": CE_DEFINITION,
        "final_argmax": int(order[0]),
        "final_top5": [[int(i), float(final[i])] for i in order[:5]],
        "final_top1_top2_margin": float(final[order[0]] - final[order[1]]),
        "argmax_per_position": [int(i) for i in logits.argmax(axis=1)],
        "full_logits": {"npy": f"{stem}_logits.npy", "bin": f"{stem}_logits.bin", "shape": [T, VOCAB], "dtype": DTYPE_NOTE},
        "final_logits": {"npy": f"{stem}_final_logits.npy", "bin": f"{stem}_final_logits.bin", "shape": [VOCAB], "dtype": DTYPE_NOTE},
    }
    if hidden:
        fx["hidden_states"] = {"npy": f"{stem}_hidden_states.npy", "bin": f"{stem}_hidden_states.bin",
                               "shape": list(states.shape), "dtype": DTYPE_NOTE}
        fx["hidden_states_note"] = "[0]=token embedding rows, [1+l]=residual stream after block l (l=0..29), [31]=after output_norm; shape (32, T, 576)"
    return fx, logits, states


def greedy_fixture(W, reader, tok, tokens):
    prompt = render_chat(reader, GREEDY_QUESTION)
    ids = tok.encode(prompt, add_special_tokens=False).ids
    seq, steps = list(ids), []
    for _ in range(20):
        last = forward(W, seq)[-1]  # full recompute each step
        order = np.argsort(-last, kind="stable")
        a, b = int(order[0]), int(order[1])
        steps.append({"id": a, "piece": piece(tokens, a), "logit": float(last[a]), "second_id": b,
                      "margin_top1_top2": float(last[a] - last[b])})
        seq.append(a)
    gen = [s["id"] for s in steps]
    n_eos = gen.index(EOS) + 1 if EOS in gen else len(gen)
    return {
        "question": GREEDY_QUESTION, "prompt_text": prompt, "prompt_ids": ids,
        "greedy_ids_20_no_stop": gen, "greedy_ids_until_eos": gen[:n_eos], "eos_id": EOS,
        "text_until_eos": text_of(tokens, gen[:n_eos]), "text_20": text_of(tokens, gen),
        "min_margin_until_eos": min(s["margin_top1_top2"] for s in steps[:n_eos]),
        "steps": steps,
        "note": "argmax of float64 reference (full recompute each step). Steps after the first <|im_end|> (id 2) "
                "continue past EOS, for stress testing only. Check margin_top1_top2: a step with a small margin "
                "(<~0.5) can legitimately flip under activation quantization (llama.cpp-style).",
    }


def dequant_fixture(W, reader):
    specs = [("token_embd.weight", [0, 1, 504, 49151]), ("blk.0.attn_q.weight", [0, 575]),
             ("blk.0.ffn_down.weight", [0]), ("blk.29.attn_v.weight", [191]),
             ("blk.0.attn_norm.weight", None), ("output_norm.weight", None)]
    out = {}
    for name, rows in specs:
        t = W.tensors[name]
        w = W[name]
        if rows is None:
            out[name] = {"type": t.tensor_type.name, "shape_np": list(w.shape),
                         "first16": [float(x) for x in w[:16]], "sum": float(w.sum())}
        else:
            out[name] = {"type": t.tensor_type.name, "shape_np(rows=ne1, cols=ne0)": list(w.shape),
                         "rows": {str(r): {"first40": [float(x) for x in w[r, :40]], "row_sum": float(w[r].sum())} for r in rows},
                         "total_sum": float(w.sum()), "total_abs_sum": float(np.abs(w).sum())}
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    reader = GGUFReader(MODEL)
    W = Weights(reader)
    tok, tokens = build_tokenizer(reader)
    chat_text = render_chat(reader, CHAT_QUESTION)

    cases = []
    for text in TOKENIZER_TEXTS:
        text = chat_text if text is None else text
        cases.append({"text": text, "ids": tok.encode(text, add_special_tokens=False).ids})
    write_json(os.path.join(OUT, "tokenizer_cases.json"), {
        "parse_special": True, "add_bos": False,
        "pre_tokenizer": "llama.cpp 'smollm': regex1 \\p{N} (single digits), then GPT-2 regex", "cases": cases})

    ids = tok.encode(ENGLISH, add_special_tokens=False).ids
    fx, logits, states = sequence_fixture(W, ENGLISH, ids, "english", hidden=True)
    write_json(os.path.join(OUT, "english.json"), fx)
    write_f32(os.path.join(OUT, "english_logits.bin"), logits)
    write_f32(os.path.join(OUT, "english_hidden_states.bin"), states)

    ids = tok.encode(chat_text, add_special_tokens=False).ids
    fx, logits, _ = sequence_fixture(W, chat_text, ids, "chat", hidden=False)
    write_json(os.path.join(OUT, "chat.json"), fx)
    write_f32(os.path.join(OUT, "chat_final_logits.bin"), logits[-1])

    write_json(os.path.join(OUT, "chat_greedy_japan.json"), greedy_fixture(W, reader, tok, tokens))
    write_json(os.path.join(OUT, "dequant_samples.json"), dequant_fixture(W, reader))


if __name__ == "__main__":
    main()
