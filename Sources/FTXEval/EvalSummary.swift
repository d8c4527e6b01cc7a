import Foundation

/// The short terminal summary `ftx eval` prints.
public enum EvalSummary {
    public static func render(_ r: EvalReport) -> String {
        let m = r.metrics
        var out = "suite \(r.suite.name): \(m.cases) cases on \(r.model.name)\(r.model.adapter.map { " + \($0)" } ?? "")\n"
        var rows = [["metric", "value"]]
        rows.append(["pass_rate", String(format: "%.4f (%d/%d)", m.passRate, m.passed, m.cases)])
        rows.append(["exact_match", String(format: "%.4f", m.exactMatch)])
        rows.append(["mean_score", String(format: "%.4f", m.meanScore)])
        if let l = m.loss, let p = m.perplexity {
            rows.append(["loss", String(format: "%.4f", l)])
            rows.append(["perplexity", String(format: "%.3f", p)])
        }
        rows.append(["tokens_per_second", String(format: "%.1f", r.timing.tokensPerSecond)])
        for (k, v) in m.assertionPassRates.sorted(by: { $0.key < $1.key }) {
            rows.append(["assert.\(k)", String(format: "%.4f", v)])
        }
        out += DiffText.table(rows)
        if !r.gates.isEmpty {
            out += "gates:\n"
            for g in r.gates { out += "  [\(g.status.rawValue.uppercased())] \(g.gate) — \(g.detail)\n" }
        }
        let failed = r.cases.filter { !$0.pass }
        if !failed.isEmpty {
            out += "failing cases: \(failed.count)\n"
            for c in failed.prefix(5) {
                out += "  \(c.id): " + c.assertions.filter { !$0.pass }.map { "\($0.type): \($0.reason ?? "failed")" }
                    .joined(separator: "; ") + "\n"
            }
            if failed.count > 5 { out += "  … \(failed.count - 5) more in the report\n" }
        }
        return out
    }
}
