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

    // Each word's lowercased UTF-8 bytes are gathered into a small buffer and hashed 8 bytes at a
    // time; both paths produce the same bytes for the same word, hence the same hash.
    private struct WordBuffer {
        var bytes: [UInt8] = []
        init() { bytes.reserveCapacity(64) }
        @inline(__always) mutating func flush(into words: inout [UInt64]) {
            if bytes.isEmpty { return }
            words.append(bytes.withUnsafeBytes { FastHash.bytes($0, seed: 0x30D5) })
            bytes.removeAll(keepingCapacity: true)
        }
    }

    private static func asciiWords(_ buf: UnsafeBufferPointer<UInt8>, _ words: inout [UInt64]) {
        guard let p = buf.baseAddress else { return }
        let n = buf.count
        var i = 0
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256) { tmp in
            guard let t = tmp.baseAddress else { return }
            while i < n {
                // Skip separators.
                while i < n && !isWordByte(p[i]) { i += 1 }
                if i >= n { break }
                var len = 0
                let start = i
                while i < n && isWordByte(p[i]) { i += 1 }
                if i - start <= 256 {
                    while len < i - start { let c = p[start + len]; t[len] = (c >= 0x41 && c <= 0x5A) ? c | 0x20 : c; len += 1 }
                    words.append(FastHash.bytes(UnsafeRawBufferPointer(start: t, count: len), seed: 0x30D5))
                } else {
                    var long = [UInt8](UnsafeBufferPointer(start: p + start, count: i - start))
                    for k in 0..<long.count where long[k] >= 0x41 && long[k] <= 0x5A { long[k] |= 0x20 }
                    words.append(long.withUnsafeBytes { FastHash.bytes($0, seed: 0x30D5) })
                }
            }
        }
    }

    @inline(__always) private static func isWordByte(_ b: UInt8) -> Bool {
        (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39)
    }

    private static func unicodeWords(_ text: String, _ words: inout [UInt64]) {
        var w = WordBuffer()
        for s in text.unicodeScalars {
            if isSeparator(s) { w.flush(into: &words); continue }
            if s.isASCII {
                var b = UInt8(s.value)
                if b >= 0x41 && b <= 0x5A { b |= 0x20 }
                w.bytes.append(b)
            } else {
                w.bytes.append(contentsOf: s.properties.lowercaseMapping.utf8)
            }
        }
        w.flush(into: &words)
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
        var out = shingleHashes(words, size: size)
        out.sort()
        var u = 0
        for k in 0..<out.count where u == 0 || out[u - 1] != out[k] { out[u] = out[k]; u += 1 }
        out.removeLast(out.count - u)
        return out
    }

    /// The shingle hashes in text order, repeats kept (MinHash does not need a set).
    static func shingleHashes(_ words: [UInt64], size: Int = 3) -> [UInt32] {
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
