/// MinHash signatures with LSH banding. Each shingle's hash x is expanded into `permutations`
/// hash values by double hashing, h_k(x) = a(x) + k·b(x) (a, b from a mixed 64-bit hash), so the
/// inner loop is vector adds and mins over SIMD lanes with no per-permutation multiply.
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
    /// Signature values are 16-bit: SSE2 has a native 16-bit signed min (pminsw) but no 32-bit one,
    /// so each permutation costs one add and one min per 8 lanes. (b-bit minwise hashing: the rare
    /// accidental equal minimum only adds candidates, which exact Jaccard then rejects.)
    typealias Lane = SIMD8<Int16>

    /// Writes one band hash per band for the shingle hashes into `out` (count = params.bands).
    public static func bandHashes(_ shingles: [UInt32], params: MinHashParams, into out: UnsafeMutablePointer<UInt32>) {
        let vecs = params.permutations / 8
        withUnsafeTemporaryAllocation(of: Lane.self, capacity: vecs) { sig in
            guard let base = sig.baseAddress else { return }
            signature(shingles, vectors: vecs, into: base)
            sig.withMemoryRebound(to: Int16.self) { flat in
                for b in 0..<params.bands {
                    var h: UInt64 = 0xBA4D_0000 &+ UInt64(b)
                    var r = 0
                    while r + 4 <= params.rows {  // four 16-bit values per combine
                        var w: UInt64 = 0
                        for q in 0..<4 { w |= UInt64(UInt16(bitPattern: flat[b * params.rows + r + q])) << (16 * UInt64(q)) }
                        h = FastHash.combine(h, w)
                        r += 4
                    }
                    while r < params.rows { h = FastHash.combine(h, UInt64(UInt16(bitPattern: flat[b * params.rows + r]))); r += 1 }
                    out[b] = UInt32(truncatingIfNeeded: FastHash.finalize(h) >> 24)
                }
            }
        }
    }

    /// The raw signature (permutations values), for tests and estimates.
    public static func signature(_ shingles: [UInt32], permutations: Int) -> [Int16] {
        let vecs = (permutations + 7) / 8
        var out = [Int16](repeating: 0, count: vecs * 8)
        out.withUnsafeMutableBufferPointer { buf in
            guard let base = buf.baseAddress else { return }
            base.withMemoryRebound(to: Lane.self, capacity: vecs) { signature(shingles, vectors: vecs, into: $0) }
        }
        return Array(out.prefix(permutations))
    }

    /// h_k(x) = a(x) + k·b(x) (mod 2^16, b odd), min over the set, for k = 0..<8·vectors.
    @inline(__always)
    static func signature(_ shingles: [UInt32], vectors: Int, into sig: UnsafeMutablePointer<Lane>) {
        for v in 0..<vectors { sig[v] = Lane(repeating: .max) }
        let lanes = Lane(0, 1, 2, 3, 4, 5, 6, 7)
        shingles.withUnsafeBufferPointer { sh in
            for x in sh {
                let m = FastHash.finalize(UInt64(x) | 0x9E37_79B9_0000_0000)
                let a = Int16(truncatingIfNeeded: m)
                let b = Int16(truncatingIfNeeded: m >> 32) | 1
                var cur = Lane(repeating: a) &+ lanes &* Lane(repeating: b)
                let step = Lane(repeating: b &* 8)
                for v in 0..<vectors {
                    sig[v] = pointwiseMin(sig[v], cur)
                    cur &+= step
                }
            }
        }
    }

    /// Jaccard estimate from two signatures (share of equal positions).
    public static func estimate(_ a: [Int16], _ b: [Int16]) -> Double {
        let n = min(a.count, b.count)
        if n == 0 { return 0 }
        var eq = 0
        for i in 0..<n where a[i] == b[i] { eq += 1 }
        return Double(eq) / Double(n)
    }
}
