/// Normalization used by near-duplicate, contradiction and leakage checks: case-folded, with
/// punctuation, symbols and whitespace all acting as word separators. Text is reduced to the
/// sequence of its word hashes, so "Hello,  World!" and "hello world" are the same.
public enum TextNormalizer {
    /// Appends the hash of each normalized word of `text` to `words`.
    public static func appendWords(of text: String, to words: inout [UInt64]) {
        var t = text
        let ascii = t.withUTF8 { buf -> Bool in
            if !isASCII(buf) { return false }
            asciiWords(buf, &words)
            return true
        }
        if !ascii { unicodeWords(text, &words) }
    }

    /// True when every byte is ASCII (checked eight bytes at a time).
    static func isASCII(_ buf: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = buf.baseAddress else { return true }
        var i = 0
        let n = buf.count
        var acc: UInt64 = 0
        while i + 8 <= n {
            acc |= UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
            i += 8
        }
        while i < n { acc |= UInt64(base[i]); i += 1 }
        return acc & 0x8080_8080_8080_8080 == 0
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

    /// Streaming hash of one word's lowercased UTF-8 bytes, eight bytes per multiply. Both paths
    /// feed it the same bytes for the same word, hence the same hash.
    struct WordHasher {
        private var state: UInt64 = 0x30D5
        private var acc: UInt64 = 0
        private var shift: UInt64 = 0
        private(set) var count: UInt64 = 0

        @inline(__always) mutating func add(_ b: UInt8) {
            acc |= UInt64(b) << shift
            shift += 8
            count += 1
            if shift == 64 {
                state = FastHash.fold(acc ^ state ^ FastHash.p1, FastHash.p2)
                acc = 0
                shift = 0
            }
        }

        @inline(__always) mutating func finish(into words: inout [UInt64]) {
            guard count > 0 else { return }
            words.append(FastHash.finalize(FastHash.fold(acc ^ state ^ FastHash.p0, count ^ FastHash.p1)))
            self = WordHasher()
        }
    }

    /// ASCII byte → its lower-case form for word characters, 0 for separators.
    private static let asciiMap: [UInt8] = (0..<256).map { c -> UInt8 in
        let b = UInt8(c)
        if (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) { return b }
        if b >= 0x41 && b <= 0x5A { return b | 0x20 }
        return 0
    }

    private static func asciiWords(_ buf: UnsafeBufferPointer<UInt8>, _ words: inout [UInt64]) {
        var w = WordHasher()
        asciiMap.withUnsafeBufferPointer { map in
            guard let m = map.baseAddress else { return }
            for c in buf {
                let l = m[Int(c)]
                if l != 0 { w.add(l) } else { w.finish(into: &words) }
            }
        }
        w.finish(into: &words)
    }

    private static func unicodeWords(_ text: String, _ words: inout [UInt64]) {
        var w = WordHasher()
        for s in text.unicodeScalars {
            if isSeparator(s) { w.finish(into: &words); continue }
            if s.isASCII {
                var b = UInt8(s.value)
                if b >= 0x41 && b <= 0x5A { b |= 0x20 }
                w.add(b)
            } else {
                for b in s.properties.lowercaseMapping.utf8 { w.add(b) }
            }
        }
        w.finish(into: &words)
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
