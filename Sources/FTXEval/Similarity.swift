/// Reference-based text similarity for the `similar` assertion, scaled to 0…1.
public enum SimilarityMethod: String, Codable, CaseIterable, Sendable {
    /// chrF (Popović 2015): character 1–6-gram precision and recall averaged over the orders both
    /// texts have, combined as F-β with β = 2; whitespace is ignored (as sacreBLEU does).
    case chrf
    /// ROUGE-L: longest common subsequence of lowercased whitespace tokens, F1.
    case rougeL = "rouge-l"
}

public enum Similarity {
    public static func score(_ method: SimilarityMethod, hypothesis: String, reference: String) -> Double {
        switch method {
        case .chrf: return chrF(hypothesis: hypothesis, reference: reference)
        case .rougeL: return rougeL(hypothesis: hypothesis, reference: reference)
        }
    }

    public static func chrF(hypothesis: String, reference: String, maxOrder: Int = 6, beta: Double = 2) -> Double {
        let h = hypothesis.unicodeScalars.filter { !$0.properties.isWhitespace }.map(\.value)
        let r = reference.unicodeScalars.filter { !$0.properties.isWhitespace }.map(\.value)
        if h.isEmpty && r.isEmpty { return 1 }
        var precSum = 0.0, recSum = 0.0, orders = 0
        for n in 1...maxOrder {
            guard h.count >= n, r.count >= n else { continue }
            let hc = ngramCounts(h, n), rc = ngramCounts(r, n)
            var match = 0
            for (g, c) in hc { if let d = rc[g] { match += min(c, d) } }
            precSum += Double(match) / Double(h.count - n + 1)
            recSum += Double(match) / Double(r.count - n + 1)
            orders += 1
        }
        guard orders > 0 else { return 0 }
        let p = precSum / Double(orders), rr = recSum / Double(orders)
        let b2 = beta * beta
        guard p + rr > 0 else { return 0 }
        return (1 + b2) * p * rr / (b2 * p + rr)
    }

    static func ngramCounts(_ s: [UInt32], _ n: Int) -> [[UInt32]: Int] {
        var counts: [[UInt32]: Int] = [:]
        for i in 0...(s.count - n) { counts[Array(s[i..<i + n]), default: 0] += 1 }
        return counts
    }

    public static func rougeL(hypothesis: String, reference: String) -> Double {
        let h = tokens(hypothesis), r = tokens(reference)
        if h.isEmpty && r.isEmpty { return 1 }
        guard !h.isEmpty, !r.isEmpty else { return 0 }
        let lcs = Double(lcsLength(h, r))
        guard lcs > 0 else { return 0 }
        let p = lcs / Double(h.count), rec = lcs / Double(r.count)
        return 2 * p * rec / (p + rec)
    }

    static func tokens(_ s: String) -> [Substring] {
        s.lowercased().split(whereSeparator: { $0.isWhitespace })
    }

    static func lcsLength(_ a: [Substring], _ b: [Substring]) -> Int {
        var prev = [Int](repeating: 0, count: b.count + 1), cur = prev
        for i in 1...a.count {
            for j in 1...b.count {
                cur[j] = a[i - 1] == b[j - 1] ? prev[j - 1] + 1 : max(prev[j], cur[j - 1])
            }
            swap(&prev, &cur)
        }
        return prev[b.count]
    }
}
