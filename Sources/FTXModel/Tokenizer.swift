import Foundation

/// A tokenizer read from a GGUF file: GPT-2 byte-level BPE (with the model's pre-tokenizer) or
/// SentencePiece-style (Llama 2 / TinyLlama vocabularies with ▁ and <0xNN> byte tokens).
public struct Tokenizer: @unchecked Sendable {
    public enum Kind: String, Sendable { case byteLevelBPE = "gpt2", sentencePiece = "llama" }
    /// GGUF token types.
    public enum TokenType: Int32, Sendable { case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6 }

    let core: TokenizerCore
    public var bosID: Int?
    public var eosID: Int?
    public var addBOS: Bool

    public var kind: Kind { core.kind }
    public var vocabSize: Int { core.tokens.count }
    public var preTokenizer: PreTokenizer { core.pre }
    /// The vocabulary string of a token (byte-level form for BPE, with ▁ for SentencePiece).
    public func piece(_ id: Int) -> String { id >= 0 && id < core.tokens.count ? core.tokens[id] : "" }
    public func id(of piece: String) -> Int? { core.tokenToID[piece] }
    public func isControl(_ id: Int) -> Bool { id >= 0 && id < core.types.count && core.types[id] == .control }
    /// Every token's vocabulary string, type and (SentencePiece) score, for writing a GGUF.
    public var pieces: [String] { core.tokens }
    public var tokenTypes: [TokenType] { core.types }
    public var scores: [Float] { core.scores }
    /// The merges in use ("a b", by rank): those whose parts and result are in the vocabulary.
    public var merges: [String] {
        core.mergeRanks.sorted { $0.value.0 < $1.value.0 }.map { core.tokens[Int($0.key >> 32)] + " " + core.tokens[Int($0.key & 0xFFFF_FFFF)] }
    }

    init(core: TokenizerCore, bosID: Int?, eosID: Int?, addBOS: Bool) {
        self.core = core; self.bosID = bosID; self.eosID = eosID; self.addBOS = addBOS
    }

    /// Token ids of a prompt as the model reads it: `encode`, then the BOS the model expects
    /// (unless the text already starts with it, as rendered chat templates often do).
    public func encodePrompt(_ text: String, parseSpecial: Bool = true) -> [Int] {
        var ids = encode(text, parseSpecial: parseSpecial)
        if addBOS, let bos = bosID, ids.first != bos { ids.insert(bos, at: 0) }
        return ids
    }

    /// Token ids of `text`. With `parseSpecial`, control tokens written in the text (e.g.
    /// `<|im_start|>`) become their ids; otherwise they are tokenized as plain text. User-defined
    /// tokens (added tokens that are not special, e.g. Qwen's `<tool_call>`) always become their ids,
    /// as in Hugging Face tokenizers and llama.cpp. No BOS is added (see `addBOS`).
    public func encode(_ text: String, parseSpecial: Bool = true) -> [Int] {
        var ids: [Int] = []
        for (i, seg) in core.segments(text, parseSpecial: parseSpecial).enumerated() {
            switch seg {
            case .special(let id): ids.append(id)
            case .text(let s): core.encodePlain(s, atStart: i == 0, into: &ids)
            }
        }
        return ids
    }

    /// The text of `ids` (control tokens as their literal text).
    public func decode(_ ids: [Int]) -> String {
        var bytes: [UInt8] = []
        for id in ids { core.appendBytes(id, into: &bytes) }
        // SentencePiece: the space added before the text on encoding is not part of it.
        if kind == .sentencePiece, core.addSpacePrefix, bytes.first == 0x20,
           let first = ids.first(where: { !isControl($0) }), piece(first).hasPrefix("▁") {
            bytes.removeFirst()
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Bytes of one token (for streaming decoders).
    public func bytes(_ id: Int) -> [UInt8] {
        var b: [UInt8] = []
        core.appendBytes(id, into: &b)
        return b
    }

    /// A test tokenizer: 256 byte tokens (ids 0–255), then `<|endoftext|>` (256), `<|im_start|>`
    /// (257, BOS) and `<|im_end|>` (258, EOS); no merges.
    public static func tinyByteLevel() -> Tokenizer {
        var tokens = (0..<256).map { ByteLevel.encode([UInt8($0)]) }
        var types = [TokenType](repeating: .normal, count: 256)
        tokens += ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
        types += [.control, .control, .control]
        let core = TokenizerCore(kind: .byteLevelBPE, tokens: tokens, types: types, scores: [], merges: [], pre: .gpt2,
                                 addSpacePrefix: false)
        return Tokenizer(core: core, bosID: 257, eosID: 258, addBOS: false)
    }

    /// Builds a tokenizer from explicit parts (used for GGUF files and tests).
    public static func make(kind: Kind, tokens: [String], types: [TokenType], scores: [Float] = [],
                            merges: [String] = [], pre: PreTokenizer = .gpt2, bosID: Int?, eosID: Int?,
                            addBOS: Bool = false, addSpacePrefix: Bool = true) -> Tokenizer {
        let core = TokenizerCore(kind: kind, tokens: tokens, types: types, scores: scores, merges: merges, pre: pre,
                                 addSpacePrefix: addSpacePrefix)
        return Tokenizer(core: core, bosID: bosID, eosID: eosID, addBOS: addBOS)
    }
}

/// Turns a stream of token ids into text, holding back bytes that do not yet form valid UTF-8.
public struct StreamingDecoder {
    let tokenizer: Tokenizer
    var pending: [UInt8] = []
    public init(tokenizer: Tokenizer) { self.tokenizer = tokenizer }

    /// Adds a token; returns the text that became complete (possibly empty).
    public mutating func push(_ id: Int) -> String {
        pending += tokenizer.bytes(id)
        let cut = completePrefixLength(pending)
        guard cut > 0 else { return "" }
        let s = String(decoding: pending[0..<cut], as: UTF8.self)
        pending.removeFirst(cut)
        return s
    }
    /// Whatever is left (invalid sequences become U+FFFD).
    public mutating func flush() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// Length of the longest prefix that does not end inside an incomplete UTF-8 sequence.
    func completePrefixLength(_ b: [UInt8]) -> Int {
        let n = b.count
        var i = n - 1, back = 0
        while i >= 0 && back < 4 {
            let c = b[i]
            if c & 0xC0 != 0x80 {  // lead byte or ASCII
                let need = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1
                return (n - i) < need ? i : n
            }
            i -= 1; back += 1
        }
        return n
    }
}
