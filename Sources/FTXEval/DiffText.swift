import Foundation

/// The terminal rendering of a ReportDiff.
public enum DiffText {
    public static func render(_ d: ReportDiff, maxCases: Int = 10, width: Int = 60) -> String {
        var out = ""
        out += "A: \(d.a.model.name)\(d.a.model.adapter.map { " + \($0)" } ?? "")  (\(d.a.cases) cases, suite \(d.a.suite))\n"
        out += "B: \(d.b.model.name)\(d.b.model.adapter.map { " + \($0)" } ?? "")  (\(d.b.cases) cases, suite \(d.b.suite))\n"
        out += "paired cases: \(d.pairedCases)"
        if !d.onlyInA.isEmpty || !d.onlyInB.isEmpty { out += "  (only in A: \(d.onlyInA.count), only in B: \(d.onlyInB.count))" }
        out += "\n\n"
        if !d.suiteChanges.isEmpty {
            out += "suite changed between A and B:\n"
            for c in d.suiteChanges { out += "  \(c.key): \(shown(c.key, c.a)) → \(shown(c.key, c.b))\n" }
            out += d.comparable
                ? "  (no recorded setting that decides outputs or verdicts changed: the metrics stay comparable)\n\n"
                : "  metrics marked \"not comparable\" were measured differently in A and B: their deltas are not judged\n\n"
        }
        var rows = [["metric", "A", "B", "delta", "95% CI", ""]]
        for m in d.metrics + d.assertionMetrics {
            let ci = m.ci.map { "[\(num($0.low, signed: true)), \(num($0.high, signed: true))]" } ?? ""
            rows.append([m.name, m.a.map { num($0) } ?? "—", m.b.map { num($0) } ?? "—",
                         m.delta.map { num($0, signed: true) } ?? "—", ci, flag(m)])
        }
        out += table(rows)
        out += "\npass rate (Wilson 95%): A \(pct(d.a.passRate)) [\(pct(d.a.passRateWilson.low)), \(pct(d.a.passRateWilson.high))]"
        out += "  B \(pct(d.b.passRate)) [\(pct(d.b.passRateWilson.low)), \(pct(d.b.passRateWilson.high))]\n"
        out += "McNemar exact: \(d.mcnemar.b) pass→fail, \(d.mcnemar.c) fail→pass, p = \(pval(d.mcnemar.p))\n"

        if !d.configChanges.isEmpty {
            out += "\nconfig changes:\n"
            for c in d.configChanges { out += "  \(c.key): \(c.a ?? "(absent)") → \(c.b ?? "(absent)")\n" }
        }
        if !d.datasetChanges.isEmpty {
            out += "\ndataset changes:\n"
            for c in d.datasetChanges { out += "  \(c.split): \(c.rowsA) → \(c.rowsB) rows (+\(c.added) −\(c.removed))\n" }
        }
        for (title, list) in [("regressed (pass → fail)", d.regressed), ("fixed (fail → pass)", d.fixed)] where !list.isEmpty {
            out += "\n\(title): \(list.count)\n"
            for c in list.prefix(maxCases) {
                out += "  \(c.id)\n"
                out += "    prompt:   \(clip(c.prompt, width))\n"
                out += "    expected: \(clip(c.expected, width))\n"
                // Each side's failing assertions right under its own output.
                out += "    A:        \(clip(c.outputA, width))\n"
                for f in c.failedA.prefix(3) { out += "      ✗ \(clip(f, width))\n" }
                out += "    B:        \(clip(c.outputB, width))\n"
                for f in c.failedB.prefix(3) { out += "      ✗ \(clip(f, width))\n" }
            }
            if list.count > maxCases { out += "  … \(list.count - maxCases) more (--json for all)\n" }
        }
        for (title, ids) in [("only in A", d.onlyInA), ("only in B", d.onlyInB)] where !ids.isEmpty {
            out += "\n\(title): \(ids.count): " + ids.prefix(maxCases).joined(separator: ", ") + (ids.count > maxCases ? ", …" : "") + "\n"
        }
        out += "\ngates:\n"
        for g in d.gates { out += "  [\(g.status.rawValue.uppercased())] \(g.gate) — \(g.detail)\n" }
        out += "\nresult: \(d.verdict.summary)\n"
        return out
    }

    /// The label of a metric row: REGRESSED (a gate failed on it), "not comparable" (the suite
    /// changed what it measures), better/worse (significant, by the metric's direction), or nothing.
    public static func flag(_ m: ReportDiff.MetricDelta) -> String {
        if !m.comparable { return "not comparable" }
        if m.regressed { return "REGRESSED" }
        return m.direction?.rawValue ?? ""
    }

    /// A suite setting's value for the text: hashes shortened, absent ones named.
    static func shown(_ key: String, _ value: String?) -> String {
        guard let value else { return "(absent)" }
        return key.hasSuffix("sha256") && value.count > 12 ? String(value.prefix(12)) : clip(value, 60)
    }

    static func table(_ rows: [[String]]) -> String {
        let widths = (0..<rows[0].count).map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.map { r in
            r.enumerated().map { i, s in i == 0 ? s.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                                        : String(repeating: " ", count: widths[i] - s.count) + s }
                .joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }.joined(separator: "\n") + "\n"
    }

    public static func num(_ d: Double, signed: Bool = false) -> String {
        let s = abs(d) >= 1000 ? String(format: "%.1f", d) : String(format: "%.4f", d)
        return signed && d >= 0 ? "+" + s : s
    }
    static func pct(_ d: Double) -> String { String(format: "%.1f%%", d * 100) }
    static func pval(_ p: Double) -> String { p < 0.0001 ? String(format: "%.2e", p) : String(format: "%.4f", p) }
    static func clip(_ s: String, _ w: Int) -> String {
        let one = s.replacingOccurrences(of: "\n", with: "⏎")
        return one.count > w ? String(one.prefix(w - 1)) + "…" : one
    }
}
