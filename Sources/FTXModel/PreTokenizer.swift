/// Pre-tokenizers: split text into words before BPE, reproducing llama.cpp's hand-written versions
/// of the regexes (`gpt2`, `llama-bpe` = Llama 3, `qwen2` = Llama 3's with single digits,
/// `smollm` = single digits, then GPT-2, as for StarCoder, Refact and Command-R).
public enum PreTokenizer: String, Sendable {
    case gpt2, llama3 = "llama-bpe", qwen2, smollm

    /// Maps `tokenizer.ggml.pre` names to a pre-tokenizer (unknown names fall back to GPT-2).
    public static func named(_ name: String?) -> PreTokenizer {
        switch name {
        case "smollm", "starcoder", "refact", "command-r": return .smollm
        case "llama-bpe", "llama3", "llama-v3", "falcon3", "smaug-bpe": return .llama3
        case "qwen2", "deepseek-r1-qwen": return .qwen2
        default: return .gpt2
        }
    }

    /// Qwen2's tokenizer composes text to NFC before it splits it (its tokenizer.json normalizer).
    var normalizesNFC: Bool { self == .qwen2 }

    /// Word boundaries as ranges of scalar indices into `cps`.
    func split(_ cps: [Unicode.Scalar]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        switch self {
        case .gpt2: PreSplit(cps: cps, lo: 0, hi: cps.count).gpt2(&out)
        case .llama3: PreSplit(cps: cps, lo: 0, hi: cps.count).llama3(&out, maxDigits: 3)
        case .qwen2: PreSplit(cps: cps, lo: 0, hi: cps.count).llama3(&out, maxDigits: 1)
        case .smollm:
            // First regex \p{N}: every number character is its own piece; the GPT-2 regex runs on the rest.
            var start = 0
            for i in 0..<cps.count where CharClass.of(cps[i]).isNumber {
                if start < i { PreSplit(cps: cps, lo: start, hi: i).gpt2(&out) }
                out.append(i..<(i + 1))
                start = i + 1
            }
            if start < cps.count { PreSplit(cps: cps, lo: start, hi: cps.count).gpt2(&out) }
        }
        return out
    }
}

struct CharClass {
    var isLetter = false, isNumber = false, isWhitespace = false, isDefined = false
    static func of(_ c: Unicode.Scalar) -> CharClass {
        var f = CharClass()
        switch c.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: f.isLetter = true
        case .decimalNumber, .letterNumber, .otherNumber: f.isNumber = true
        case .unassigned: return f
        default: break
        }
        f.isDefined = true
        if c.properties.isWhitespace { f.isWhitespace = true }
        return f
    }
}

/// One region [lo, hi) of code points being split; positions outside it read as "out of range".
struct PreSplit {
    let cps: [Unicode.Scalar]
    let lo: Int, hi: Int

    func cpt(_ i: Int) -> UInt32? { i < hi ? cps[i].value : nil }
    func flags(_ i: Int) -> CharClass { i < hi ? CharClass.of(cps[i]) : CharClass() }

    func gpt2(_ out: inout [Range<Int>]) {
        var pos = lo, prev = lo
        func add(_ end: Int) { if prev < end { out.append(prev..<end) }; prev = end }
        while pos < hi {
            let c = cps[pos].value
            let f = flags(pos)
            // 's|'t|'re|'ve|'m|'ll|'d
            if c == 0x27, let c1 = cpt(pos + 1) {
                if c1 == 0x73 || c1 == 0x74 || c1 == 0x6d || c1 == 0x64 { pos += 2; add(pos); continue }
                if let c2 = cpt(pos + 2),
                   (c1 == 0x72 && c2 == 0x65) || (c1 == 0x76 && c2 == 0x65) || (c1 == 0x6c && c2 == 0x6c) {
                    pos += 3; add(pos); continue
                }
            }
            let f2 = c == 0x20 ? flags(pos + 1) : f
            if f2.isLetter {                                   //  ?\p{L}+
                pos += c == 0x20 ? 1 : 0
                while flags(pos).isLetter { pos += 1 }
                add(pos); continue
            }
            if f2.isNumber {                                   //  ?\p{N}+
                pos += c == 0x20 ? 1 : 0
                while flags(pos).isNumber { pos += 1 }
                add(pos); continue
            }
            if !(f2.isWhitespace || f2.isLetter || f2.isNumber) && f2.isDefined {   //  ?[^\s\p{L}\p{N}]+
                pos += c == 0x20 ? 1 : 0
                while true {
                    let g = flags(pos)
                    if g.isWhitespace || g.isLetter || g.isNumber || !g.isDefined { break }
                    pos += 1
                }
                add(pos); continue
            }
            var nws = 0
            while flags(pos + nws).isWhitespace { nws += 1 }
            if nws > 1 && cpt(pos + nws) != nil { pos += nws - 1; add(pos); continue }   // \s+(?!\S)
            if nws > 0 { pos += nws; add(pos); continue }                               // \s+
            pos += 1; add(pos)
        }
    }

    /// Llama 3's regex, whose number rule is \p{N}{1,maxDigits} (3 for Llama 3, 1 for Qwen2).
    func llama3(_ out: inout [Range<Int>], maxDigits: Int) {
        var pos = lo, prev = lo
        func add(_ end: Int) { if prev < end { out.append(prev..<end) }; prev = end }
        func lower(_ v: UInt32?) -> UInt32? { v.map { ($0 >= 0x41 && $0 <= 0x5a) ? $0 + 32 : $0 } }
        while pos < hi {
            let c = cps[pos].value
            let f = flags(pos)
            if c == 0x27, let c1 = lower(cpt(pos + 1)) {      // (?i:'s|'t|'re|'ve|'m|'ll|'d)
                if c1 == 0x73 || c1 == 0x74 || c1 == 0x6d || c1 == 0x64 { pos += 2; add(pos); continue }
                if let c2 = lower(cpt(pos + 2)),
                   (c1 == 0x72 && c2 == 0x65) || (c1 == 0x76 && c2 == 0x65) || (c1 == 0x6c && c2 == 0x6c) {
                    pos += 3; add(pos); continue
                }
            }
            if !(c == 0x0d || c == 0x0a || f.isNumber) {       // [^\r\n\p{L}\p{N}]?\p{L}+
                if f.isLetter || flags(pos + 1).isLetter {
                    pos += 1
                    while flags(pos).isLetter { pos += 1 }
                    add(pos); continue
                }
            }
            if f.isNumber {                                    // \p{N}{1,maxDigits}
                var ini = pos
                while flags(pos).isNumber {
                    pos += 1
                    if pos - ini >= maxDigits { add(pos); ini = pos }
                }
                add(pos); continue
            }
            var f2 = c == 0x20 ? flags(pos + 1) : f            //  ?[^\s\p{L}\p{N}]+[\r\n]*
            if !(f2.isWhitespace || f2.isLetter || f2.isNumber) && f.isDefined && f2.isDefined {
                pos += c == 0x20 ? 1 : 0
                while !(f2.isWhitespace || f2.isLetter || f2.isNumber) && f2.isDefined {
                    pos += 1
                    f2 = flags(pos)
                }
                while let c2 = cpt(pos), c2 == 0x0d || c2 == 0x0a { pos += 1 }
                add(pos); continue
            }
            var nws = 0, lastRN = 0
            while flags(pos + nws).isWhitespace {
                if let c2 = cpt(pos + nws), c2 == 0x0d || c2 == 0x0a { lastRN = pos + nws + 1 }
                nws += 1
            }
            if lastRN > 0 { pos = lastRN; add(pos); continue }                          // \s*[\r\n]+
            if nws > 1 && cpt(pos + nws) != nil { pos += nws - 1; add(pos); continue }  // \s+(?!\S)
            if nws > 0 { pos += nws; add(pos); continue }
            pos += 1; add(pos)
        }
    }
}
