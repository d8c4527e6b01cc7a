/// MinHash signatures with LSH banding. Each shingle's 32-bit hash x is expanded into `permutations`
/// hash values by double hashing, h_k(x) = a(x) + k·b(x) mod 2^32 (a, b from a mixed 64-bit hash),
/// so the inner loop is vector adds and mins over SIMD8 lanes with no per-permutation multiply.
public struct MinHashParams: Sendable, Equatable, Codable {
    public var permutations: Int
    public var bands: Int
    public var rows: Int
    public var threshold: Double

    /// Picks rows per band for `threshold`: the largest r whose banding still catches a pair at the
    /// threshold with probability ≥ 99.5% (fewer false candidates than smaller r).
    public init(threshold: Double, permutations: Int = 128) {
        let perms = max(8, (permutations + 7) / 8 * 8)
        let t = min(max(threshold, 0.05), 0.999)
        var best = 1
        for r in 1...32 {
            let b = perms / r
            if b < 1 { break }
            let p = 1 - pow1(1 - pow1(t, r), b)
            if p >= 0.995 { best = r }
        }
        self.permutations = perms
        self.rows = best
        self.bands = perms / best
        self.threshold = threshold
    }

    /// Probability that a pair with Jaccard `j` becomes a candidate.
    public func candidateProbability(_ j: Double) -> Double { 1 - pow1(1 - pow1(j, rows), bands) }
}

@inline(__always) private func pow1(_ x: Double, _ n: Int) -> Double {
    var r = 1.0
    for _ in 0..<n { r *= x }
    return r
}

public enum MinHash {
    /// Writes one band hash per band for the shingle set into `out` (count = params.bands).
    /// An empty set yields zeros (callers skip such examples).
    public static func bandHashes(_ shingles: [UInt32], params: MinHashParams, into out: UnsafeMutablePointer<UInt32>) {
        let vecs = params.permutations / 8
        withUnsafeTemporaryAllocation(of: SIMD8<UInt32>.self, capacity: vecs) { sig in
            signature(shingles, vectors: vecs, into: sig.baseAddress!)
            sig.withMemoryRebound(to: UInt32.self) { flat in
                for b in 0..<params.bands {
                    var h: UInt64 = 0xBA4D_0000 &+ UInt64(b)
                    for r in 0..<params.rows { h = FastHash.combine(h, UInt64(flat[b * params.rows + r])) }
                    out[b] = UInt32(truncatingIfNeeded: FastHash.finalize(h) >> 24)
                }
            }
        }
    }

    /// The raw signature (permutations values), for tests and estimates.
    public static func signature(_ shingles: [UInt32], permutations: Int) -> [UInt32] {
        let vecs = (permutations + 7) / 8
        var out = [UInt32](repeating: 0, count: vecs * 8)
        out.withUnsafeMutableBufferPointer { buf in
            buf.baseAddress!.withMemoryRebound(to: SIMD8<UInt32>.self, capacity: vecs) { signature(shingles, vectors: vecs, into: $0) }
        }
        return Array(out.prefix(permutations))
    }

    @inline(__always)
    static func signature(_ shingles: [UInt32], vectors: Int, into sig: UnsafeMutablePointer<SIMD8<UInt32>>) {
        for v in 0..<vectors { sig[v] = SIMD8(repeating: UInt32.max) }
        let lanes = SIMD8<UInt32>(0, 1, 2, 3, 4, 5, 6, 7)
        shingles.withUnsafeBufferPointer { sh in
            for x in sh {
                let m = FastHash.finalize(UInt64(x) | 0x9E37_79B9_0000_0000)
                let a = UInt32(truncatingIfNeeded: m)
                let b = UInt32(truncatingIfNeeded: m >> 32) | 1
                var cur = SIMD8(repeating: a) &+ lanes &* SIMD8(repeating: b)
                let step = SIMD8(repeating: b &* 8)
                for v in 0..<vectors {
                    sig[v] = pointwiseMin(sig[v], cur)
                    cur &+= step
                }
            }
        }
    }

    /// Jaccard estimate from two signatures (share of equal positions).
    public static func estimate(_ a: [UInt32], _ b: [UInt32]) -> Double {
        let n = min(a.count, b.count)
        if n == 0 { return 0 }
        var eq = 0
        for i in 0..<n where a[i] == b[i] { eq += 1 }
        return Double(eq) / Double(n)
    }
}
