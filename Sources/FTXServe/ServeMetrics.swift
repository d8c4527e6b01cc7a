import Foundation
import Prometheus

/// `/metrics` in Prometheus' text format; names are fixed by the serve contract (docs/serve.md).
public final class ServeMetrics: @unchecked Sendable {
    public let registry = PrometheusCollectorRegistry()
    private static let latencyBuckets: [Double] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]
    private let ttft: ValueHistogram
    private let duration: ValueHistogram
    private let tokensIn: Counter
    private let tokensOut: Counter
    private let queueDepth: Gauge
    private let batchSize: Gauge
    private let adaptersLoaded: Gauge

    public init() {
        ttft = registry.makeValueHistogram(name: "ftx_time_to_first_token_seconds", buckets: Self.latencyBuckets,
                                           help: "Seconds from a request's arrival to its first generated text.")
        duration = registry.makeValueHistogram(name: "ftx_request_duration_seconds", buckets: Self.latencyBuckets,
                                               help: "Seconds from a request's arrival to its last byte.")
        tokensIn = registry.makeCounter(name: "ftx_tokens_in_total", help: "Prompt tokens of completed requests.")
        tokensOut = registry.makeCounter(name: "ftx_tokens_out_total", help: "Generated tokens of completed requests.")
        queueDepth = registry.makeGauge(name: "ftx_queue_depth", help: "Requests waiting for a decode slot.")
        batchSize = registry.makeGauge(name: "ftx_batch_size", help: "Sequences that produced a token in the last decode step.")
        adaptersLoaded = registry.makeGauge(name: "ftx_adapters_loaded", help: "Distinct adapters in memory.")
    }

    /// Counts one finished request (any status) and, for a success, its latency and tokens.
    public func request(env: String, adapter: String, status: Int, ttft: Double?, seconds: Double, tokensIn: Int, tokensOut: Int) {
        registry.makeCounter(name: "ftx_requests_total", labels: [("env", env), ("adapter", adapter), ("status", String(status))],
                             help: "Requests by environment, adapter and HTTP status.").increment()
        duration.record(seconds)
        if let ttft { self.ttft.record(ttft) }
        self.tokensIn.increment(by: Int64(tokensIn))
        self.tokensOut.increment(by: Int64(tokensOut))
    }

    public func step(queued: Int, rows: Int) {
        queueDepth.set(Double(queued))
        batchSize.set(Double(rows))
    }

    public func adapters(_ n: Int) { adaptersLoaded.set(Double(n)) }

    public func text() -> String { registry.emitToString() }
}
