import Foundation

/// Evaluates gates: thresholds against one report, regression gates against a diff with its baseline.
public enum GateEvaluator {
    public static func threshold(_ spec: GateSpec, report: EvalReport) -> GateResult {
        guard let name = spec.metric, let op = spec.op, let limit = spec.value else {
            return GateResult(gate: spec.text, spec: spec, status: .fail, value: nil, detail: "malformed gate")
        }
        guard let v = report.metrics.value(name, timing: report.timing) else {
            return GateResult(gate: spec.text, spec: spec, status: .fail, value: nil,
                              detail: "the report has no \(name)" + (name == "loss" || name == "perplexity" ? " (nothing was scored)" : ""))
        }
        let ok = op.holds(v, limit)
        return GateResult(gate: spec.text, spec: spec, status: ok ? .pass : .fail, value: v,
                          detail: "\(name) = \(fmt(v))")
    }

    /// A regression gate over a diff's metric deltas. A metric regresses when its CI excludes zero
    /// on the bad side AND the drop exceeds max_drop. Returns the verdict and the regressed metric names.
    static func regression(_ spec: GateSpec, metrics: [ReportDiff.MetricDelta], mcnemar: ReportDiff.McNemar) -> (GateResult, [String]) {
        var failures: [String] = [], marked: [String] = []
        if let maxDrop = spec.maxDrop {
            for name in spec.metrics ?? GateSpec.defaultRegressionMetrics {
                guard let m = metrics.first(where: { $0.name == name }), let d = m.delta else { continue }
                let drop = m.higherIsBetter ? -d : d
                let badSide: Bool
                if let ci = m.ci { badSide = m.higherIsBetter ? ci.high < 0 : ci.low > 0 } else { badSide = false }
                if badSide && drop > maxDrop {
                    failures.append("\(name) \(m.higherIsBetter ? "dropped" : "rose") by \(fmt(abs(d))) (> \(fmt(maxDrop)), 95% CI \(fmt(m.ci!.low))…\(fmt(m.ci!.high)))")
                    marked.append(name)
                }
            }
        }
        if let maxFlips = spec.maxFlips, mcnemar.b > maxFlips {
            failures.append("\(mcnemar.b) cases flipped pass→fail (> \(maxFlips))")
        }
        let detail = failures.isEmpty ? "no significant regression" : failures.joined(separator: "; ")
        return (GateResult(gate: spec.text, spec: spec, status: failures.isEmpty ? .pass : .fail, value: nil, detail: detail), marked)
    }

    /// Evaluates a report's gates at eval time: thresholds now; regression gates against `baseline`
    /// when one is given, else `pending` (a registry run supplies the baseline report).
    public static func evaluate(_ specs: [GateSpec], report: EvalReport, baseline: EvalReport? = nil) -> [GateResult] {
        specs.map { spec in
            if !spec.isRegression { return threshold(spec, report: report) }
            guard let baseline else {
                return GateResult(gate: spec.text, spec: spec, status: .pending, value: nil,
                                  detail: "needs the baseline report '\(spec.regressionVs ?? "")'")
            }
            let diff = ReportDiff(baseline, report, gates: [spec])
            return diff.gates.first { $0.spec == spec } ?? GateResult(gate: spec.text, spec: spec, status: .pending, value: nil, detail: "")
        }
    }

    static func fmt(_ d: Double) -> String {
        if d == d.rounded() && abs(d) < 1e9 { return String(Int(d)) }
        return String(format: "%.4g", d)
    }
}
