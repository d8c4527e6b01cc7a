import Foundation

/// A Hugging Face checkpoint's tokenizer: `tokenizer.json` (BPE: vocabulary, merges, added tokens,
/// normalizer and pre-tokenizer), `tokenizer_config.json` (BOS/EOS, chat template) and
/// `generation_config.json` (BOS/EOS ids when the config names none). Two layouts:
/// - byte-level BPE (GPT-2, Llama 3, Qwen2): a `ByteLevel` pre-tokenizer, whose split regex must be
///   one the engine implements (`PreTokenizer`), each recognised by its exact pattern;
/// - SentencePiece BPE converted by transformers (Llama 2, Mistral, Gemma): `byte_fallback` with
///   <0xNN> pieces, spaces as "▁" (see `sentencePieceLayout`), merged by rank.
enum HFTokenizer {
    /// The split regexes of the byte-level families, as their tokenizer.json spells them.
    static let patterns: [String: PreTokenizer] = [
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#: .llama3,
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#: .qwen2,
    ]

    struct Parts {
        let tokenizer: Tokenizer
        let chatTemplate: String?
    }

    /// `vocabSize` is the model's (embedding rows): ids past the tokenizer's are padding, as in Qwen.
    static func load(directory dir: String, vocabSize: Int, read: (String, Int) throws -> [String: Any]?) throws -> Parts {
        let path = dir + "/tokenizer.json"
        guard let json = try read("tokenizer.json", 256 << 20) else { throw ModelError.io(path: path, "missing: a checkpoint needs tokenizer.json") }
        func bad(_ key: String, _ m: String) -> ModelError { .badMetadata(path: path, key: key, m) }
        guard let model = json["model"] as? [String: Any], model["type"] as? String == "BPE",
              let vocab = model["vocab"] as? [String: Int], let mergeList = model["merges"] as? [Any] else {
            throw ModelError.unsupported(path: path, "tokenizer model \((json["model"] as? [String: Any])?["type"] ?? "?") (BPE is supported)")
        }
        // SentencePiece-style when the bytes are <0xNN> fallback pieces rather than a ByteLevel alphabet.
        let spm = model["byte_fallback"] as? Bool == true && !hasByteLevel(json["pre_tokenizer"])
        let pre: PreTokenizer = spm ? .gpt2 : try preTokenizer(json["pre_tokenizer"], path: path)
        let prefix = spm ? try sentencePieceLayout(json, path: path) : nil
        // Tokens by id: the vocabulary, then the added tokens (specials), then padding up to the model's rows.
        // Added tokens past the model's rows (Gemma 3's <image_soft_token>, transformers' extra <mask>)
        // have no embedding: left out, as llama.cpp's converter leaves them out of the GGUF.
        let added = ((json["added_tokens"] as? [[String: Any]]) ?? []).filter { vocabSize == 0 || ($0["id"] as? Int ?? 0) < vocabSize }
        var size = vocabSize
        for id in vocab.values { size = max(size, id + 1) }
        for a in added { if let id = a["id"] as? Int { size = max(size, id + 1) } }
        guard size <= 1 << 22 else { throw bad("model.vocab", "\(size) tokens is over the 4M limit") }
        var tokens = (0..<size).map { "[PAD\($0)]" }
        var types = [Tokenizer.TokenType](repeating: .unused, count: size)
        // In id order, so two pieces of one id (Gemma's "\t" and <0x09>) resolve the same way every time.
        for (piece, id) in vocab.sorted(by: { ($0.value, $0.key) < ($1.value, $1.key) }) {
            guard id >= 0 else { throw bad("model.vocab", "negative id \(id) for \(piece.debugDescription)") }
            tokens[id] = piece; types[id] = spm && isBytePiece(piece) ? .byte : .normal
        }
        for a in added {
            guard let id = a["id"] as? Int, id >= 0, let content = a["content"] as? String, !content.isEmpty else {
                throw bad("added_tokens", "an entry without an id and content")
            }
            tokens[id] = content; types[id] = a["special"] as? Bool == true ? .control : .userDefined
        }
        // The model's unk_token stands for what neither a piece nor byte fallback covers (one per run).
        if let unk = model["unk_token"] as? String, let id = tokens.firstIndex(of: unk) { types[id] = .unknown }
        let merges: [String] = try mergeList.map { m in
            if let s = m as? String { return s }
            if let pair = m as? [String], pair.count == 2 { return pair[0] + " " + pair[1] }
            throw bad("model.merges", "a merge is neither \"a b\" nor [a, b]")
        }

        let config = try read("tokenizer_config.json", 64 << 20) ?? [:]
        let generation = try read("generation_config.json", 1 << 20) ?? [:]
        func special(_ key: String) -> Int? {
            // tokenizer_config names it ("<|im_end|>" or {"content": …}); generation_config numbers it.
            let v = config[key]
            if let s = (v as? String) ?? ((v as? [String: Any])?["content"] as? String), let id = tokens.firstIndex(of: s) { return id }
            let g = generation[key + "_id"]
            let id = (g as? Int) ?? (g as? [Int])?.first
            return id.flatMap { $0 >= 0 && $0 < size ? $0 : nil }
        }
        let bos = special("bos_token"), eos = special("eos_token")
        // Llama 3 adds BOS in its post-processor; tokenizer_config says so for others.
        let addBOS = config["add_bos_token"] as? Bool
            ?? bos.map { String(describing: json["post_processor"] ?? "").contains(tokens[$0]) } ?? false
        let core = TokenizerCore(kind: spm ? .sentencePiece : .byteLevelBPE, tokens: tokens, types: types,
                                 scores: spm ? scores(tokens, types, merges) : [], merges: merges, pre: pre,
                                 addSpacePrefix: false, dummyPrefix: prefix,
                                 ignoreMerges: spm && model["ignore_merges"] as? Bool == true)
        let tok = Tokenizer(core: core, bosID: bos, eosID: eos, addBOS: addBOS)
        return Parts(tokenizer: tok, chatTemplate: try chatTemplate(config, dir: dir, read: read))
    }

    static func hasByteLevel(_ pre: Any?) -> Bool {
        let obj = pre as? [String: Any]
        let steps = (obj?["pretokenizers"] as? [[String: Any]]) ?? obj.map { [$0] } ?? []
        return steps.contains { $0["type"] as? String == "ByteLevel" }
    }

    static func isBytePiece(_ p: String) -> Bool {
        p.utf8.count == 6 && p.hasPrefix("<0x") && p.hasSuffix(">") && UInt8(p.dropFirst(3).prefix(2), radix: 16) != nil
    }

    /// How a SentencePiece-style tokenizer.json turns spaces into "▁" and where it adds the dummy
    /// prefix. The layouts transformers writes (convert_slow_tokenizer.py):
    /// - Llama 2 / Mistral (LlamaConverter, legacy): normalizer Sequence[Prepend("▁"), Replace(" ", "▁")];
    /// - newer Llama/Mistral files: pre_tokenizer Metaspace("▁", prepend_scheme always|first|never, split false);
    /// - Gemma: normalizer Replace(" ", "▁"), pre_tokenizer Split(" ", MergedWithPrevious) (a no-op, as
    ///   no space is left after the normalizer), no prefix.
    /// Anything else is an error naming the key.
    static func sentencePieceLayout(_ json: [String: Any], path: String) throws -> TokenizerCore.DummyPrefix {
        func steps(_ key: String, _ list: String) -> [[String: Any]] {
            let obj = json[key] as? [String: Any]
            if obj?["type"] as? String == "Sequence" { return (obj?[list] as? [[String: Any]]) ?? [] }
            return obj.map { [$0] } ?? []
        }
        func unsupported(_ key: String, _ step: [String: Any]) -> ModelError {
            .unsupported(path: path, "\(key) \(step["type"] ?? "?") \(String(describing: step).prefix(200)) in a SentencePiece BPE tokenizer "
                + "(supported: normalizers Prepend(\"▁\") and Replace(\" \", \"▁\"); pre-tokenizers Metaspace(\"▁\", split false) and Split(\" \") after that Replace)")
        }
        func string(_ pattern: Any?) -> String? { (pattern as? [String: Any])?["String"] as? String }
        var replaced = false
        var prefix = TokenizerCore.DummyPrefix.never
        for step in steps("normalizer", "normalizers") {
            switch step["type"] as? String {
            case "Prepend" where step["prepend"] as? String == "▁": prefix = .always
            case "Replace" where string(step["pattern"]) == " " && step["content"] as? String == "▁": replaced = true
            default: throw unsupported("normalizer", step)
            }
        }
        for step in steps("pre_tokenizer", "pretokenizers") {
            switch step["type"] as? String {
            case "Metaspace" where step["replacement"] as? String == "▁" && step["split"] as? Bool != true:
                replaced = true
                switch (step["prepend_scheme"] as? String) ?? ((step["add_prefix_space"] as? Bool ?? true) ? "always" : "never") {
                case "always": prefix = .unlessSpace
                case "first": prefix = .firstUnlessSpace
                case "never": break
                default: throw unsupported("pre_tokenizer", step)
                }
            case "Split" where replaced && string(step["pattern"]) == " ": break
            default: throw unsupported("pre_tokenizer", step)
            }
        }
        guard replaced else {
            throw ModelError.unsupported(path: path, "normalizer: a SentencePiece BPE tokenizer without a Replace(\" \", \"▁\") normalizer or Metaspace pre-tokenizer")
        }
        return prefix
    }

    /// SentencePiece scores for a GGUF copy (llama.cpp merges by score): a merged piece scores minus
    /// the rank of its first merge, so merges keep their order; other normal pieces rank after all.
    static func scores(_ tokens: [String], _ types: [Tokenizer.TokenType], _ merges: [String]) -> [Float] {
        var ids: [String: Int] = [:]
        for (i, t) in tokens.enumerated() where types[i] == .normal && ids[t] == nil { ids[t] = i }
        var out = types.map { $0 == .normal ? -Float(merges.count + 1) : 0 }
        var seen = Set<Int>()
        for (rank, m) in merges.enumerated() {
            guard let sp = m.firstIndex(of: " ") else { continue }
            if let id = ids[String(m[..<sp]) + String(m[m.index(after: sp)...])], seen.insert(id).inserted { out[id] = -Float(rank) }
        }
        return out
    }

    static func preTokenizer(_ value: Any?, path: String) throws -> PreTokenizer {
        let obj = value as? [String: Any]
        let steps = (obj?["pretokenizers"] as? [[String: Any]]) ?? obj.map { [$0] } ?? []
        guard steps.contains(where: { $0["type"] as? String == "ByteLevel" }) else {
            throw ModelError.unsupported(path: path, "pre_tokenizer without ByteLevel in a model without byte_fallback (supported: byte-level BPE, and SentencePiece BPE with byte fallback)")
        }
        let splits = steps.filter { $0["type"] as? String == "Split" }
        let digits = steps.contains { $0["type"] as? String == "Digits" }
        if splits.isEmpty { return digits ? .smollm : .gpt2 }
        guard splits.count == 1, let regex = (splits[0]["pattern"] as? [String: Any])?["Regex"] as? String,
              let pre = patterns[regex] else {
            throw ModelError.unsupported(path: path, "pre_tokenizer split \(String(describing: splits.first?["pattern"] ?? "?")) (supported: the Llama 3 and Qwen2 regexes)")
        }
        return pre
    }

    /// The template: tokenizer_config's `chat_template` (a string, or named templates: "default"),
    /// else a `chat_template.jinja` file beside it.
    static func chatTemplate(_ config: [String: Any], dir: String, read: (String, Int) throws -> [String: Any]?) throws -> String? {
        if let s = config["chat_template"] as? String { return s }
        if let named = config["chat_template"] as? [[String: Any]] {
            return (named.first { $0["name"] as? String == "default" } ?? named.first)?["template"] as? String
        }
        let file = dir + "/chat_template.jinja"
        guard FileManager.default.fileExists(atPath: file) else { return nil }
        let data = try HFCheckpoint.readBounded(file, limit: 16 << 20)
        return String(decoding: data, as: UTF8.self)
    }
}
