/// Normalization used by near-duplicate, contradiction and leakage checks: case-folded, with
/// punctuation, symbols and whitespace all acting as word separators. Text is reduced to the
/// sequence of its word hashes, so "Hello,  World!" and "hello world" are the same.
public enum TextNormalizer {
    /// Appends the hash of each normalized word of `text` to `words`.
    public static func appendWords(of text: String, to words: inout [UInt64]) {
        var t = text
        let ascii = t.withUTF8 { buf -> Bool in
            var i = 0
            while i < buf.count { if buf[i] >= 0x80 { return false }; i += 1 }
            asciiWords(buf, &words)
            return true
        }
        if !ascii { unicodeWords(text, &words) }
    }

    /// Words of `text` as normalized strings (for display and tests).
    public static func normalized(_ text: String) -> String {
        var out: [String] = []
        var cur = ""
        for s in text.unicodeScalars {
            if isSeparator(s) {
                if !cur.isEmpty { out.append(cur); cur = "" }
            } else {
                cur += s.properties.lowercaseMapping
            }
        }
        if !cur.isEmpty { out.append(cur) }
        return out.joined(separator: " ")
    }

    // FNV-1a per byte, finalized: the same bytes give the same word hash on both paths.
    private static let fnvOffset: UInt64 = 0xCBF2_9CE4_8422_2325
    private static let fnvPrime: UInt64 = 0x0000_0100_0000_01B3

    private static func asciiWords(_ buf: UnsafeBufferPointer<UInt8>, _ words: inout [UInt64]) {
        var h = fnvOffset
        var inWord = false
        for c in buf {
            var b = c
            let isUpper = b >= 0x41 && b <= 0x5A
            let isWord = isUpper || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39)
            if isWord {
                if isUpper { b |= 0x20 }
                h = (h ^ UInt64(b)) &* fnvPrime
                inWord = true
            } else if inWord {
                words.append(FastHash.finalize(h))
                h = fnvOffset
                inWord = false
            }
        }
        if inWord { words.append(FastHash.finalize(h)) }
    }

    private static func unicodeWords(_ text: String, _ words: inout [UInt64]) {
        var h = fnvOffset
        var inWord = false
        for s in text.unicodeScalars {
            if isSeparator(s) {
                if inWord { words.append(FastHash.finalize(h)); h = fnvOffset; inWord = false }
                continue
            }
            if s.isASCII {
                var b = UInt8(s.value)
                if b >= 0x41 && b <= 0x5A { b |= 0x20 }
                h = (h ^ UInt64(b)) &* fnvPrime
            } else {
                for b in s.properties.lowercaseMapping.utf8 { h = (h ^ UInt64(b)) &* fnvPrime }
            }
            inWord = true
        }
        if inWord { words.append(FastHash.finalize(h)) }
    }

    /// Separator: anything that is not a letter, number or combining mark.
    @inline(__always) static func isSeparator(_ s: Unicode.Scalar) -> Bool {
        if s.isASCII {
            let b = s.value
            return !((b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39))
        }
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .decimalNumber, .letterNumber, .otherNumber, .nonspacingMark, .spacingMark, .enclosingMark:
            return false
        default:
            return true
        }
    }

    /// Hash of a word sequence (order-sensitive); 0 is reserved for "no words".
    public static func sequenceHash(_ words: ArraySlice<UInt64>, seed: UInt64 = 0x5EED) -> UInt64 {
        if words.isEmpty { return 0 }
        var h = seed
        for w in words { h = FastHash.combine(h, w) }
        let f = FastHash.finalize(h ^ UInt64(words.count))
        return f == 0 ? 1 : f
    }

    /// Word 3-shingles as 32-bit hashes, sorted and unique (texts of 1–2 words give one shingle).
    public static func shingles(_ words: [UInt64], size: Int = 3) -> [UInt32] {
        if words.isEmpty { return [] }
        var out: [UInt32] = []
        if words.count < size {
            out.append(UInt32(truncatingIfNeeded: sequenceHash(words[...]) >> 16))
            return out
        }
        out.reserveCapacity(words.count - size + 1)
        words.withUnsafeBufferPointer { w in
            for i in 0...(w.count - size) {
                var h: UInt64 = 0x5111_61E5
                for k in 0..<size { h = FastHash.combine(h, w[i + k]) }
                out.append(UInt32(truncatingIfNeeded: FastHash.finalize(h) >> 16))
            }
        }
        out.sort()
        var u = 0
        for k in 0..<out.count where u == 0 || out[u - 1] != out[k] { out[u] = out[k]; u += 1 }
        out.removeLast(out.count - u)
        return out
    }

    /// Exact Jaccard similarity of two sorted unique shingle sets.
    public static func jaccard(_ a: [UInt32], _ b: [UInt32]) -> Double {
        if a.isEmpty && b.isEmpty { return 1 }
        var i = 0, j = 0, inter = 0
        while i < a.count && j < b.count {
            if a[i] == b[j] { inter += 1; i += 1; j += 1 } else if a[i] < b[j] { i += 1 } else { j += 1 }
        }
        return Double(inter) / Double(a.count + b.count - inter)
    }
}
