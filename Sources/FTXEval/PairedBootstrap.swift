import Foundation
import FTXCore

/// Seeded paired bootstrap for metric deltas between two reports over the same cases.
///
/// Each case contributes one row of up to 8 values (e.g. pass A, pass B, nll A, nll B, …); a
/// resample draws n case indices with replacement and sums the rows of those cases, so every metric
/// of one resample uses the same cases (paired). Rows are SIMD8<Double> (one cache line each), the
/// index stream comes from two xoshiro256** generators seeded per block of resamples, and blocks run
/// in parallel; the result depends only on the seed, never on the thread count.
public struct PairedBootstrap {
    public let resamples: Int
    public let seed: UInt64
    public init(resamples: Int = 10_000, seed: UInt64 = 0x5EED_F7C5) {
        self.resamples = resamples; self.seed = seed
    }

    static let blockSize = 64

    /// Sums of the rows over each resample: result[r] = Σ_{i in resample r} rows[i].
    public func resampleSums(_ rows: [SIMD8<Double>]) -> [SIMD8<Double>] {
        let n = rows.count
        guard n > 0, resamples > 0 else { return [] }
        var out = [SIMD8<Double>](repeating: .zero, count: resamples)
        let blocks = (resamples + Self.blockSize - 1) / Self.blockSize
        let seed = self.seed, total = resamples
        rows.withUnsafeBufferPointer { rp in
            out.withUnsafeMutableBufferPointer { op in
                let rowsBase = rp.baseAddress!, outBase = op.baseAddress!
                Threads.parallelFor(blocks) { firstBlock, endBlock in
                    for block in firstBlock..<endBlock {
                        // Two generators per block: their state updates are independent dependency chains.
                        var rng = Xoshiro256(seed: seed &+ UInt64(block) &* 0x9E37_79B9_7F4A_7C15)
                        var rng2 = Xoshiro256(seed: ~(seed &+ UInt64(block) &* 0xD1B5_4A32_D192_ED03))
                        let start = block * Self.blockSize, end = min(total, start + Self.blockSize)
                        let n64 = UInt64(n)
                        for r in start..<end {
                            // Four independent accumulators: one chain of dependent adds would cap the
                            // loop at the add latency; four chains keep the loads in flight.
                            var acc0 = SIMD8<Double>.zero, acc1 = acc0, acc2 = acc0, acc3 = acc0
                            var left = n
                            // Two 32-bit draws per 64-bit output; multiply-shift maps them onto 0..<n.
                            while left >= 4 {
                                let x = rng.next(), y = rng2.next()
                                acc0 += rowsBase[Int(((x & 0xFFFF_FFFF) &* n64) >> 32)]
                                acc1 += rowsBase[Int(((x >> 32) &* n64) >> 32)]
                                acc2 += rowsBase[Int(((y & 0xFFFF_FFFF) &* n64) >> 32)]
                                acc3 += rowsBase[Int(((y >> 32) &* n64) >> 32)]
                                left -= 4
                            }
                            while left > 0 {
                                let x = rng.next()
                                acc0 += rowsBase[Int(((x & 0xFFFF_FFFF) &* n64) >> 32)]
                                left -= 1
                            }
                            let acc = (acc0 + acc1) + (acc2 + acc3)
                            outBase[r] = acc
                        }
                    }
                }
            }
        }
        return out
    }

    /// Percentile interval (2.5%, 97.5% for level 0.95) of `values` (sorted in place).
    public static func percentileInterval(_ values: inout [Double], level: Double = 0.95) -> Statistics.Interval {
        guard !values.isEmpty else { return .init(low: .nan, high: .nan) }
        values.sort()
        let alpha = (1 - level) / 2
        return .init(low: quantile(values, alpha), high: quantile(values, 1 - alpha))
    }

    /// Linear interpolation between order statistics (type 7, as numpy's default); `sorted` ascending, non-empty.
    public static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        let h = Double(sorted.count - 1) * q
        let lo = Int(h.rounded(.down)), hi = min(sorted.count - 1, lo + 1)
        return sorted[lo] + (h - Double(lo)) * (sorted[hi] - sorted[lo])
    }

    /// Convenience: 95% CI of mean(b) − mean(a) for paired per-case values.
    public func meanDeltaInterval(a: [Double], b: [Double]) -> Statistics.Interval {
        precondition(a.count == b.count, "paired arrays differ in length")  // programmer error, not user input
        let rows = zip(a, b).map { SIMD8<Double>($0.1 - $0.0, 0, 0, 0, 0, 0, 0, 0) }
        let n = Double(a.count)
        var deltas = resampleSums(rows).map { $0[0] / n }
        return Self.percentileInterval(&deltas)
    }
}

/// xoshiro256** (Blackman & Vigna), seeded through splitmix64.
struct Xoshiro256 {
    var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64
    init(seed: UInt64) {
        var z = seed
        func splitmix() -> UInt64 {
            z &+= 0x9E37_79B9_7F4A_7C15
            var x = z
            x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
            x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
            return x ^ (x >> 31)
        }
        s0 = splitmix(); s1 = splitmix(); s2 = splitmix(); s3 = splitmix()
    }
    @inline(__always) mutating func next() -> UInt64 {
        let m = s1 &* 5
        let result = ((m << 7) | (m >> 57)) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }
}
