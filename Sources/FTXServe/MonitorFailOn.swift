import Foundation
import FTXCore
import FTXEval

/// `ftx monitor --fail-on "p95_ms > 800"`: an alert condition, "metric OP number" in the gates'
/// grammar (GateSpec), that FAILS the command when it holds on the current version's figures.
public struct FailOnCondition: Equatable, Sendable {
    public var metric: String
    public var op: GateSpec.Op
    public var value: Double
    public var text: String { GateSpec.threshold(metric, op, value).text }

    public static let metrics = ["volume", "errors", "error_rate", "p50_ms", "p95_ms", "p99_ms",
                                 "ttft_p50_ms", "ttft_p95_ms", "ttft_p99_ms", "tokens_per_second"]

    public init(metric: String, op: GateSpec.Op, value: Double) {
        self.metric = metric; self.op = op; self.value = value
    }

    /// Throws EvalError (a usage error, exit 2) for a malformed expression or an unknown metric.
    public init(parsing text: String) throws {
        let g = try GateSpec.parse(expression: text, noun: "condition", examples: "p95_ms > 800, assert.is-json < 0.95") { name in
            if name.hasPrefix("assert."), name.count > 7 { return }
            guard Self.metrics.contains(name) else {
                throw EvalError.gate("unknown metric '\(name)' in --fail-on", location: nil,
                                     hint: DidYouMean.suggest(name, Self.metrics).map { "did you mean '\($0)'?" }
                                         ?? "metrics: \(Self.metrics.joined(separator: ", ")), assert.<assertion>")
            }
        }
        metric = g.metric ?? ""; op = g.op ?? .gt; value = g.value ?? 0
    }

    /// The metric's value on a version; nil when there is no data for it (no latencies, no such
    /// assertion, nothing checked).
    public func value(on v: MonitorVersion?) -> Double? {
        let t = v?.traffic ?? TrafficSummary()
        switch metric {
        case "volume": return Double(t.volume)
        case "errors": return Double(t.errors)
        case "error_rate": return t.volume == 0 ? nil : t.errorRate
        case "p50_ms": return t.latencyMs?.p50
        case "p95_ms": return t.latencyMs?.p95
        case "p99_ms": return t.latencyMs?.p99
        case "ttft_p50_ms": return t.ttftMs?.p50
        case "ttft_p95_ms": return t.ttftMs?.p95
        case "ttft_p99_ms": return t.ttftMs?.p99
        case "tokens_per_second": return t.tokensPerSecond
        default:
            let key = String(metric.dropFirst("assert.".count))
            guard let a = v?.quality?.assertions.first(where: { $0.key == key }), a.production.n > 0 else { return nil }
            return a.production.rate
        }
    }
}

/// A condition's verdict: violated when it holds; "no data" never fails (alert on `volume < N`
/// for silence).
public struct FailOnResult: Codable, Equatable, Sendable {
    public var condition: String
    public var value: Double?
    public var violated: Bool

    public static func evaluate(_ conditions: [FailOnCondition], on v: MonitorVersion?) -> [FailOnResult] {
        conditions.map { c in
            let x = c.value(on: v)
            return FailOnResult(condition: c.text, value: x, violated: x.map { c.op.holds($0, c.value) } ?? false)
        }
    }
}
