extension Tokenizer {
    /// The tokenizer of a model, without its weights: a GGUF file or a Hugging Face checkpoint folder.
    public static func load(modelPath: String) throws -> Tokenizer {
        if HFCheckpoint.isCheckpoint(modelPath) { return try HFCheckpoint.tokenizer(directory: modelPath) }
        return try fromGGUF(GGUFFile(path: modelPath))
    }

    /// Reads `tokenizer.ggml.*` from a GGUF file.
    public static func fromGGUF(_ g: GGUFFile) throws -> Tokenizer {
        let path = g.path
        let model = g.string("tokenizer.ggml.model") ?? "gpt2"
        guard let tokVals = g.metadata["tokenizer.ggml.tokens"]?.array else {
            throw ModelError.missingKey(path: path, key: "tokenizer.ggml.tokens")
        }
        var tokens: [String] = []
        tokens.reserveCapacity(tokVals.count)
        for v in tokVals {
            guard let s = v.string else {
                throw ModelError.badMetadata(path: path, key: "tokenizer.ggml.tokens", "token is \(v.typeName), not a string")
            }
            tokens.append(s)
        }
        var types = [TokenType](repeating: .normal, count: tokens.count)
        if let tv = g.metadata["tokenizer.ggml.token_type"]?.array {
            guard tv.count == tokens.count else {
                throw ModelError.badMetadata(path: path, key: "tokenizer.ggml.token_type", "\(tv.count) types for \(tokens.count) tokens")
            }
            for (i, v) in tv.enumerated() { types[i] = TokenType(rawValue: Int32(clamping: v.int ?? 1)) ?? .normal }
        }
        let scores = g.metadata["tokenizer.ggml.scores"]?.array?.map { Float($0.double ?? 0) } ?? []
        let merges = g.metadata["tokenizer.ggml.merges"]?.array?.compactMap { $0.string } ?? []
        func id(_ key: String) throws -> Int? {
            guard let v = g.int(key) else { return nil }
            guard v >= 0, v < tokens.count else {
                throw ModelError.badMetadata(path: path, key: key, "token id \(v) outside the vocabulary of \(tokens.count)")
            }
            return v
        }
        let kind: Kind
        switch model {
        case "gpt2": kind = .byteLevelBPE
        case "llama": kind = .sentencePiece
        default: throw ModelError.unsupported(path: path, "tokenizer model \(model) (gpt2 and llama are supported)")
        }
        let addBOS = g.metadata["tokenizer.ggml.add_bos_token"]?.bool ?? (kind == .sentencePiece)
        let addSpace = g.metadata["tokenizer.ggml.add_space_prefix"]?.bool ?? (kind == .sentencePiece)
        // SentencePiece merges by score, as llama.cpp does: merges, if a file has them, are not used.
        return make(kind: kind, tokens: tokens, types: types, scores: scores, merges: kind == .byteLevelBPE ? merges : [],
                    pre: PreTokenizer.named(g.string("tokenizer.ggml.pre")),
                    bosID: try id("tokenizer.ggml.bos_token_id"), eosID: try id("tokenizer.ggml.eos_token_id"),
                    addBOS: addBOS, addSpacePrefix: addSpace)
    }
}
