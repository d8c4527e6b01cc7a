#!/usr/bin/env python3
"""Reference fixtures for SentencePiece-style tokenizer.json files (Llama 2, Mistral, Gemma).

Tiny SentencePiece BPE models with byte fallback are trained with `sentencepiece` on
arch_reference.py's corpus, then converted to tokenizer.json as the published checkpoints were:

  llama2          LlamaConverter with legacy=True (transformers' convert_slow_tokenizer.py, the
                  converter behind the published Llama 2 / Mistral 7B v0.1 files): normalizer
                  Sequence[Prepend("▁"), Replace(" ", "▁")], no pre-tokenizer, decoder
                  Replace/ByteFallback/Fuse/Strip; BOS added by a TemplateProcessing post-processor
  llama-metaspace LlamaTokenizerFast.from_pretrained(tokenizer.model, legacy=True) and
                  save_pretrained: pre_tokenizer Metaspace(prepend_scheme "always", split false)
  mistral         the same with legacy=False (newer Llama/Mistral files): Metaspace "first"
  gemma           GemmaTokenizerFast.from_pretrained(tokenizer.model) and save_pretrained:
                  normalizer Replace(" ", "▁"), pre_tokenizer Split(" "), no dummy prefix, Gemma's
                  specials <pad> <eos> <bos> <unk> and <start_of_turn> <end_of_turn>

For each it writes Tests/FTXModelTests/Fixtures/spm/<name>/ with tokenizer.json,
tokenizer_config.json and cases.json: for each text (arch_reference.tokenizer_case_texts, inline
specials, and texts for byte fallback and leading spaces) the ids from `tokenizers`
(add_special_tokens=False, checked equal to transformers' AutoTokenizer), the ids with special
tokens added, and the decoded text; and the BOS/EOS ids.

Usage: .cache/venv-ref/bin/python scripts/spm_tokenizer_reference.py
(the venv of scripts/arch-reference-requirements.txt: transformers, tokenizers, sentencepiece, protobuf)
"""
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import arch_reference  # noqa: E402  (the corpus and the tokenizer case texts)

ROOT = arch_reference.ROOT
FIXTURES = os.path.join(ROOT, "Tests", "FTXModelTests", "Fixtures", "spm")
VOCAB = 1200

LLAMA_SPM = dict(unk_id=0, bos_id=1, eos_id=2, pad_id=-1, add_dummy_prefix=True)
GEMMA_SPM = dict(pad_id=0, eos_id=1, bos_id=2, unk_id=3, pad_piece="<pad>", eos_piece="<eos>", bos_piece="<bos>",
                 add_dummy_prefix=False, user_defined_symbols=["<start_of_turn>", "<end_of_turn>"])
SPECIALS = {"llama": ["<s>", "</s>"], "gemma": ["<bos>", "<start_of_turn>", "<end_of_turn>", "<eos>"]}

# Texts for byte fallback (characters the tiny vocabulary lacks), leading spaces and runs of "▁".
EXTRA_TEXTS = [
    "  two leading spaces", " one leading space", "\u2581already a metaspace", "a\u2581b \u2581 c",
    "鬱龘齉 rare CJK", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 math", "\u0000nul and \u0001 control", "Ω≈ç√∫˜µ≤≥÷", "🧬🪐🫠 new emoji",
    "tabs\t\t\tand\n\n\nnewlines", "ends with space ", "\u3000ideographic space", "x" * 300, "🙂" * 20,
]


def train(prefix, spm_args):
    import sentencepiece as spm
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter([line for text in arch_reference.corpus() for line in text.split("\n") if line]),
        model_prefix=prefix, model_type="bpe", vocab_size=VOCAB, byte_fallback=True, character_coverage=0.999,
        normalization_rule_name="identity", remove_extra_whitespaces=False, split_digits=True,
        allow_whitespace_only_pieces=True, max_sentence_length=1 << 14, num_threads=1, minloglevel=2, **spm_args)
    return prefix + ".model"


class SlowShim:
    """What LlamaConverter reads from the (removed in transformers 5) slow LlamaTokenizer."""
    def __init__(self, model_file, legacy):
        import sentencepiece as spm
        self.vocab_file, self.legacy, self.add_prefix_space = model_file, legacy, True
        self.sp = spm.SentencePieceProcessor(model_file=model_file)

    def convert_ids_to_tokens(self, i):
        return self.sp.id_to_piece(i)


def legacy_llama_tokenizer(model_file):
    """The `tokenizers` Tokenizer transformers 4's LlamaTokenizerFast made of a Llama 2 tokenizer.model
    (Phi-3's too: scripts/phi3_reference.py)."""
    from tokenizers import AddedToken, Tokenizer, processors
    from tokenizers.models import BPE
    from transformers.convert_slow_tokenizer import LlamaConverter, SentencePieceExtractor
    converter = LlamaConverter(SlowShim(model_file, legacy=True))

    def bpe_model(proto):
        # SpmConverter.tokenizer's BPE branch calls the extractor with transformers 4's signature,
        # which 5.24 no longer has: the same model from the extractor transformers 5 uses.
        parts = SentencePieceExtractor(model_file).extract(BPE)
        return Tokenizer(BPE(parts["vocab"], parts["merges"], unk_token=proto.trainer_spec.unk_piece, fuse_unk=True,
                             byte_fallback=True, dropout=None))
    converter.tokenizer = bpe_model
    tok = converter.converted()
    tok.add_special_tokens([AddedToken(t, normalized=False, special=True) for t in ["<unk>", "<s>", "</s>"]])
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B",
                                                       special_tokens=[("<s>", tok.token_to_id("<s>"))])
    return tok


def legacy_llama(model_file, out):
    """tokenizer.json as transformers 4's LlamaTokenizerFast wrote it for Llama 2."""
    tok = legacy_llama_tokenizer(model_file)
    tok.save(os.path.join(out, "tokenizer.json"))
    decoder = {str(tok.token_to_id(t)): {"content": t, "lstrip": False, "normalized": False, "rstrip": False,
                                         "single_word": False, "special": True} for t in ["<unk>", "<s>", "</s>"]}
    arch_reference.dump_json(os.path.join(out, "tokenizer_config.json"), {
        "add_bos_token": True, "add_eos_token": False, "added_tokens_decoder": decoder, "bos_token": "<s>",
        "clean_up_tokenization_spaces": False, "eos_token": "</s>", "legacy": True, "model_max_length": 4096,
        "pad_token": None, "sp_model_kwargs": {}, "tokenizer_class": "LlamaTokenizer", "unk_token": "<unk>",
        "use_default_system_prompt": False})


def saved_by_transformers(cls_name, model_file, out, **kwargs):
    import transformers
    with tempfile.TemporaryDirectory() as src:
        shutil.copy(model_file, os.path.join(src, "tokenizer.model"))
        tok = getattr(transformers, cls_name).from_pretrained(src, **kwargs)
        tok.save_pretrained(out)
    for extra in ["tokenizer.model", "special_tokens_map.json", "chat_template.jinja"]:
        if os.path.exists(os.path.join(out, extra)):
            os.remove(os.path.join(out, extra))
    # The temporary folder's path is not part of the tokenizer (and would change every run).
    config_path = os.path.join(out, "tokenizer_config.json")
    with open(config_path, encoding="utf-8") as f:
        config = json.load(f)
    config.pop("vocab_file", None)
    arch_reference.dump_json(config_path, config)


def cases(name, out, specials):
    from tokenizers import Tokenizer
    from transformers import AutoTokenizer, PreTrainedTokenizerFast
    tok = Tokenizer.from_file(os.path.join(out, "tokenizer.json"))
    # transformers 5's LlamaTokenizer rebuilds its pipeline from the vocabulary with its own `legacy`
    # default: it ignores a legacy file's normalizer (" x" becomes "▁x", not "▁▁x"), and it does not
    # save `legacy`, so the Metaspace "always" file it writes reloads as "first". Those two layouts
    # are checked against the generic fast tokenizer, which runs tokenizer.json as written.
    generic = name in ("llama2", "llama-metaspace")
    auto = (PreTrainedTokenizerFast if generic else AutoTokenizer).from_pretrained(out)
    texts = arch_reference.tokenizer_case_texts() + EXTRA_TEXTS + [
        f"{specials[0]}hello{specials[-1]}", f"text {specials[0]} spaced {specials[-1]}   x",
        f"{specials[-1]}{specials[-1]}\n\n{specials[0]} after", f"{specials[1]}user\nWhat's 12345 + 678?{specials[-1]}\n"]
    out_cases, fallback = [], 0
    for text in texts:
        ids = tok.encode(text, add_special_tokens=False).ids
        auto_ids = auto.encode(text, add_special_tokens=False)
        if ids != auto_ids:
            raise SystemExit(f"{name}: tokenizers and AutoTokenizer disagree on {text!r}: {ids} vs {auto_ids}")
        fallback += any(tok.id_to_token(i).startswith("<0x") for i in ids)
        out_cases.append({"text": text, "ids": ids, "with_specials": tok.encode(text).ids,
                          "decoded": tok.decode(ids, skip_special_tokens=False)})
    if fallback < 10:
        raise SystemExit(f"{name}: only {fallback} texts use byte fallback")
    bos, eos = auto.bos_token_id, auto.eos_token_id
    probe = tok.encode("a").ids
    return {"bos_id": bos, "eos_id": eos, "add_bos": probe[0] == bos, "vocab_size": tok.get_vocab_size(),
            "versions": {p: arch_reference.version(p) for p in ["transformers", "tokenizers", "sentencepiece"]},
            "cases": out_cases}


def main():
    with tempfile.TemporaryDirectory() as tmp:
        llama_model = train(os.path.join(tmp, "llama"), LLAMA_SPM)
        gemma_model = train(os.path.join(tmp, "gemma"), GEMMA_SPM)
        builds = {
            "llama2": ("llama", lambda out: legacy_llama(llama_model, out)),
            "llama-metaspace": ("llama", lambda out: saved_by_transformers("LlamaTokenizerFast", llama_model, out, legacy=True,
                                                                            add_bos_token=True)),
            "mistral": ("llama", lambda out: saved_by_transformers("LlamaTokenizerFast", llama_model, out, legacy=False,
                                                                    add_bos_token=True)),
            "gemma": ("gemma", lambda out: saved_by_transformers("GemmaTokenizerFast", gemma_model, out, add_bos_token=True)),
        }
        for name, (family, build) in builds.items():
            out = os.path.join(FIXTURES, name)
            shutil.rmtree(out, ignore_errors=True)
            os.makedirs(out)
            build(out)
            with open(os.path.join(out, "tokenizer.json"), encoding="utf-8") as f:
                layout = json.load(f)
            summary = {k: layout.get(k) for k in ["normalizer", "pre_tokenizer", "decoder"]}
            print(name, json.dumps(summary, ensure_ascii=False)[:400])
            arch_reference.dump_json(os.path.join(out, "cases.json"), cases(name, out, SPECIALS[family]))


if __name__ == "__main__":
    main()
