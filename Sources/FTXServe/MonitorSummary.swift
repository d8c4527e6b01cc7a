import Foundation
import FTXEval

/// Latency-like figures of one adapter version, in milliseconds. Percentiles interpolate linearly
/// between order statistics (numpy's default, "type 7"): for n sorted values x₁…xₙ, the p-th
/// percentile is at rank h = (n − 1)·p/100 + 1, i.e. x⌊h⌋ + (h − ⌊h⌋)·(x⌊h⌋+1 − x⌊h⌋).
public struct Percentiles: Codable, Equatable, Sendable {
    public var p50: Double
    public var p95: Double
    public var p99: Double

    /// nil for no values.
    public init?(_ values: [Double]) {
        guard !values.isEmpty else { return nil }
        let s = values.sorted()
        p50 = PairedBootstrap.quantile(s, 0.50)
        p95 = PairedBootstrap.quantile(s, 0.95)
        p99 = PairedBootstrap.quantile(s, 0.99)
    }
}

/// Traffic figures of one group of request-log lines (one adapter version).
public struct TrafficSummary: Codable, Equatable, Sendable {
    /// Requests logged.
    public var volume = 0
    /// Requests with an `error` kind; `errorRate` = errors / volume (0 for no requests).
    public var errors = 0
    public var errorRate = 0.0
    public var errorsByKind: [String: Int] = [:]
    /// Total latency and time to first token, over every request that has them.
    public var latencyMs: Percentiles?
    public var ttftMs: Percentiles?
    /// Σ completion tokens / Σ latency (seconds) over successful requests: the rate one client sees,
    /// queueing and prefill included (the server's aggregate rate is higher with batching).
    public var tokensPerSecond: Double?
    /// Requests by finish reason ("stop", "length").
    public var finishReasons: [String: Int] = [:]

    enum CodingKeys: String, CodingKey {
        case volume, errors, errorRate = "error_rate", errorsByKind = "errors_by_kind", latencyMs = "latency_ms"
        case ttftMs = "ttft_ms", tokensPerSecond = "tokens_per_second", finishReasons = "finish_reasons"
    }

    public init(_ lines: [RequestLogLine]) {
        volume = lines.count
        var latencies: [Double] = [], ttfts: [Double] = []
        var tokens = 0.0, seconds = 0.0
        for l in lines {
            if let e = l.error {
                errors += 1
                errorsByKind[e, default: 0] += 1
            }
            if let f = l.finishReason { finishReasons[f, default: 0] += 1 }
            if l.latencyMs.isFinite, l.latencyMs >= 0 { latencies.append(l.latencyMs) }
            if let t = l.ttftMs, t.isFinite, t >= 0 { ttfts.append(t) }
            if l.error == nil, l.latencyMs.isFinite, l.latencyMs > 0, l.completionTokens >= 0 {
                tokens += Double(l.completionTokens)
                seconds += l.latencyMs / 1000
            }
        }
        errorRate = volume == 0 ? 0 : Double(errors) / Double(volume)
        latencyMs = Percentiles(latencies)
        ttftMs = Percentiles(ttfts)
        tokensPerSecond = seconds > 0 ? tokens / seconds : nil
    }

    public init() {}
}
