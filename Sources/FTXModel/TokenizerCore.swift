import Foundation

/// The shared tables behind a `Tokenizer`: vocabulary, merge ranks, special-token matcher, caches.
final class TokenizerCore: @unchecked Sendable {
    let kind: Tokenizer.Kind
    let tokens: [String]
    let types: [Tokenizer.TokenType]
    let scores: [Float]
    let tokenToID: [String: Int]
    /// SentencePiece pieces by their exact bytes: String keys compare canonically equivalent
    /// spellings as equal ("e\u{301}" would find "é"), SentencePiece and llama.cpp compare bytes.
    private var pieceIDs: [[UInt8]: Int] = [:]
    let pre: PreTokenizer
    let dummyPrefix: DummyPrefix
    var addSpacePrefix: Bool { dummyPrefix != .never }
    /// tokenizer.json's `ignore_merges`: a text run that is itself a piece is taken whole.
    let ignoreMerges: Bool
    /// (left << 32 | right) → (rank, merged id)
    private(set) var mergeRanks: [UInt64: (Int32, Int32)] = [:]
    /// Specials by first scalar, longest first; `control` ones are matched only when parsing specials.
    private var specials: [UInt32: [(scalars: [Unicode.Scalar], id: Int, control: Bool)]] = [:]
    private var hasUserDefined = false
    private(set) var byteIDs = [Int](repeating: -1, count: 256)
    let unknownID: Int?
    private var cache: [String: [Int]] = [:]
    private let lock = NSLock()

    enum Segment { case special(Int), text(String) }

    /// Where SentencePiece text gets its "▁" dummy prefix.
    enum DummyPrefix {
        case never
        /// Every text run between special tokens (SentencePiece and llama.cpp; tokenizer.json's
        /// `Prepend` normalizer).
        case always
        /// Every run that does not already start with a space (tokenizer.json's `Metaspace`,
        /// prepend_scheme "always").
        case unlessSpace
        /// Only the run at the very start of the text, unless it starts with a space (`Metaspace`,
        /// prepend_scheme "first": no prefix after a special token).
        case firstUnlessSpace
    }

    /// SentencePiece vocabularies merge by piece score (GGUF, llama.cpp), or by the rank of each pair
    /// in `merges` when given (tokenizer.json's BPE with byte fallback, as HF tokenizers does).
    init(kind: Tokenizer.Kind, tokens: [String], types: [Tokenizer.TokenType], scores: [Float], merges: [String],
         pre: PreTokenizer, addSpacePrefix: Bool, dummyPrefix: DummyPrefix? = nil, ignoreMerges: Bool = false) {
        self.kind = kind; self.tokens = tokens
        self.types = types.count == tokens.count ? types : [Tokenizer.TokenType](repeating: .normal, count: tokens.count)
        self.scores = scores; self.pre = pre
        self.dummyPrefix = dummyPrefix ?? (addSpacePrefix ? .always : .never)
        self.ignoreMerges = ignoreMerges
        var map: [String: Int] = [:]
        map.reserveCapacity(tokens.count)
        for (i, t) in tokens.enumerated() where map[t] == nil { map[t] = i }
        tokenToID = map
        unknownID = self.types.firstIndex(of: .unknown)
        for (i, t) in tokens.enumerated() {
            let ty = self.types[i]
            if ty == .control || ty == .userDefined, !t.isEmpty {
                let sc = Array(t.unicodeScalars)
                specials[sc[0].value, default: []].append((sc, i, ty == .control))
                hasUserDefined = hasUserDefined || ty == .userDefined
            }
        }
        for k in specials.keys { specials[k]!.sort { $0.scalars.count > $1.scalars.count } }
        switch kind {
        case .byteLevelBPE:
            for b in 0..<256 { byteIDs[b] = map[ByteLevel.encode([UInt8(b)])] ?? -1 }
            rankMerges(merges) { map[$0] }
        case .sentencePiece:
            for (i, t) in tokens.enumerated() where pieceIDs[Array(t.utf8)] == nil { pieceIDs[Array(t.utf8)] = i }
            for b in 0..<256 { byteIDs[b] = map[String(format: "<0x%02X>", b)] ?? -1 }
            let ids = pieceIDs
            rankMerges(merges) { ids[Array($0.utf8)] }
        }
    }

    /// Fills `mergeRanks` from "left right" merges, keeping those whose parts and result are pieces.
    private func rankMerges(_ merges: [String], _ id: (String) -> Int?) {
        for (rank, m) in merges.enumerated() {
            guard let sp = m.firstIndex(of: " ") else { continue }
            let l = String(m[..<sp]), r = String(m[m.index(after: sp)...])
            guard let li = id(l), let ri = id(r), let mi = id(l + r) else { continue }
            let key = UInt64(li) << 32 | UInt64(ri)
            if mergeRanks[key] == nil { mergeRanks[key] = (Int32(rank), Int32(mi)) }
        }
    }

    /// Splits text into special tokens and plain text runs. User-defined tokens are always split
    /// out, control tokens only when parsing specials (as Hugging Face tokenizers and llama.cpp do:
    /// e.g. Qwen's `<tool_call>`, GPT-NeoX's runs of spaces).
    func segments(_ text: String, parseSpecial: Bool) -> [Segment] {
        guard !specials.isEmpty, parseSpecial || hasUserDefined else { return [.text(text)] }
        let sc = Array(text.unicodeScalars)
        var out: [Segment] = []
        var start = 0, i = 0
        while i < sc.count {
            if let cands = specials[sc[i].value] {
                var matched: (Int, Int)? = nil
                for (pat, id, control) in cands where i + pat.count <= sc.count && (parseSpecial || !control) {
                    var ok = true
                    for j in 1..<pat.count where sc[i + j] != pat[j] { ok = false; break }
                    if ok { matched = (pat.count, id); break }
                }
                if let (len, id) = matched {
                    if start < i { out.append(.text(String(String.UnicodeScalarView(sc[start..<i])))) }
                    out.append(.special(id))
                    i += len; start = i
                    continue
                }
            }
            i += 1
        }
        if start < sc.count { out.append(.text(String(String.UnicodeScalarView(sc[start..<sc.count])))) }
        return out
    }

    /// `atStart`: the run begins the text (no special token before it).
    func encodePlain(_ text: String, atStart: Bool, into ids: inout [Int]) {
        switch kind {
        case .byteLevelBPE:
            let sc = Array((pre.normalizesNFC ? text.precomposedStringWithCanonicalMapping : text).unicodeScalars)
            for r in pre.split(sc) {
                let word = String(String.UnicodeScalarView(sc[r]))
                lock.lock()
                let hit = cache[word]
                lock.unlock()
                if let hit { ids += hit; continue }
                let w = bpeWord(word)
                lock.lock()
                if cache.count > 100_000 { cache.removeAll() }
                cache[word] = w
                lock.unlock()
                ids += w
            }
        case .sentencePiece:
            encodeSPM(text, atStart: atStart, into: &ids)
        }
    }

    private func bpeWord(_ word: String) -> [Int] {
        var syms: [Int32] = []
        for b in word.utf8 {
            let id = byteIDs[Int(b)]
            if id >= 0 { syms.append(Int32(id)) } else if let u = unknownID { syms.append(Int32(u)) }
        }
        // Llama 3 (llama-bpe) takes a word that is itself a token as is (llama.cpp's ignore_merges).
        if pre == .llama3, let whole = tokenToID[ByteLevel.encode(word.utf8)] { return [whole] }
        return mergeByRank(syms)
    }

    /// The lowest-ranked merge first, leftmost among equals.
    private func mergeByRank(_ syms: [Int32]) -> [Int] {
        mergePairs(syms) { l, r in
            mergeRanks[UInt64(UInt32(l)) << 32 | UInt64(UInt32(r))].map { (Double($0.0), $0.1) }
        }.map(Int.init)
    }

    /// SentencePiece BPE as llama.cpp does it: start from code points (not grapheme clusters: a
    /// zero-width joiner or combining mark is a symbol of its own), repeatedly merge the adjacent
    /// pair whose concatenation is the highest-scoring vocabulary entry; unknown pieces become bytes.
    private func encodeSPM(_ text: String, atStart: Bool, into ids: inout [Int]) {
        guard let first = text.unicodeScalars.first else { return }
        let space = Array("▁".utf8)
        let startsWithSpace = first == " " || first == "▁"
        let prefix: Bool
        switch dummyPrefix {
        case .never: prefix = false
        case .always: prefix = true
        case .unlessSpace: prefix = !startsWithSpace
        case .firstUnlessSpace: prefix = atStart && !startsWithSpace
        }
        var symbols: [[UInt8]] = prefix ? [space] : []
        for c in text.unicodeScalars { symbols.append(c == " " ? space : Array(c.utf8)) }
        if !mergeRanks.isEmpty { encodeSPMByRank(symbols, into: &ids); return }
        // The highest-scoring merge first, leftmost among equals; a NaN or -inf score never wins.
        let syms = mergePairs(symbols) { l, r in
            guard let id = pieceIDs[l + r] else { return nil }
            let s = id < scores.count ? scores[id] : 0
            return s > -.infinity ? (-Double(s), l + r) : nil
        }
        for s in syms {
            if let id = pieceIDs[s] { ids.append(id); continue }
            for b in s {
                let id = byteIDs[Int(b)]
                if id >= 0 { ids.append(id) } else if let u = unknownID { ids.append(u) }
            }
        }
    }

    /// tokenizer.json's BPE with byte fallback, as HF tokenizers runs it: each code point is its
    /// piece, or else its bytes' <0xNN> pieces (or one unknown token for a run of unknowns), then
    /// merges by rank.
    private func encodeSPMByRank(_ symbols: [[UInt8]], into ids: inout [Int]) {
        if ignoreMerges, let whole = pieceIDs[Array(symbols.joined())] { ids.append(whole); return }
        var syms: [Int32] = []
        syms.reserveCapacity(symbols.count)
        var lastUnknown = false
        for s in symbols {
            if let id = pieceIDs[s] { syms.append(Int32(id)); lastUnknown = false; continue }
            if s.allSatisfy({ byteIDs[Int($0)] >= 0 }) {
                for b in s { syms.append(Int32(byteIDs[Int(b)])) }
                lastUnknown = false
            } else if let u = unknownID, !lastUnknown {
                syms.append(Int32(u)); lastUnknown = true
            }
        }
        ids += mergeByRank(syms)
    }

    func appendBytes(_ id: Int, into out: inout [UInt8]) {
        guard id >= 0, id < tokens.count else { return }
        let t = tokens[id]
        let ty = types[id]
        if ty == .control || ty == .userDefined || ty == .unknown { out += Array(t.utf8); return }
        switch kind {
        case .byteLevelBPE:
            ByteLevel.decode(t, into: &out)
        case .sentencePiece:
            if ty == .byte, t.count == 6, t.hasPrefix("<0x"), let b = UInt8(t.dropFirst(3).prefix(2), radix: 16) {
                out.append(b)
            } else {
                out += Array(t.replacingOccurrences(of: "▁", with: " ").utf8)
            }
        }
    }
}
