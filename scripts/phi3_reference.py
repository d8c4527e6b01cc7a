"""The Phi-3 parts of scripts/arch_reference.py: a tiny Llama-2-style SentencePiece BPE tokenizer
(tokenizer.model, as Phi-3's, with its chat tokens added after the SentencePiece pieces and the
vocabulary padded as Phi-3's 32064), the model from the real Phi3Config (fused qkv_proj and
gate_up_proj, a sliding window on every layer, untied head) and the published config.json layout.
Phi-3's RMSNorm, rotary embedding and eager attention have Llama's signatures: arch_reference.py's
float64 patches cover them."""
import json
import os

SPM_VOCAB = 512
# Phi-3's added tokens (32000, 32001, 32006, 32007, 32010 in the real vocabulary), in their order.
ADDED = [("<|endoftext|>", True), ("<|assistant|>", True), ("<|system|>", True), ("<|end|>", True), ("<|user|>", True)]
VOCAB_SIZE = 520    # config.vocab_size past the tokenizer's 517, as Phi-3's 32064 past 32011
WINDOW = 16         # < the 24 test tokens, so the mask matters (the PEFT step's 12 stay inside it)
TEMPLATE = "microsoft-Phi-3.5-mini-instruct.jinja"
TARGETS = ["qkv_proj", "o_proj", "gate_up_proj", "down_proj"]


def train_spm(lines, out_dir):
    """A BPE SentencePiece model with byte fallback and a dummy prefix (Llama 2's and Phi-3's):
    <unk> 0, <s> 1, </s> 2."""
    import io
    import sentencepiece as spm
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines), model_writer=model, model_type="bpe", vocab_size=SPM_VOCAB,
        byte_fallback=True, character_coverage=0.98, split_digits=True, allow_whitespace_only_pieces=True,
        remove_extra_whitespaces=False, normalization_rule_name="identity", add_dummy_prefix=True,
        unk_id=0, bos_id=1, eos_id=2, pad_id=-1, minloglevel=2, num_threads=1, seed_sentencepiece_size=100000)
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "tokenizer.model")
    with open(path, "wb") as f:
        f.write(model.getvalue())
    return spm.SentencePieceProcessor(model_file=path)


def added_ids(sp):
    return {text: sp.get_piece_size() + i for i, (text, _) in enumerate(ADDED)}


def write_tokenizer_files(sp, hf_dir, template_dir, dump_json, version):
    """tokenizer_config.json (LlamaTokenizer, the added chat tokens, Phi-3.5-mini-instruct's chat
    template from llama.cpp's models/templates) and generation_config.json, in the published Phi-3
    folders' layout, and tokenizer.json as transformers 4's LlamaTokenizerFast converted the published
    one (the Llama 2 layout, the chat tokens added; spm_tokenizer_reference.legacy_llama_tokenizer
    works around transformers 5's converter). convert_hf_to_gguf.py reads tokenizer.model and
    added_tokens_decoder."""
    from tokenizers import AddedToken
    from spm_tokenizer_reference import legacy_llama_tokenizer
    tok = legacy_llama_tokenizer(os.path.join(hf_dir, "tokenizer.model"))
    tok.add_special_tokens([AddedToken(t, normalized=False, special=True, rstrip=True) for t, _ in ADDED])
    assert all(tok.token_to_id(t) == i for t, i in added_ids(sp).items())
    tok.save(os.path.join(hf_dir, "tokenizer.json"))
    with open(os.path.join(template_dir, TEMPLATE), encoding="utf-8") as f:
        template = f.read()
    ids = added_ids(sp)
    cfg = {"tokenizer_class": "LlamaTokenizer", "bos_token": "<s>", "eos_token": "<|endoftext|>",
           "unk_token": "<unk>", "pad_token": "<|endoftext|>", "add_bos_token": False, "add_eos_token": False,
           "legacy": False, "model_max_length": 256, "sp_model_kwargs": {}, "chat_template": template}
    cfg["added_tokens_decoder"] = {str(i): {"content": t, "lstrip": False, "normalized": False, "rstrip": True,
                                            "single_word": False, "special": True}
                                   for i, t in [(0, "<unk>"), (1, "<s>"), (2, "</s>")] + [(i, t) for t, i in ids.items()]}
    dump_json(os.path.join(hf_dir, "tokenizer_config.json"), cfg)
    gen = {"bos_token_id": 1, "eos_token_id": [ids["<|endoftext|>"], ids["<|end|>"], ids["<|assistant|>"]],
           "pad_token_id": ids["<|endoftext|>"], "transformers_version": version("transformers")}
    dump_json(os.path.join(hf_dir, "generation_config.json"), gen)


def build_model(spec):
    """Phi3ForCausalLM from the real Phi3Config: 2 layers, hidden 64, 4 heads of 16, 2 KV heads (so
    q and k/v parts of qkv_proj differ in width), ffn 64, a sliding window of 16 on every layer."""
    import torch
    import transformers
    from peft_reference import init_weights
    torch.manual_seed(3303)
    cfg = transformers.Phi3Config(
        vocab_size=VOCAB_SIZE, hidden_size=64, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=256, original_max_position_embeddings=256,
        rms_norm_eps=spec["rms_norm_eps"], tie_word_embeddings=False, hidden_act="silu", sliding_window=WINDOW,
        rope_parameters={"rope_type": "default", "rope_theta": spec["rope_theta"], "partial_rotary_factor": 1.0},
        bos_token_id=1, eos_token_id=2, pad_token_id=None)
    cfg._attn_implementation = "eager"
    model = transformers.Phi3ForCausalLM(cfg).float()
    model.config._attn_implementation = "eager"
    init_weights(model)
    model.eval()
    return model


def hub_config(cfg, rope, spec, sp):
    """config.json as Phi-3-mini-4k-instruct publishes it (from the model's config less the keys
    published configs lack, and its rope parameters): rope_theta and rope_scaling (null) at top level."""
    cfg["rope_theta"] = rope.get("rope_theta", spec["rope_theta"])
    cfg["rope_scaling"] = None
    ids = added_ids(sp)
    cfg["bos_token_id"], cfg["eos_token_id"], cfg["pad_token_id"] = 1, ids["<|endoftext|>"], ids["<|endoftext|>"]
    cfg["torch_dtype"] = "float32"
    cfg["architectures"] = ["Phi3ForCausalLM"]
    return dict(sorted(cfg.items()))
