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
                out += "  \(c.id): " + failureSummary(c) + "\n"
            }
            if failed.count > 5 { out += "  … \(failed.count - 5) more in the report\n" }
        }
        return out
    }

    /// A case's failed assertions grouped by reason: "output is not valid JSON (is-json, json-field ×4)".
    static func failureSummary(_ c: CaseReport) -> String {
        var order: [String] = [], types: [String: [String]] = [:]
        for a in c.assertions where !a.pass {
            let reason = a.reason ?? "failed"
            if types[reason] == nil { order.append(reason) }
            types[reason, default: []].append(a.type)
        }
        return order.map { reason in
            var counts: [(String, Int)] = []
            for t in types[reason]! {
                if let i = counts.firstIndex(where: { $0.0 == t }) { counts[i].1 += 1 } else { counts.append((t, 1)) }
            }
            return reason + " (" + counts.map { $0.1 > 1 ? "\($0.0) ×\($0.1)" : $0.0 }.joined(separator: ", ") + ")"
        }.joined(separator: "; ")
    }
}
