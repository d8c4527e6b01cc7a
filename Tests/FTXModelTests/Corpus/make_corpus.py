#!/usr/bin/env python3
"""Builds the tiny GGUF corpus the reader tests and fuzzer start from (deterministic).
valid-tiny.gguf is a complete 1-block llama model (F32, F16, Q8_0, Q4_0, Q4_1 tensors, byte-level
tokenizer); the others are hostile variants, each broken in one named way."""
import struct, random

rng = random.Random(1234)

def s(x): b = x.encode(); return struct.pack('<Q', len(b)) + b
def kv(k, t, payload): return s(k) + struct.pack('<I', t) + payload
def u32(k, v): return kv(k, 4, struct.pack('<I', v))
def f32(k, v): return kv(k, 6, struct.pack('<f', v))
def st(k, v): return kv(k, 8, s(v))
def boolean(k, v): return kv(k, 7, struct.pack('<B', v))
def arr_str(k, xs): return kv(k, 9, struct.pack('<IQ', 8, len(xs)) + b''.join(s(x) for x in xs))
def arr_i32(k, xs): return kv(k, 9, struct.pack('<IQ', 5, len(xs)) + b''.join(struct.pack('<i', x) for x in xs))

def byte_unicode():
    keep = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    table, n = {}, 0
    for b in range(256):
        if b in keep: table[b] = chr(b)
        else: table[b] = chr(256 + n); n += 1
    return table

def half(x): return struct.pack('<e', x)

def quant(kind, rows, cols):
    out = b''
    for _ in range(rows * cols // 32):
        if kind == 'q8_0': out += half(rng.uniform(0.002, 0.01)) + bytes(rng.randrange(256) for _ in range(32))
        elif kind == 'q4_0': out += half(rng.uniform(0.005, 0.02)) + bytes(rng.randrange(256) for _ in range(16))
        elif kind == 'q4_1': out += half(rng.uniform(0.005, 0.02)) + half(-0.05) + bytes(rng.randrange(256) for _ in range(16))
    return out

TYPES = {'f32': 0, 'f16': 1, 'q4_0': 2, 'q4_1': 3, 'q8_0': 8}
def tensor_bytes(kind, rows, cols):
    if kind == 'f32': return b''.join(struct.pack('<f', rng.uniform(-0.1, 0.1) if rows > 1 else 1.0) for _ in range(rows * cols))
    if kind == 'f16': return b''.join(half(rng.uniform(-0.1, 0.1)) for _ in range(rows * cols))
    return quant(kind, rows, cols)

def build(version=3, alignment=32, mutate=None):
    H, F, V = 32, 64, 259
    bu = byte_unicode()
    tokens = [bu[b] for b in range(256)] + ['<|endoftext|>', '<|im_start|>', '<|im_end|>']
    meta = [
        st('general.architecture', 'llama'), st('general.name', 'tiny'),
        u32('llama.block_count', 1), u32('llama.context_length', 128), u32('llama.embedding_length', H),
        u32('llama.feed_forward_length', F), u32('llama.attention.head_count', 2), u32('llama.attention.head_count_kv', 1),
        f32('llama.rope.freq_base', 10000.0), f32('llama.attention.layer_norm_rms_epsilon', 1e-5),
        st('tokenizer.ggml.model', 'gpt2'), st('tokenizer.ggml.pre', 'smollm'),
        arr_str('tokenizer.ggml.tokens', tokens), arr_i32('tokenizer.ggml.token_type', [1] * 256 + [3, 3, 3]),
        arr_str('tokenizer.ggml.merges', []), u32('tokenizer.ggml.bos_token_id', 257), u32('tokenizer.ggml.eos_token_id', 258),
        st('tokenizer.chat_template', "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}{% endfor %}"),
    ]
    if alignment != 32: meta.append(u32('general.alignment', alignment))
    specs = [('token_embd.weight', [H, V], 'q8_0'), ('blk.0.attn_norm.weight', [H], 'f32'),
             ('blk.0.attn_q.weight', [H, H], 'q4_1'), ('blk.0.attn_k.weight', [H, 16], 'q4_0'),
             ('blk.0.attn_v.weight', [H, 16], 'f16'), ('blk.0.attn_output.weight', [H, H], 'f32'),
             ('blk.0.ffn_norm.weight', [H], 'f32'), ('blk.0.ffn_gate.weight', [H, F], 'q4_1'),
             ('blk.0.ffn_up.weight', [H, F], 'q8_0'), ('blk.0.ffn_down.weight', [F, H], 'q4_1'),
             ('output_norm.weight', [H], 'f32')]
    datas, infos, off = [], [], 0
    for name, dims, kind in specs:
        rows = dims[1] if len(dims) > 1 else 1
        d = tensor_bytes(kind, rows, dims[0])
        infos.append([name, dims, TYPES[kind], off])
        datas.append(d)
        off += (len(d) + alignment - 1) // alignment * alignment
    if mutate: mutate(meta, infos, datas)
    head = b'GGUF' + struct.pack('<IQQ', version, len(infos), len(meta)) + b''.join(meta)
    for name, dims, t, o in infos:
        head += s(name) + struct.pack('<I', len(dims)) + b''.join(struct.pack('<Q', d) for d in dims) + struct.pack('<IQ', t, o)
    head += b'\0' * ((-len(head)) % alignment)
    body = b''
    for d in datas: body += d + b'\0' * ((-len(d)) % alignment)
    return head + body

def write(name, data): open(name, 'wb').write(data)

write('valid-tiny.gguf', build())
write('valid-tiny-v2-align64.gguf', build(version=2, alignment=64))
valid = build()
write('truncated-header.gguf', valid[:300])
write('truncated-data.gguf', valid[:len(valid) - 100])
write('bad-magic.gguf', b'GGUX' + valid[4:])
write('version-1.gguf', valid[:4] + struct.pack('<I', 1) + valid[8:])
write('absurd-tensor-count.gguf', valid[:8] + struct.pack('<Q', 1 << 60) + valid[16:])
write('absurd-kv-count.gguf', valid[:16] + struct.pack('<Q', 1 << 40) + valid[24:])
def past_end(meta, infos, datas): infos[2][3] = 1 << 40
write('offset-past-end.gguf', build(mutate=past_end))
def misaligned(meta, infos, datas): infos[3][3] += 4
write('misaligned-offset.gguf', build(mutate=misaligned))
def unknown_type(meta, infos, datas): infos[4][2] = 99
write('unknown-type.gguf', build(mutate=unknown_type))
def bad_dims(meta, infos, datas): infos[2][1] = [33, 32]
write('row-not-whole-blocks.gguf', build(mutate=bad_dims))
def huge_string(meta, infos, datas): meta[0] = s('general.architecture') + struct.pack('<I', 8) + struct.pack('<Q', 1 << 50)
write('huge-string-length.gguf', build(mutate=huge_string))
def bad_value_type(meta, infos, datas): meta[1] = s('general.name') + struct.pack('<I', 77)
write('unknown-value-type.gguf', build(mutate=bad_value_type))
def missing_tensor(meta, infos, datas): del infos[5]; del datas[5]
write('missing-tensor.gguf', build(mutate=missing_tensor))
def wrong_shape(meta, infos, datas): infos[5][1] = [32, 16]
write('wrong-shape.gguf', build(mutate=wrong_shape))
def bad_alignment(meta, infos, datas): meta.append(u32('general.alignment', 24))
write('bad-alignment.gguf', build(mutate=bad_alignment))
def bad_bos(meta, infos, datas): meta[15] = u32('tokenizer.ggml.bos_token_id', 999999)
write('bos-out-of-vocab.gguf', build(mutate=bad_bos))
