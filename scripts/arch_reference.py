#!/usr/bin/env python3
"""Reference fixtures for the qwen2, qwen3, llama (Llama 3 RoPE scaling), gemma3 and phi3 architectures
(gemma3's tokenizer, model and float64 patches: scripts/gemma3_reference.py; phi3's tokenizer and
model: scripts/phi3_reference.py).

For each family a tiny random-weight model is made with transformers from the family's real config
class and head layout (2 layers, hidden 64, 4 heads, 2 KV heads), with a tiny byte-level BPE
tokenizer trained with `tokenizers` under the family's real pre-tokenizer regex, special tokens and
chat template. The script writes

  Tests/FTXModelTests/Fixtures/arch/<family>/hf/           the Hugging Face folder (config.json in the
                                                           published checkpoints' layout: rope_theta and
                                                           rope_scaling at top level), model.safetensors,
                                                           tokenizer.json, tokenizer_config.json,
                                                           generation_config.json
  Tests/FTXModelTests/Fixtures/arch/<family>/model.gguf    that folder converted by llama.cpp's
                                                           convert_hf_to_gguf.py --outtype f32
  Tests/FTXModelTests/Fixtures/arch/<family>/reference.json  config, tokens, GGUF tensor types and
                                                           metadata, llama.cpp's agreement, versions
  Tests/FTXModelTests/Fixtures/arch/<family>/logits.bin    float64 transformers logits as LE float32,
                                                           row-major [24 x vocab]
  Tests/FTXModelTests/Fixtures/arch/<family>/hidden_states.bin  [(layers+2) x 24 x hidden] LE float32:
                                                           embeddings, after each block, after final norm
  Tests/FTXModelTests/Fixtures/arch/<family>/tokenizer_cases.json  [{text, ids}] from `tokenizers`
  Tests/FTXTrainTests/Fixtures/arch/peft_<family>.safetensors/.json  a PEFT LoRA forward/backward on
                                                           the same base weights, as peft_reference.py

The float64 reference patches transformers' RMSNorm, rotary embedding and eager softmax, which
compute in float32 even in a float64 model, so the reference is float64 throughout. llama.cpp's
agreement is measured by loading model.gguf with llama-cpp-python in its own interpreter.

Usage (`make references-arch` does this):
  .cache/venv-ref/bin/python scripts/arch_reference.py [FAMILY ...]
Environment:
  LLAMA_CPP_DIR      llama.cpp source tree (convert_hf_to_gguf.py, gguf-py, models/templates);
                     default .cache/bench-serve/llama_cpp_python-0.3.36/vendor/llama.cpp
  LLAMA_CPP_PYTHON   a Python with llama-cpp-python 0.3.36; default .cache/bench-serve/venv/bin/python;
                     if missing, llama_cpp figures are recorded as null
"""
import copy
import json
import os
import random
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
LLAMA_CPP_DIR = os.path.abspath(os.environ.get(
    "LLAMA_CPP_DIR", os.path.join(ROOT, ".cache/bench-serve/llama_cpp_python-0.3.36/vendor/llama.cpp")))
LLAMA_CPP_PYTHON = os.environ.get("LLAMA_CPP_PYTHON", os.path.join(ROOT, ".cache/bench-serve/venv/bin/python"))
MODEL_FIXTURES = os.path.join(ROOT, "Tests", "FTXModelTests", "Fixtures", "arch")
TRAIN_FIXTURES = os.path.join(ROOT, "Tests", "FTXTrainTests", "Fixtures", "arch")

TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
N_TOKENS = 24
BPE_VOCAB = 384  # byte alphabet + learned merges, before the special tokens

# The split regexes of the real tokenizer.json files (Qwen2/Qwen2.5/Qwen3 and Llama 3): they differ
# only in digits, \p{N} (one digit a piece) against \p{N}{1,3}.
QWEN2_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
               r"|\s*[\r\n]+|\s+(?!\S)|\s+")
LLAMA3_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                r"|\s*[\r\n]+|\s+(?!\S)|\s+")

# Qwen2.5-Instruct and Qwen3 share these (their tokenizer_config.json, config.json and generation_config.json).
QWEN_TOKENS = {
    "tokenizer_config": {"tokenizer_class": "Qwen2Tokenizer", "bos_token": None, "eos_token": "<|im_end|>",
                         "pad_token": "<|endoftext|>", "unk_token": None, "add_prefix_space": False,
                         "model_max_length": 131072, "errors": "replace", "split_special_tokens": False},
    "config_ids": {"bos_token_id": "<|endoftext|>", "eos_token_id": "<|im_end|>"},
    "generation": {"bos_token_id": "<|endoftext|>", "pad_token_id": "<|endoftext|>",
                   "eos_token_id": ["<|im_end|>", "<|endoftext|>"]},
}

FAMILIES = {
    "qwen2": {
        "arch": "Qwen2ForCausalLM", "head_dim": 16, "rms_norm_eps": 1e-6, "tie": True,
        "rope_theta": 1000000.0, "rope_scaling": None, "attention_bias": True, "qk_norm": False,
        "regex": QWEN2_REGEX, "nfc": True, "pre": "qwen2",
        # (token, special) in the real order; Qwen pads config.vocab_size past the tokenizer's size.
        "added": [("<|endoftext|>", True), ("<|im_start|>", True), ("<|im_end|>", True)],
        "vocab_size": 400,
        "template": "Qwen-Qwen2.5-7B-Instruct.jinja",  # the same template as Qwen2.5-0.5B/1.5B-Instruct
        **QWEN_TOKENS,
    },
    "qwen3": {
        "arch": "Qwen3ForCausalLM", "head_dim": 32, "rms_norm_eps": 1e-6, "tie": True,
        "rope_theta": 1000000.0, "rope_scaling": None, "attention_bias": False, "qk_norm": True,
        "regex": QWEN2_REGEX, "nfc": True, "pre": "qwen2",
        "added": [("<|endoftext|>", True), ("<|im_start|>", True), ("<|im_end|>", True),
                  ("<think>", False), ("</think>", False)],
        "vocab_size": 400,
        "template": "Qwen-Qwen3-0.6B.jinja",
        **QWEN_TOKENS,
    },
    "llama3": {
        "arch": "LlamaForCausalLM", "head_dim": 16, "rms_norm_eps": 1e-5, "tie": False,
        "rope_theta": 500000.0,
        "rope_scaling": {"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                         "original_max_position_embeddings": 8192},
        "attention_bias": False, "qk_norm": False,
        "regex": LLAMA3_REGEX, "nfc": False, "pre": "llama-bpe",
        "added": [("<|begin_of_text|>", True), ("<|end_of_text|>", True), ("<|start_header_id|>", True),
                  ("<|end_header_id|>", True), ("<|eom_id|>", True), ("<|eot_id|>", True)],
        "vocab_size": None,  # Llama 3's vocab_size equals the tokenizer's size
        "template": "meta-llama-Llama-3.2-3B-Instruct.jinja",  # as Llama-3.2-1B/3B-Instruct
        "tokenizer_config": {"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": "<|begin_of_text|>",
                             "eos_token": "<|eot_id|>", "model_max_length": 131072,
                             "clean_up_tokenization_spaces": True,
                             "model_input_names": ["input_ids", "attention_mask"]},
        "config_ids": {"bos_token_id": "<|begin_of_text|>",
                       "eos_token_id": ["<|end_of_text|>", "<|eom_id|>", "<|eot_id|>"]},
        "generation": {"bos_token_id": "<|begin_of_text|>", "do_sample": True, "temperature": 0.6, "top_p": 0.9,
                       "eos_token_id": ["<|end_of_text|>", "<|eom_id|>", "<|eot_id|>"]},
    },
    # Gemma 3 (gemma-3-270m / 1b text models): its own tokenizer (SentencePiece), model and float64
    # patches live in gemma3_reference.py; 6 layers so that llama.cpp's default layout (every 6th
    # layer global) is the model's.
    "gemma3": {
        "arch": "Gemma3ForCausalLM", "head_dim": 32, "rms_norm_eps": 1e-6, "tie": True,
        "rope_theta": 1000000.0, "rope_local_base_freq": 10000.0,
        "rope_scaling": {"rope_type": "linear", "factor": 8.0},
        "attention_bias": False, "qk_norm": True, "pre": "default", "added": [],  # pre: unused (SentencePiece)
    },
    # Phi-3 / Phi-3.5 mini: fused qkv_proj and gate_up_proj, a Llama-2 SentencePiece tokenizer; its
    # tokenizer and model live in phi3_reference.py. PEFT targets the fused modules by their names.
    "phi3": {
        "arch": "Phi3ForCausalLM", "head_dim": 16, "rms_norm_eps": 1e-5, "tie": False,
        "rope_theta": 10000.0, "rope_scaling": None,
        "attention_bias": False, "qk_norm": False, "pre": "default", "added": [],
    },
}


# ---------------------------------------------------------------------------------------------
# Text: the BPE training corpus and the tokenizer cases (both fixed, so the fixtures are stable)

CORPUS_LINES = [
    "The quick brown fox jumps over the lazy dog. It's what they're saying, isn't it?",
    "I've been told he'll come; we'd rather you'd stay. You're sure it's fine? They've gone.",
    "In 2024 the team trained 12 models on 3,500,000 tokens for 1,234.56 dollars (about 19%).",
    "Call 555-0123 or 1-800-273-8255 before 23:59 on 2025-01-31; order #40017 ships in 7 days.",
    "def train(model, data, lr=3e-4):\n    for step, batch in enumerate(data):\n        loss = model(batch)\n"
    "        loss.backward()\n        if step % 100 == 0:\n            print(f\"step {step}: {loss:.4f}\")\n",
    "fn main() {\n    let xs: Vec<u32> = (0..1000).collect();\n    println!(\"{}\", xs.iter().sum::<u32>());\n}\n",
    "SELECT id, name FROM users WHERE age >= 21 AND created_at < '2023-06-01' ORDER BY id DESC LIMIT 50;",
    "<html>\n  <body>\n    <p class=\"note\">Hello, world!</p>\n  </body>\n</html>\n",
    "我想在苹果公司工作。今天天气很好，我们去公园散步吧！机器学习和自然语言处理。",
    "日本語のテキストも少し入れます。東京は大きな都市です。カタカナとひらがな。",
    "한국어 문장도 있습니다. 서울은 아름답습니다.",
    "Привет, мир! Это тест на русском языке. Быстрая коричневая лиса.",
    "Ελληνικά: γεια σου κόσμε. العربية: مرحبا بالعالم. עברית: שלום עולם.",
    "Emoji: 🚀 launch, 😀 smile, 🦙🦙 llamas, ✅ done, 👩‍💻 coder, 🇫🇷 flag.",
    "Café, naïve, résumé, façade, jalapeño, Zürich, São Paulo, Łódź, Ærøskøbing.",
    "    indented four\n\tand a tab\n\n\nthree newlines   and   spaces      galore\n",
    "Numbers: 0 1 12 123 1234 12345 123456 1234567 3.14159 2.71828 6.022e23 1e-9 0x1F 0b1010",
    "Version 1.2.3-beta+42, build 20240517, commit 9f8e7d6c, port 8080, year 1999 and 2000.",
    "The model's loss fell from 2.303 to 0.917 after 1500 steps; perplexity 2.50.",
    "She said: \"Don't stop!\" -- and then... nothing. ''' ``` \"\"\" ...... !!!!!! ??????",
    "------======= ******* ####### ~~~~~~~ ^^^ &&& ||| >>> <<< === !== ->  => :: ..",
    "Mixed: abc123def 4567ghi jkl89 mno0pqr, x2 y3 z4, COVID-19, GPT-4o, Llama-3.2-1B.",
    "We'Ve a'lL I'M HE'S THEY'RE YOU'LL WE'D it'S -- contractions in every case.",
    "https://example.com/path/to/page?query=1&lang=en#section-2 and user@example.org",
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt.",
    "Training a LoRA adapter: rank 8, alpha 16, dropout 0.05, learning rate 0.0002, 3 epochs.",
]


def corpus():
    """A few KB of varied text, with many numbers and contractions so digit and ' merges are learned."""
    rng = random.Random(2024)
    lines = list(CORPUS_LINES) * 3
    for _ in range(120):
        lines.append(" ".join(str(rng.randint(0, 10 ** rng.randint(1, 7))) for _ in range(6)))
    words = ["it's", "don't", "we're", "they've", "I'm", "you'll", "he'd", "the", "and", "model", "train",
             "IT'S", "WE'RE", "YOU'LL", "I'M", "HE'D", "They'Ve", "DON'T"]  # so the (?i:'s|...) rule shows
    for _ in range(60):
        lines.append(" ".join(rng.choice(words) for _ in range(8)))
    return lines


def tokenizer_case_texts():
    """200 fixed strings: code, CJK, emoji, numbers (long digit runs), whitespace runs, newlines,
    contractions, mixed scripts, NFC-sensitive text, and special tokens inline."""
    fixed = [
        "", " ", "  ", "\n", "\n\n", " \n", "\t", "a", "A", " a", "hello", " hello", "Hello world",
        "0", "7", "12", "123", "1234", "12345", "123456", "1234567", "12345678901234567890",
        "3.14159", "1,000,000", "2024-05-17", "v1.2.3", "$19.99", "-42", "+1e10", "0x7fff", "1/3",
        "abc123def", "x1y22z333w4444", "٣٤٥ and ０１２ and ¾ and Ⅻ", "١٢٣٤٥٦٧",
        "it's", "It's", "IT'S", "don't", "DON'T", "we're", "We'Re", "they've", "I'm", "i'M", "you'll",
        "YOU'LL", "he'd", "'s", "'twas", "rock 'n' roll", "the dog's bone", "''quoted''", "o'clock",
        "    x", "x    ", "a  b   c    d", "\t\tdef f():\n\t\t\treturn 1\n", "line1\nline2\r\nline3\rline4",
        "\n\n\n\n", "   \n   \n", "trailing spaces   ", "   leading spaces",
        "def add(a, b):\n    return a + b\n", "for (int i = 0; i < 100; ++i) { sum += i * i; }",
        "if x == 10:\n    print('ten')\nelse:\n    print(\"other\")", "let s = \"héllo\"; // comment",
        "{\"key\": [1, 2, 3], \"nested\": {\"a\": null}}", "<div class=\"x\">&amp; &lt;tag&gt;</div>",
        "我想在apple工作1314151天～", "今天天气很好", "東京タワー", "한국어 텍스트", "中文，标点。符号！",
        "🚀", "🦙🦙", "😶‍🌫️", "👩‍👩‍👧‍👦 family", "✅ ❌ ⚠️", "🇯🇵🇺🇸", "emoji🙂inside",
        "Привет мир", "γειά σου", "مرحبا", "שלום", "नमस्ते दुनिया", "สวัสดีครับ", "កាន់តែពិសេសអាច",
        "Cafe\u0301 vs Café", "e\u0301e\u0301", "A\u030angstrom Å", "ﬁ ligature", "Ｆｕｌｌｗｉｄｔｈ",
        "mixed English и русский 和中文 123", "------=======", "......!!!!!!??????", "```python\nx=1\n```",
        "'''''''", "\"\"\"\"", "a\u00a0b (nbsp)", "zero\u200bwidth", "tab\tseparated\tvalues\t1\t22\t333",
    ]
    rng = random.Random(77)
    pieces = ["the", " model", " it's", " don't", " 42", " 2024", " 1234567", "99999", " 3.5", "\n", "  ",
              "\t", " 中文", "日本", " 🚀", "😀", " Ünïcödé", " we'll", " THEY'RE", "(x+1)", " [1, 2]", "=>",
              " Привет", "\n\n", "    return", " // note", " 0.001", "1e-5", " #7", " a", "b", " ''", " 'll"]
    generated = []
    while len(fixed) + len(generated) < 200:
        n = rng.randint(2, 9)
        generated.append("".join(rng.choice(pieces) for _ in range(n)))
    return fixed + generated


def special_case_texts(family):
    specials = [t for t, _ in FAMILIES[family]["added"]]
    return [
        f"{specials[0]}hello{specials[-1]}",
        f"{specials[1]}user\nWhat's 12345 + 678?{specials[-1]}\n",
        f"text {specials[0]} spaced {specials[1]}   x",
        f"{specials[-1]}{specials[-1]}\n\n{specials[0]}",
    ]


# ---------------------------------------------------------------------------------------------
# Tokenizer

def train_tokenizer(family):
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    spec = FAMILIES[family]
    tok = Tokenizer(models.BPE(unk_token=None, fuse_unk=False, byte_fallback=False))
    if spec["nfc"]:
        tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(spec["regex"]), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
    trainer = trainers.BpeTrainer(vocab_size=BPE_VOCAB, min_frequency=2, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), special_tokens=[])
    tok.train_from_iterator(corpus(), trainer=trainer)
    from tokenizers import AddedToken
    for text, special in spec["added"]:
        added = AddedToken(text, special=special, normalized=False, lstrip=False, rstrip=False, single_word=False)
        if special:
            tok.add_special_tokens([added])
        else:
            tok.add_tokens([added])
    if family == "llama3":
        bos = "<|begin_of_text|>"
        tok.post_processor = processors.TemplateProcessing(
            single=f"{bos}:0 $A:0", pair=f"{bos}:0 $A:0 {bos}:1 $B:1", special_tokens=[(bos, tok.token_to_id(bos))])
    else:
        tok.post_processor = processors.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
    return tok


def write_tokenizer_files(family, tok, hf_dir):
    spec = FAMILIES[family]
    tok.save(os.path.join(hf_dir, "tokenizer.json"))
    template_path = os.path.join(LLAMA_CPP_DIR, "models", "templates", spec["template"])
    with open(template_path, encoding="utf-8") as f:
        template = f.read()
    cfg = dict(spec["tokenizer_config"])
    cfg["added_tokens_decoder"] = {
        str(tok.token_to_id(text)): {"content": text, "lstrip": False, "normalized": False, "rstrip": False,
                                     "single_word": False, "special": special}
        for text, special in spec["added"]}
    cfg["chat_template"] = template
    dump_json(os.path.join(hf_dir, "tokenizer_config.json"), cfg)
    gen = {k: ids_of(tok, v) if k.endswith("token_id") else v for k, v in spec["generation"].items()}
    gen["transformers_version"] = version("transformers")
    dump_json(os.path.join(hf_dir, "generation_config.json"), gen)
    return template


def ids_of(tok, value):
    if isinstance(value, list):
        return [tok.token_to_id(v) for v in value]
    return tok.token_to_id(value)


def tokenizer_cases(family, tok, hf_dir):
    """Ids from the `tokenizers` tokenizer, checked against transformers' AutoTokenizer on the same folder."""
    from transformers import AutoTokenizer
    texts = tokenizer_case_texts()
    texts = texts[:200 - 4] + special_case_texts(family)
    auto = AutoTokenizer.from_pretrained(hf_dir)
    cases = []
    for text in texts:
        ids = tok.encode(text, add_special_tokens=False).ids
        auto_ids = auto.encode(text, add_special_tokens=False)
        if ids != auto_ids:
            raise SystemExit(f"{family}: tokenizers and AutoTokenizer disagree on {text!r}: {ids} vs {auto_ids}")
        cases.append({"text": text, "ids": ids})
    return cases


# ---------------------------------------------------------------------------------------------
# Model

def build_model(family, n_vocab):
    import torch
    import transformers
    from peft_reference import init_weights
    spec = FAMILIES[family]
    torch.manual_seed({"qwen2": 2, "qwen3": 3, "llama3": 31}[family])
    common = dict(vocab_size=n_vocab, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                  num_attention_heads=4, num_key_value_heads=2, head_dim=spec["head_dim"],
                  max_position_embeddings=256, rms_norm_eps=spec["rms_norm_eps"],
                  tie_word_embeddings=spec["tie"], hidden_act="silu")
    if family == "qwen2":
        cfg = transformers.Qwen2Config(rope_theta=spec["rope_theta"], use_sliding_window=False, **common)
        cls = transformers.Qwen2ForCausalLM
    elif family == "qwen3":
        cfg = transformers.Qwen3Config(rope_theta=spec["rope_theta"], use_sliding_window=False,
                                       attention_bias=False, **common)
        cls = transformers.Qwen3ForCausalLM
    else:
        cfg = transformers.LlamaConfig(rope_theta=spec["rope_theta"], rope_scaling=dict(spec["rope_scaling"]),
                                       attention_bias=False, mlp_bias=False, **common)
        cls = transformers.LlamaForCausalLM
    cfg._attn_implementation = "eager"
    model = cls(cfg).float()
    model.config._attn_implementation = "eager"
    init_weights(model)
    model.eval()
    return model


def hub_config(family, model, tok):
    """config.json in the layout of the published checkpoints (rope_theta, rope_scaling at top level)."""
    spec = FAMILIES[family]
    if family == "gemma3":
        import gemma3_reference
        return gemma3_reference.hub_config(model, spec)
    cfg = model.config.to_dict()
    rope = cfg.pop("rope_parameters", None) or {}
    for k in ["transformers_version", "dtype", "torch_dtype", "layer_types", "_attn_implementation", "_name_or_path",
              "id2label", "label2id", "chunk_size_feed_forward", "is_encoder_decoder", "output_attentions",
              "output_hidden_states", "problem_type", "return_dict"]:  # keys the published configs lack
        cfg.pop(k, None)
    if family == "phi3":
        import phi3_reference
        return phi3_reference.hub_config(cfg, rope, spec, tok)
    cfg["rope_theta"] = rope.get("rope_theta", spec["rope_theta"])
    cfg["rope_scaling"] = dict(spec["rope_scaling"]) if spec["rope_scaling"] else None
    if spec["rope_scaling"]:
        cfg["rope_scaling"]["factor"] = float(cfg["rope_scaling"]["factor"])
    if family != "llama3":
        cfg["sliding_window"] = None
        cfg["max_window_layers"] = cfg["num_hidden_layers"]
    for k, v in spec["config_ids"].items():
        cfg[k] = ids_of(tok, v)
    cfg["torch_dtype"] = "float32"
    cfg["architectures"] = [spec["arch"]]
    return dict(sorted(cfg.items()))


def save_hf(family, model, tok, hf_dir):
    import torch
    from safetensors.torch import save_file
    os.makedirs(hf_dir, exist_ok=True)
    dump_json(os.path.join(hf_dir, "config.json"), hub_config(family, model, tok))
    state = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    if FAMILIES[family]["tie"]:
        state.pop("lm_head.weight")  # a tied checkpoint stores the embedding only
    save_file(dict(sorted(state.items())), os.path.join(hf_dir, "model.safetensors"), metadata={"format": "pt"})
    # Reload from disk: the committed folder must give back the same model (and rope parameters).
    import transformers
    back = transformers.AutoModelForCausalLM.from_pretrained(hf_dir, dtype=torch.float32, attn_implementation="eager")
    for k, v in model.state_dict().items():
        if not torch.equal(v, back.state_dict()[k]):
            raise SystemExit(f"{family}: {k} differs after reload")
    if back.config.rope_parameters != model.config.rope_parameters:
        raise SystemExit(f"{family}: rope parameters differ after reload: {back.config.rope_parameters}")


class Float64Exact:
    """Within this context transformers' RMSNorm, rotary embedding and eager softmax compute in the
    tensors' dtype (float64) instead of float32, and inv_freq is recomputed in float64."""

    def __enter__(self):
        import torch
        from transformers.models.llama import modeling_llama
        from transformers.models.qwen2 import modeling_qwen2
        from transformers.models.qwen3 import modeling_qwen3
        from transformers.models.phi3 import modeling_phi3
        self.saved = []

        def rms_forward(self_, x):
            var = x.pow(2).mean(-1, keepdim=True)
            return self_.weight * (x * torch.rsqrt(var + self_.variance_epsilon))

        def rope_forward(self_, x, position_ids):
            freqs = position_ids[..., None].to(torch.float64) * self_.inv_freq.to(torch.float64)
            emb = torch.cat((freqs, freqs), dim=-1)
            return (emb.cos() * self_.attention_scaling).to(x.dtype), (emb.sin() * self_.attention_scaling).to(x.dtype)

        def eager(module, query, key, value, attention_mask, scaling, dropout=0.0, **kwargs):
            k = torch.repeat_interleave(key, module.num_key_value_groups, dim=1)
            v = torch.repeat_interleave(value, module.num_key_value_groups, dim=1)
            w = torch.matmul(query, k.transpose(2, 3)) * scaling
            if attention_mask is not None:
                w = w + attention_mask
            w = torch.softmax(w, dim=-1)
            return torch.matmul(w, v).transpose(1, 2).contiguous(), w

        import gemma3_reference
        gemma_patches, modeling_gemma3 = gemma3_reference.float64_patches()
        for obj, attr, new in gemma_patches + [(modeling_gemma3, "eager_attention_forward", eager)]:
            self.saved.append((obj, attr, getattr(obj, attr)))
            setattr(obj, attr, new)
        for mod, prefix in [(modeling_llama, "Llama"), (modeling_qwen2, "Qwen2"), (modeling_qwen3, "Qwen3"),
                            (modeling_phi3, "Phi3")]:
            for obj, attr, new in [(getattr(mod, prefix + "RMSNorm"), "forward", rms_forward),
                                   (getattr(mod, prefix + "RotaryEmbedding"), "forward", rope_forward),
                                   (mod, "eager_attention_forward", eager)]:
                self.saved.append((obj, attr, getattr(obj, attr)))
                setattr(obj, attr, new)
        return self

    def __exit__(self, *exc):
        for obj, attr, old in reversed(self.saved):
            setattr(obj, attr, old)


def inv_freq_f64(family, head_dim):
    """RoPE inverse frequencies in float64: the default ones, or Llama 3's scaled ones."""
    import math
    import torch
    spec = FAMILIES[family]
    base = spec["rope_theta"]
    freqs = 1.0 / (base ** (torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim))
    rs = spec["rope_scaling"]
    if not rs:
        return freqs
    factor, lo, hi, old = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"], rs["original_max_position_embeddings"]
    out = []
    for f in freqs.tolist():
        wavelen = 2 * math.pi / f
        if wavelen < old / hi:
            out.append(f)
        elif wavelen > old / lo:
            out.append(f / factor)
        else:
            smooth = (old / wavelen - lo) / (hi - lo)
            out.append((1 - smooth) * f / factor + smooth * f)
    return torch.tensor(out, dtype=torch.float64)


def reference_forward(family, model, tokens):
    """Float64 logits [T x V] and hidden states [(L+2) x T x H]: embeddings, after each block, after
    the final norm (taken with hooks, so the count and meaning do not depend on output_hidden_states)."""
    import torch
    m = copy.deepcopy(model).double()
    for mod in m.modules():
        if family == "gemma3" and type(mod).__name__.endswith("RotaryEmbedding"):
            import gemma3_reference
            gemma3_reference.set_float64_inv_freq(mod, FAMILIES[family], FAMILIES[family]["head_dim"])
        elif type(mod).__name__.endswith("RotaryEmbedding"):
            f64 = inv_freq_f64(family, FAMILIES[family]["head_dim"])
            if not torch.allclose(mod.inv_freq.double(), f64, rtol=1e-6, atol=0):
                raise SystemExit(f"{family}: float64 inv_freq disagrees with transformers': {mod.inv_freq} {f64}")
            mod.inv_freq = f64
    captured = []
    hooks = [m.model.embed_tokens.register_forward_hook(lambda _m, _i, o: captured.append(o))]
    for layer in m.model.layers:
        hooks.append(layer.register_forward_hook(lambda _m, _i, o: captured.append(o[0] if isinstance(o, tuple) else o)))
    hooks.append(m.model.norm.register_forward_hook(lambda _m, _i, o: captured.append(o)))
    ids = torch.tensor([tokens])
    with Float64Exact(), torch.no_grad():
        logits = m(input_ids=ids, use_cache=False).logits[0]
    for h in hooks:
        h.remove()
    hidden = torch.stack([c.reshape(len(tokens), -1) for c in captured])
    with torch.no_grad():
        logits32 = model(input_ids=ids, use_cache=False).logits[0].double()
    return logits, hidden, (logits32 - logits).abs().max().item()


# ---------------------------------------------------------------------------------------------
# llama.cpp: conversion and agreement

CONVERT_SHIM = """
import os, runpy, sys
llama_cpp_dir, pre = sys.argv[1], sys.argv[2]
sys.path.insert(0, llama_cpp_dir)
sys.path.insert(1, os.path.join(llama_cpp_dir, "gguf-py"))
from conversion.base import TextModel
# The tiny tokenizer's hash is not in llama.cpp's table: name the family's real pre-tokenizer.
TextModel.get_vocab_base_pre = lambda self, tokenizer: pre
sys.argv = ["convert_hf_to_gguf.py"] + sys.argv[3:]
runpy.run_path(os.path.join(llama_cpp_dir, "convert_hf_to_gguf.py"), run_name="__main__")
"""

LLAMA_CPP_EVAL = """
import json, sys
import numpy as np
from llama_cpp import Llama
path, tokens, out, extra = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], json.loads(sys.argv[4])
llm = Llama(model_path=path, logits_all=True, n_ctx=256, n_threads=2, n_batch=256, verbose=False, seed=0, **extra)
llm.eval(tokens)
np.asarray(llm.scores[:len(tokens)], dtype=np.float32).tofile(out)
print(llm.n_vocab())
"""


def convert(family, hf_dir, gguf_path):
    env = {k: v for k, v in os.environ.items() if k != "NO_LOCAL_GGUF"}  # the converter's own gguf-py
    subprocess.run([sys.executable, "-c", CONVERT_SHIM, LLAMA_CPP_DIR, FAMILIES[family]["pre"], hf_dir,
                    "--outtype", "f32", "--outfile", gguf_path, "--model-name", f"tiny-{family}"], check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def gguf_summary(gguf_path):
    sys.path.insert(0, os.path.join(LLAMA_CPP_DIR, "gguf-py"))
    import gguf
    r = gguf.GGUFReader(gguf_path)
    tensors = {t.name: {"type": t.tensor_type.name, "shape": [int(x) for x in t.shape]} for t in r.tensors}
    meta = {}
    for name, field in r.fields.items():
        if name.startswith("GGUF.") or name in ("tokenizer.ggml.tokens", "tokenizer.ggml.merges",
                                               "tokenizer.ggml.token_type", "tokenizer.chat_template"):
            continue
        v = field.contents()
        meta[name] = v
    meta["tokenizer.ggml.tokens.count"] = len(r.fields["tokenizer.ggml.tokens"].contents())
    if "tokenizer.ggml.merges" in r.fields:  # none for a SentencePiece vocabulary
        meta["tokenizer.ggml.merges.count"] = len(r.fields["tokenizer.ggml.merges"].contents())
    meta["tokenizer.chat_template.length"] = len(r.fields["tokenizer.chat_template"].contents())
    return dict(sorted(tensors.items())), dict(sorted(meta.items()))


def check_gguf(family, tensors):
    need = {"qwen2": [f"blk.{i}.attn_{p}.bias" for i in range(2) for p in "qkv"],
            "qwen3": [f"blk.{i}.attn_{p}_norm.weight" for i in range(2) for p in "qk"],
            "llama3": ["rope_freqs.weight", "output.weight"],
            "gemma3": [f"blk.{i}.{n}.weight" for i in range(6) for n in
                       ["attn_q_norm", "attn_k_norm", "post_attention_norm", "ffn_norm", "post_ffw_norm"]],
            "phi3": [f"blk.{i}.{n}.weight" for i in range(2) for n in ["attn_qkv", "ffn_up"]] + ["output.weight"]}[family]
    missing = [n for n in need if n not in tensors]
    if missing:
        raise SystemExit(f"{family}: the GGUF lacks {missing}")
    if FAMILIES[family]["tie"] and "output.weight" in tensors:
        raise SystemExit(f"{family}: a tied model's GGUF should have no output.weight")


# llama.cpp's default KV cache is F16, which alone costs ~1e-3 on these logits; F32 K/V (type 0) and
# no flash attention show what the GGUF itself computes.
LLAMA_CPP_F32_KV = {"type_k": 0, "type_v": 0, "flash_attn": False}


def llama_cpp_agreement(gguf_path, tokens, ref_logits, extra):
    import numpy as np
    if not os.path.exists(LLAMA_CPP_PYTHON):
        print(f"  llama-cpp-python not found at {LLAMA_CPP_PYTHON}: agreement not measured")
        return None
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "logits.f32")
        res = subprocess.run([LLAMA_CPP_PYTHON, "-c", LLAMA_CPP_EVAL, gguf_path, json.dumps(tokens), out, json.dumps(extra)],
                             check=True, capture_output=True, text=True)
        n_vocab = int(res.stdout.strip().splitlines()[-1])
        got = np.fromfile(out, dtype=np.float32).reshape(len(tokens), n_vocab).astype(np.float64)
    ref = ref_logits.numpy()
    diff = np.abs(got - ref)
    row_scale = np.abs(ref).max(axis=1, keepdims=True)
    return {"max_abs_diff": float(diff.max()), "max_rel_diff": float((diff / row_scale).max()),
            "logits_shape": [len(tokens), n_vocab], "llama_params": extra,
            "argmax_agrees": bool((got.argmax(1) == ref.argmax(1)).all())}


# ---------------------------------------------------------------------------------------------
# PEFT

def peft_reference(family, model):
    """One PEFT LoRA forward/backward in float32: scripts/peft_reference.py's step on this model."""
    from peft_reference import lora_step
    import torch
    from safetensors.torch import save_file
    spec = FAMILIES[family]
    torch.manual_seed(1234)
    m = copy.deepcopy(model).float()
    cfg = m.config
    base_state = {k: v.detach().clone().contiguous() for k, v in m.state_dict().items()}
    if spec["tie"]:
        base_state.pop("lm_head.weight")
    targets = TARGETS
    if family == "phi3":
        import phi3_reference
        targets = phi3_reference.TARGETS
    lcfg, seq, input_ids, attention_mask, labels, out, lora = lora_step(m, cfg.vocab_size, targets)
    tensors = {"base." + k: v for k, v in base_state.items()} | lora
    os.makedirs(TRAIN_FIXTURES, exist_ok=True)
    save_file(dict(sorted(tensors.items())), os.path.join(TRAIN_FIXTURES, f"peft_{family}.safetensors"))
    meta = {
        "family": family,
        "config": {"vocab_size": cfg.vocab_size, "hidden_size": cfg.hidden_size,
                   "intermediate_size": cfg.intermediate_size, "num_layers": cfg.num_hidden_layers,
                   "num_heads": cfg.num_attention_heads, "num_kv_heads": cfg.num_key_value_heads,
                   "head_dim": spec["head_dim"], "rope_theta": spec["rope_theta"], "rms_norm_eps": cfg.rms_norm_eps},
        "head_dim": spec["head_dim"], "attention_bias": spec["attention_bias"], "qk_norm": spec["qk_norm"],
        "tie_word_embeddings": spec["tie"], "rope_scaling": spec["rope_scaling"], "dtype": "float32",
        **gemma3_meta(family, cfg),
        "lora": {"r": lcfg.r, "alpha": lcfg.lora_alpha, "targets": targets},
        "batch": 2, "seq_len": seq,
        "input_ids": input_ids.tolist(), "labels": labels.tolist(), "attention_mask": attention_mask.tolist(),
        "loss": out.loss.item(),
        "versions": versions(),
    }
    dump_json(os.path.join(TRAIN_FIXTURES, f"peft_{family}.json"), meta)
    return out.loss.item(), len(tensors)


# ---------------------------------------------------------------------------------------------

def gemma3_meta(family, cfg):
    """Gemma 3's extra hyper-parameters for the fixtures (empty for the other families)."""
    if family == "phi3":
        return {"sliding_window": cfg.sliding_window, "sliding_window_layers": "all"}
    if family != "gemma3":
        return {}
    return {"sliding_window": cfg.sliding_window, "layer_types": list(cfg.layer_types),
            "query_pre_attn_scalar": cfg.query_pre_attn_scalar, "hidden_activation": cfg.hidden_activation,
            "rope_local_base_freq": FAMILIES[family]["rope_local_base_freq"]}


def phi3_special_tokens(sp):
    import phi3_reference
    return {p: sp.piece_to_id(p) for p in ["<unk>", "<s>", "</s>"]} | phi3_reference.added_ids(sp)


def version(pkg):
    import importlib.metadata
    return importlib.metadata.version(pkg)


def versions():
    return {p: version(p) for p in ["torch", "transformers", "peft", "tokenizers", "safetensors"]} | {
        "llama_cpp_python": "0.3.36 (" + os.path.basename(os.path.dirname(os.path.dirname(LLAMA_CPP_DIR))) + ")"}


def dump_json(path, obj, indent=1):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=indent, sort_keys=True, ensure_ascii=False)
        f.write("\n")


def json_safe(v):
    import numpy as np
    if isinstance(v, (list, tuple)):
        return [json_safe(x) for x in v]
    if isinstance(v, np.generic):
        return v.item()
    return v


def run_family(family):
    import numpy as np
    import torch
    torch.use_deterministic_algorithms(True)
    spec = FAMILIES[family]
    out_dir = os.path.join(MODEL_FIXTURES, family)
    hf_dir = os.path.join(out_dir, "hf")
    os.makedirs(hf_dir, exist_ok=True)

    if family == "gemma3":
        # SentencePiece: tokenizer.model for the converter, tokenizer.json from transformers' converter.
        import gemma3_reference
        tok = gemma3_reference.train_spm(corpus(), hf_dir)
        n_tok = n_vocab = tok.get_piece_size()
        model = gemma3_reference.build_model(n_vocab, spec)
        save_hf(family, model, tok, hf_dir)
        gemma3_reference.write_tokenizer_files(tok, hf_dir, dump_json, version)
    elif family == "phi3":
        import phi3_reference
        tok = phi3_reference.train_spm(corpus(), hf_dir)
        n_tok = tok.get_piece_size() + len(phi3_reference.ADDED)
        n_vocab = phi3_reference.VOCAB_SIZE
        model = phi3_reference.build_model(spec)
        save_hf(family, model, tok, hf_dir)
        phi3_reference.write_tokenizer_files(tok, hf_dir, os.path.join(LLAMA_CPP_DIR, "models", "templates"), dump_json, version)
    else:
        tok = train_tokenizer(family)
        n_tok = tok.get_vocab_size(with_added_tokens=True)
        n_vocab = spec["vocab_size"] or n_tok
        model = build_model(family, n_vocab)
        save_hf(family, model, tok, hf_dir)
        write_tokenizer_files(family, tok, hf_dir)
        cases = tokenizer_cases(family, tok, hf_dir)
        dump_json(os.path.join(out_dir, "tokenizer_cases.json"), cases, indent=None)

    rng = random.Random({"qwen2": 20, "qwen3": 30, "llama3": 33, "gemma3": 36, "phi3": 38}[family])
    tokens = [rng.randrange(n_tok) for _ in range(N_TOKENS)]
    logits, hidden, f32_diff = reference_forward(family, model, tokens)
    logits.numpy().astype("<f4").tofile(os.path.join(out_dir, "logits.bin"))
    hidden.numpy().astype("<f4").tofile(os.path.join(out_dir, "hidden_states.bin"))

    gguf_path = os.path.join(out_dir, "model.gguf")
    convert(family, hf_dir, gguf_path)
    tensors, meta = gguf_summary(gguf_path)
    check_gguf(family, tensors)
    agreement = llama_cpp_agreement(gguf_path, tokens, logits, LLAMA_CPP_F32_KV)
    # llama.cpp turns Phi-3's sliding window off (src/models/phi3.cpp): past the window it differs
    # from transformers by design; inside it (the first WINDOW positions) it should agree.
    agreement_in_window = None
    if family == "phi3":
        import phi3_reference
        w = phi3_reference.WINDOW
        agreement_in_window = llama_cpp_agreement(gguf_path, tokens[:w], logits[:w], LLAMA_CPP_F32_KV)
    agreement_f16 = llama_cpp_agreement(gguf_path, tokens, logits, {})
    loss, n_tensors = peft_reference(family, model)

    cfg = model.config
    reference = {
        "family": family,
        "config": {"architecture": spec["arch"], "vocab_size": n_vocab, "tokenizer_size": n_tok,
                   "hidden_size": cfg.hidden_size, "intermediate_size": cfg.intermediate_size,
                   "num_layers": cfg.num_hidden_layers, "num_heads": cfg.num_attention_heads,
                   "num_kv_heads": cfg.num_key_value_heads, "head_dim": spec["head_dim"],
                   "rms_norm_eps": spec["rms_norm_eps"], "rope_theta": spec["rope_theta"],
                   "rope_scaling": spec["rope_scaling"], "tie_word_embeddings": spec["tie"],
                   "attention_bias": spec["attention_bias"], "qk_norm": spec["qk_norm"],
                   "max_position_embeddings": cfg.max_position_embeddings,
                   "hidden_act": "gelu_pytorch_tanh" if family == "gemma3" else "silu",
                   "rope_style": "neox (rotate_half: pairs i and i + head_dim/2)", **gemma3_meta(family, cfg)},
        "transformers_config": json.loads(model.config.to_json_string()) if family == "gemma3" else None,
        "tokens": tokens,
        "logits_shape": [N_TOKENS, n_vocab],
        "logits_file": "logits.bin (little-endian float32, row-major, transformers in float64 throughout)",
        "hidden_shape": [cfg.num_hidden_layers + 2, N_TOKENS, cfg.hidden_size],
        "hidden_states_file": "hidden_states.bin (LE float32): [0] embeddings, [1..layers] after each block "
                              "(residual stream), [layers+1] after the final norm",
        "hidden_last_is_after_final_norm": True,
        "transformers_float32_max_abs_diff": f32_diff,
        "gguf_tensor_types": tensors,
        "gguf_metadata": {k: json_safe(v) for k, v in meta.items()},
        "llama_cpp": agreement,
        "llama_cpp_default_f16_kv_cache": agreement_f16,
        "llama_cpp_inside_sliding_window": agreement_in_window,
        "llama_cpp_note": ("llama.cpp's CPU GELU reads an f16 lookup table (GGML_GELU_FP16 in ggml-cpu/vec.h): "
                           "its GeGLU input is rounded to f16, hence ~4e-4 relative rather than ~2e-7")
                          if family == "gemma3" else
                          ("llama.cpp disables Phi-3's sliding window (src/models/phi3.cpp, PR 13676); transformers "
                           "masks every layer with it: past the window they differ by design, inside it they agree")
                          if family == "phi3" else None,
        "special_tokens": ({p: tok.piece_to_id(p) for p in ["<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>"]}
                           if family == "gemma3" else phi3_special_tokens(tok) if family == "phi3"
                           else {text: tok.token_to_id(text) for text, _ in spec["added"]}),
        "versions": versions(),
    }
    dump_json(os.path.join(out_dir, "reference.json"), reference)
    a, b = agreement or {}, agreement_f16 or {}
    print(f"{family}: vocab {n_vocab} (tokenizer {n_tok}), transformers f32 vs f64 {f32_diff:.2e}, "
          f"llama.cpp (F32 KV) max abs {a.get('max_abs_diff')}, max rel {a.get('max_rel_diff')}, "
          f"argmax agrees {a.get('argmax_agrees')}; llama.cpp default F16 KV max abs {b.get('max_abs_diff')}, "
          f"max rel {b.get('max_rel_diff')}; PEFT loss {loss:.6f} ({n_tensors} tensors)")


def main():
    families = sys.argv[1:] or list(FAMILIES)
    for family in families:
        if family not in FAMILIES:
            raise SystemExit(f"unknown family {family}; known: {', '.join(FAMILIES)}")
        run_family(family)


if __name__ == "__main__":
    main()
