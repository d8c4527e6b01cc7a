"""The Gemma 3 parts of scripts/arch_reference.py: a tiny SentencePiece BPE tokenizer with byte
fallback and Gemma's special tokens (convert_hf_to_gguf.py reads tokenizer.model), the model from
the real Gemma3TextConfig, the published config.json layout, and float64 patches of Gemma 3's
RMSNorm (x·(1 + w), computed in float32 by transformers), rotary embedding and eager attention."""
import json
import os

# Gemma's order: <pad> 0, <eos> 1, <bos> 2, <unk> 3, then the chat turn markers.
SPECIALS = ["<pad>", "<eos>", "<bos>", "<unk>"]
TURN_TOKENS = ["<start_of_turn>", "<end_of_turn>"]
SPM_VOCAB = 512
WINDOW = 8          # < the 24 test tokens and the 12 of the PEFT step, so the mask matters
LAYERS = 6          # llama.cpp's default layout: of every 6 layers the last is global



def train_spm(lines, out_dir):
    """A BPE SentencePiece model with byte fallback (as Gemma's), written to out_dir/tokenizer.model."""
    import sentencepiece as spm
    import io
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines), model_writer=model, model_type="bpe", vocab_size=SPM_VOCAB,
        byte_fallback=True, character_coverage=0.98, split_digits=True, allow_whitespace_only_pieces=True,
        remove_extra_whitespaces=False, normalization_rule_name="identity", add_dummy_prefix=False,
        pad_id=0, eos_id=1, bos_id=2, unk_id=3, pad_piece="<pad>", eos_piece="<eos>", bos_piece="<bos>",
        unk_piece="<unk>", user_defined_symbols=TURN_TOKENS, minloglevel=2, num_threads=1, seed_sentencepiece_size=100000)
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "tokenizer.model")
    with open(path, "wb") as f:
        f.write(model.getvalue())
    sp = spm.SentencePieceProcessor(model_file=path)
    return sp


def write_tokenizer_files(sp, hf_dir, dump_json, version):
    """tokenizer.json from transformers' Gemma converter, tokenizer_config.json (with Gemma 3's chat
    template) and generation_config.json, in the layout of the published gemma-3-270m-it folder."""
    import shutil
    import tempfile
    import transformers
    # from_pretrained on a folder holding only tokenizer.model: in transformers 5.24 the constructor
    # GemmaTokenizerFast(vocab_file=…) converts nothing (a 5-token vocabulary, no merges).
    with tempfile.TemporaryDirectory() as src:
        shutil.copy(os.path.join(hf_dir, "tokenizer.model"), os.path.join(src, "tokenizer.model"))
        tok = transformers.GemmaTokenizerFast.from_pretrained(src, add_bos_token=True)
    tok.save_pretrained(hf_dir)
    vocab = json.load(open(os.path.join(hf_dir, "tokenizer.json"), encoding="utf-8"))["model"]["vocab"]
    assert len(vocab) == sp.get_piece_size(), (len(vocab), sp.get_piece_size())
    cfg_path = os.path.join(hf_dir, "tokenizer_config.json")
    with open(cfg_path, encoding="utf-8") as f:
        cfg = json.load(f)
    cfg["chat_template"] = GEMMA3_TEMPLATE
    # As the published folder: BOS added (transformers 5 leaves it to the Python class), and no
    # absolute vocab_file path of the machine that wrote it.
    cfg.pop("vocab_file", None)
    cfg["add_bos_token"], cfg["add_eos_token"] = True, False
    dump_json(cfg_path, cfg)
    gen = {"bos_token_id": 2, "eos_token_id": [1, sp.piece_to_id("<end_of_turn>")], "pad_token_id": 0,
           "cache_implementation": "hybrid", "do_sample": True, "top_k": 64, "top_p": 0.95,
           "transformers_version": version("transformers")}
    dump_json(os.path.join(hf_dir, "generation_config.json"), gen)


# Gemma 3 instruct's chat template as written from the published gemma-3-*-it tokenizer_config.json
# (llama.cpp's models/templates has no Gemma 3 file); no test here depends on it being byte-exact.
GEMMA3_TEMPLATE = (
    "{{ bos_token }}\n{%- if messages[0]['role'] == 'system' -%}\n    {%- if messages[0]['content'] is string -%}\n"
    "        {%- set first_user_prefix = messages[0]['content'] + '\n\n' -%}\n    {%- else -%}\n"
    "        {%- set first_user_prefix = messages[0]['content'][0]['text'] + '\n\n' -%}\n    {%- endif -%}\n"
    "    {%- set loop_messages = messages[1:] -%}\n{%- else -%}\n    {%- set first_user_prefix = \"\" -%}\n"
    "    {%- set loop_messages = messages -%}\n{%- endif -%}\n{%- for message in loop_messages -%}\n"
    "    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}\n"
    "        {{ raise_exception(\"Conversation roles must alternate user/assistant/user/assistant/...\") }}\n"
    "    {%- endif -%}\n    {%- if (message['role'] == 'assistant') -%}\n        {%- set role = \"model\" -%}\n"
    "    {%- else -%}\n        {%- set role = message['role'] -%}\n    {%- endif -%}\n"
    "    {{ '<start_of_turn>' + role + '\n' + (first_user_prefix if loop.first else \"\") }}\n"
    "    {%- if message['content'] is string -%}\n        {{ message['content'] | trim }}\n"
    "    {%- elif message['content'] is iterable -%}\n        {%- for item in message['content'] -%}\n"
    "            {%- if item['type'] == 'image' -%}\n                {{ '<start_of_image>' }}\n"
    "            {%- elif item['type'] == 'text' -%}\n                {{ item['text'] | trim }}\n"
    "            {%- endif -%}\n        {%- endfor -%}\n    {%- else -%}\n"
    "        {{ raise_exception(\"Invalid content type\") }}\n    {%- endif -%}\n    {{ '<end_of_turn>\n' }}\n"
    "{%- endfor -%}\n{%- if add_generation_prompt -%}\n    {{'<start_of_turn>model\n'}}\n{%- endif -%}\n")


def build_model(n_vocab, spec):
    """Gemma3ForCausalLM from the real Gemma3TextConfig: 6 layers (5 sliding + 1 global, llama.cpp's
    default layout), hidden 64, 4 heads, 1 KV head (as 270m and 1b), head_dim 32 > hidden/heads,
    query_pre_attn_scalar = head_dim, linear RoPE scaling on the global layer. Norm weights are
    drawn around 0 (the checkpoint stores w for x·(1 + w))."""
    import torch
    import transformers
    from peft_reference import init_weights
    torch.manual_seed(3003)
    cfg = transformers.Gemma3TextConfig(
        vocab_size=n_vocab, hidden_size=64, intermediate_size=64, num_hidden_layers=LAYERS,
        num_attention_heads=4, num_key_value_heads=1, head_dim=spec["head_dim"], max_position_embeddings=256,
        rms_norm_eps=spec["rms_norm_eps"], tie_word_embeddings=True, hidden_activation="gelu_pytorch_tanh",
        query_pre_attn_scalar=spec["head_dim"], sliding_window=WINDOW, final_logit_softcapping=None,
        attn_logit_softcapping=None, pad_token_id=0, eos_token_id=1, bos_token_id=2,
        rope_parameters={"full_attention": {"rope_type": "linear", "factor": spec["rope_scaling"]["factor"],
                                            "rope_theta": spec["rope_theta"]},
                         "sliding_attention": {"rope_type": "default", "rope_theta": spec["rope_local_base_freq"]}})
    cfg._attn_implementation = "eager"
    model = transformers.Gemma3ForCausalLM(cfg).float()
    model.config._attn_implementation = "eager"
    init_weights(model)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name:
                p.sub_(1)   # 1 ± 0.1 → ±0.1: an effective scale of 1 ± 0.1
    model.eval()
    return model


def hub_config(model, spec):
    """config.json as gemma-3-1b-it publishes it: rope_theta, rope_local_base_freq, rope_scaling and
    sliding_window_pattern at top level, model_type gemma3_text."""
    cfg = model.config.to_dict()
    rope = cfg.pop("rope_parameters", None) or {}
    for k in ["transformers_version", "dtype", "torch_dtype", "layer_types", "_attn_implementation", "_name_or_path",
              "id2label", "label2id", "chunk_size_feed_forward", "is_encoder_decoder", "output_attentions",
              "output_hidden_states", "problem_type", "return_dict"]:
        cfg.pop(k, None)
    full = rope.get("full_attention", {})
    cfg["rope_theta"] = full.get("rope_theta", spec["rope_theta"])
    cfg["rope_local_base_freq"] = rope.get("sliding_attention", {}).get("rope_theta", spec["rope_local_base_freq"])
    cfg["rope_scaling"] = {"rope_type": "linear", "factor": float(spec["rope_scaling"]["factor"])}
    cfg["sliding_window_pattern"] = LAYERS
    cfg["torch_dtype"] = "float32"
    cfg["architectures"] = ["Gemma3ForCausalLM"]
    return dict(sorted(cfg.items()))


def inv_freq_f64(theta, head_dim, factor=1.0):
    import torch
    return 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim)) / factor


def float64_patches():
    """(object, attribute, replacement) triples that make Gemma 3's RMSNorm, rotary embedding and
    eager attention compute in the tensors' dtype (float64)."""
    import torch
    from transformers.models.gemma3 import modeling_gemma3

    def rms_forward(self_, x):
        var = x.pow(2).mean(-1, keepdim=True)
        return x * torch.rsqrt(var + self_.eps) * (1.0 + self_.weight.to(x.dtype))

    def rope_forward(self_, x, position_ids, layer_type):
        inv_freq = getattr(self_, f"{layer_type}_inv_freq").to(torch.float64)
        scaling = getattr(self_, f"{layer_type}_attention_scaling")
        freqs = position_ids[..., None].to(torch.float64) * inv_freq
        emb = torch.cat((freqs, freqs), dim=-1)
        return (emb.cos() * scaling).to(x.dtype), (emb.sin() * scaling).to(x.dtype)

    return [(modeling_gemma3.Gemma3RMSNorm, "forward", rms_forward),
            (modeling_gemma3.Gemma3RotaryEmbedding, "forward", rope_forward)], modeling_gemma3


def set_float64_inv_freq(mod, spec, head_dim):
    """Gemma 3's two inverse-frequency tables in float64 (global: scaled linearly; local: plain),
    checked against transformers' float32 ones first."""
    import torch
    for layer_type, theta, factor in [("full_attention", spec["rope_theta"], spec["rope_scaling"]["factor"]),
                                      ("sliding_attention", spec["rope_local_base_freq"], 1.0)]:
        f64 = inv_freq_f64(theta, head_dim, factor)
        cur = getattr(mod, f"{layer_type}_inv_freq")
        if not torch.allclose(cur.double(), f64, rtol=1e-6, atol=0):
            raise SystemExit(f"gemma3 {layer_type}: float64 inv_freq disagrees with transformers': {cur} {f64}")
        setattr(mod, f"{layer_type}_inv_freq", f64)
