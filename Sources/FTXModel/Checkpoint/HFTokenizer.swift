import Foundation

/// A Hugging Face checkpoint's tokenizer: `tokenizer.json` (byte-level BPE: vocabulary, merges,
/// added tokens, the pre-tokenizer's split regex), `tokenizer_config.json` (BOS/EOS, chat template)
/// and `generation_config.json` (BOS/EOS ids when the config names none). The split regex must be
/// one the engine implements (`PreTokenizer`): each is recognised by its exact pattern.
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
            throw ModelError.unsupported(path: path, "tokenizer model \((json["model"] as? [String: Any])?["type"] ?? "?") (byte-level BPE is supported)")
        }
        let pre = try preTokenizer(json["pre_tokenizer"], path: path)
        // Tokens by id: the vocabulary, then the added tokens (specials), then padding up to the model's rows.
        let added = (json["added_tokens"] as? [[String: Any]]) ?? []
        var size = vocabSize
        for id in vocab.values { size = max(size, id + 1) }
        for a in added { if let id = a["id"] as? Int { size = max(size, id + 1) } }
        guard size <= 1 << 22 else { throw bad("model.vocab", "\(size) tokens is over the 4M limit") }
        var tokens = (0..<size).map { "[PAD\($0)]" }
        var types = [Tokenizer.TokenType](repeating: .unused, count: size)
        for (piece, id) in vocab {
            guard id >= 0 else { throw bad("model.vocab", "negative id \(id) for \(piece.debugDescription)") }
            tokens[id] = piece; types[id] = .normal
        }
        for a in added {
            guard let id = a["id"] as? Int, id >= 0, let content = a["content"] as? String, !content.isEmpty else {
                throw bad("added_tokens", "an entry without an id and content")
            }
            tokens[id] = content; types[id] = a["special"] as? Bool == true ? .control : .userDefined
        }
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
        let tok = Tokenizer.make(kind: .byteLevelBPE, tokens: tokens, types: types, merges: merges, pre: pre,
                                 bosID: bos, eosID: eos, addBOS: addBOS, addSpacePrefix: false)
        return Parts(tokenizer: tok, chatTemplate: try chatTemplate(config, dir: dir, read: read))
    }

    static func preTokenizer(_ value: Any?, path: String) throws -> PreTokenizer {
        let obj = value as? [String: Any]
        let steps = (obj?["pretokenizers"] as? [[String: Any]]) ?? obj.map { [$0] } ?? []
        guard steps.contains(where: { $0["type"] as? String == "ByteLevel" }) else {
            throw ModelError.unsupported(path: path, "pre_tokenizer without ByteLevel (byte-level BPE tokenizers are supported)")
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
