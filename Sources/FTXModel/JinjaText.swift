/// The string work of the template interpreter, sized and charged before it is done. Searching is
/// literal (code units compared as Python compares them) and linear: Knuth–Morris–Pratt over the
/// UTF-8 bytes, so `in`, `replace` and `split` cost the length of their input whatever it holds.
extension JinjaInterpreter {
    /// str(v) for the string filters, charged for the scan they make.
    func text(_ v: JinjaValue) throws -> String {
        let s = try str(v)
        try budget.text(s.utf8.count)
        return s
    }

    /// A string made by a case mapping (which can lengthen it), refused when over the size limit.
    func sized(_ s: String) throws -> String {
        try budget.text(s.utf8.count)
        return s
    }

    func concat(_ x: String, _ y: String) throws -> String {
        try budget.textSum(x.utf8.count, y.utf8.count)
        return x + y
    }

    /// `needle in s`.
    func contains(_ s: String, _ needle: String) throws -> Bool {
        try budget.textSum(s.utf8.count, needle.utf8.count)
        return !occurrences(of: Array(needle.utf8), in: Array(s.utf8), limit: 1).isEmpty
    }

    /// `s` with every `old` replaced by `new`; its size is known (and checked) before it is built.
    func replaced(_ s: String, _ old: String, _ new: String) throws -> String {
        guard !old.isEmpty else { return s }
        try budget.textSum(s.utf8.count, old.utf8.count)
        let hay = Array(s.utf8), found = occurrences(of: Array(old.utf8), in: hay)
        let (growth, o1) = found.count.multipliedReportingOverflow(by: new.utf8.count - old.utf8.count)
        let (size, o2) = hay.count.addingReportingOverflow(growth)
        try budget.text(o1 || o2 ? Int.max : size)
        var out: [UInt8] = []
        out.reserveCapacity(size)
        var start = 0
        for at in found {
            out += hay[start..<at]
            out += new.utf8
            start = at + old.utf8.count
        }
        out += hay[start...]
        return String(decoding: out, as: UTF8.self)
    }

    /// Python's str.split: on `sep`, or on runs of whitespace without one; refused past the item limit.
    func split(_ s: String, _ sep: String?) throws -> [String] {
        try budget.text(s.utf8.count)
        var out: [String] = []
        if let sep {
            guard !sep.isEmpty else { throw fail("empty separator", budget.line) }
            let hay = Array(s.utf8), found = occurrences(of: Array(sep.utf8), in: hay)
            try budget.items(found.count + 1)
            var start = 0
            for at in found {
                out.append(String(decoding: hay[start..<at], as: UTF8.self))
                start = at + sep.utf8.count
            }
            out.append(String(decoding: hay[start...], as: UTF8.self))
        } else {
            var start: String.Index? = nil
            for i in s.indices {
                if s[i].isWhitespace {
                    if let st = start { out.append(String(s[st..<i])); start = nil }
                } else if start == nil { start = i }
                if out.count > JinjaLimits.maxItems { try budget.items(out.count) }
            }
            if let st = start { out.append(String(s[st...])) }
            try budget.items(out.count)
        }
        return out
    }

    /// Byte offsets of the non-overlapping occurrences of `needle` in `hay`, leftmost first, at
    /// most `limit` of them.
    func occurrences(of needle: [UInt8], in hay: [UInt8], limit: Int = .max) -> [Int] {
        let m = needle.count
        guard m > 0, m <= hay.count else { return [] }
        var fail = [Int](repeating: 0, count: m)   // longest proper border of needle[0...i]
        var k = 0
        for i in 1..<m {
            while k > 0 && needle[i] != needle[k] { k = fail[k - 1] }
            if needle[i] == needle[k] { k += 1 }
            fail[i] = k
        }
        var found: [Int] = []
        k = 0
        for (i, b) in hay.enumerated() {
            while k > 0 && b != needle[k] { k = fail[k - 1] }
            if b == needle[k] { k += 1 }
            if k == m {
                found.append(i - m + 1)
                if found.count == limit { break }
                k = 0   // non-overlapping: start afresh after a match
            }
        }
        return found
    }
}
