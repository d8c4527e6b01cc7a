import Foundation

/// The statistics `ftx diff` reports: McNemar's exact test on paired pass/fail flips and Wilson
/// score intervals on pass rates. (The paired bootstrap lives in PairedBootstrap.swift.)
public enum Statistics {
    /// McNemar's exact test: two-sided binomial test of b vs c discordant pairs under p = ½.
    /// p = min(1, 2 · P(X ≤ min(b, c))), X ~ Binomial(b + c, ½); 1 when there are no discordant pairs.
    public static func mcNemarExact(b: Int, c: Int) -> Double {
        let n = b + c
        guard n > 0 else { return 1 }
        let k = min(b, c)
        // Sum in log space (n can be tens of thousands): log C(n, i) − n·log 2.
        let logHalfN = Double(n) * log(2.0)
        var logTerms: [Double] = []
        logTerms.reserveCapacity(k + 1)
        for i in 0...k { logTerms.append(logChoose(n, i) - logHalfN) }
        let m = logTerms.max() ?? 0
        var s = 0.0
        for t in logTerms { s += exp(t - m) }
        let tail = exp(m) * s
        return min(1, 2 * tail)
    }

    static func logChoose(_ n: Int, _ k: Int) -> Double {
        lgamma(Double(n + 1)) - lgamma(Double(k + 1)) - lgamma(Double(n - k + 1))
    }

    public struct Interval: Codable, Equatable, Sendable {
        public var low: Double
        public var high: Double
        public init(low: Double, high: Double) { self.low = low; self.high = high }
        public func contains(_ x: Double) -> Bool { low <= x && x <= high }
    }

    /// Two-sided standard-normal quantile for 95%.
    public static let z95 = 1.959963984540054

    /// Wilson score interval for `successes` out of `n` (Wilson 1927; Newcombe 1998 method 3).
    public static func wilson(successes: Int, n: Int, z: Double = z95) -> Interval {
        guard n > 0 else { return Interval(low: 0, high: 1) }
        let nn = Double(n), p = Double(successes) / nn, z2 = z * z
        let center = (p + z2 / (2 * nn)) / (1 + z2 / nn)
        let half = z / (1 + z2 / nn) * sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn))
        // Clamp rounding at the ends: 0/n has lower bound exactly 0, n/n upper bound exactly 1.
        let low = successes == 0 ? 0 : max(0, center - half)
        let high = successes == n ? 1 : min(1, center + half)
        return Interval(low: low, high: high)
    }
}
