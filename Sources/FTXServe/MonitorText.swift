import Foundation
import FTXEval
import FTXRegistry

/// `ftx monitor` as text for a terminal and as a small self-contained HTML page.
public enum MonitorText {
    static func ms(_ d: Double) -> String { String(format: "%.1f", d) }
    static func rate(_ d: Double) -> String { String(format: "%.3f", d) }
    static func pct(_ d: Double) -> String { String(format: "%.2f%%", d * 100) }
    static func num(_ d: Double) -> String { String(format: "%g", d) }
    static func short(_ adapter: String) -> String { adapter.count > 12 ? String(adapter.prefix(12)) : adapter }
    static func estimate(_ r: RateEstimate) -> String { "\(rate(r.rate)) [\(rate(r.low)), \(rate(r.high))] n=\(r.n)" }

    static func window(_ r: MonitorReport) -> String {
        "\(r.since ?? "the beginning") → \(r.until ?? "now")"
    }

    static func title(_ v: MonitorVersion) -> String {
        var s = short(v.adapter)
        if v.current { s += " (current)" }
        if v.deploys.isEmpty && v.adapter != "-" { s += " (not deployed to this environment)" }
        return s
    }

    static func latencyLine(_ t: TrafficSummary) -> String {
        var parts: [String] = []
        if let l = t.latencyMs { parts.append("latency p50 \(ms(l.p50)) ms, p95 \(ms(l.p95)) ms, p99 \(ms(l.p99)) ms") }
        if let f = t.ttftMs { parts.append("first token p50 \(ms(f.p50)) ms, p95 \(ms(f.p95)) ms") }
        if let tps = t.tokensPerSecond { parts.append(String(format: "%.1f tokens/s", tps)) }
        return parts.joined(separator: "; ")
    }

    static func errorsLine(_ t: TrafficSummary) -> String {
        var s = "requests \(t.volume), errors \(t.errors) (\(pct(t.errorRate)))"
        if !t.errorsByKind.isEmpty { s += ": " + t.errorsByKind.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") }
        return s
    }

    public static func render(_ r: MonitorReport, failOn: [FailOnResult]) -> String {
        var o = "\(r.env): \(r.requests) request(s) in \(r.files) log file(s), \(window(r))\n"
        if r.torn > 0 { o += "skipped \(r.torn) torn last line(s) (a write cut short by a kill)\n" }
        if r.skipped > 0 {
            o += "skipped \(r.skipped) malformed line(s):\n" + r.problems.map { "  \($0)\n" }.joined()
        }
        if r.requests == 0 { o += "no requests logged for \(r.env) in this window (.ftx/serve/\(r.env)/)\n" }
        for v in r.versions {
            o += "\n\(title(v))\n"
            for d in v.deploys { o += "  \(d.rev) \(d.time) \(d.who): \(d.message)\n" }
            o += "  \(errorsLine(v.traffic))\n"
            let lat = latencyLine(v.traffic)
            if !lat.isEmpty { o += "  \(lat)\n" }
            if let q = v.quality {
                o += "  quality: \(q.checked) output(s) checked with suite \(q.suite)\n"
                for n in q.notes { o += "    note: \(n)\n" }
                if !q.assertions.isEmpty {
                    let rows = q.assertions.map { a in
                        ["assert.\(a.key)", estimate(a.production), a.eval.map(estimate) ?? "—", a.drift ? "DRIFT" : ""]
                    }
                    o += RunTable.table(["ASSERTION", "PRODUCTION [95% CI]", "EVAL [95% CI]", ""], rows)
                        .split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "" : "    \($0)" }.joined(separator: "\n")
                    if !o.hasSuffix("\n") { o += "\n" }
                }
            } else if let n = v.qualityNote {
                o += "  quality: \(n)\n"
            }
        }
        if !failOn.isEmpty {
            o += "\n"
            for f in failOn {
                let value = f.value.map { num($0) } ?? "no data"
                o += "\(f.violated ? "FAIL" : "ok  ") \(f.condition) (\(value))\n"
            }
        }
        return o
    }

    /// The page `ftx monitor --html` writes: the document shell around `htmlBody`.
    public static func html(_ r: MonitorReport, failOn: [FailOnResult]) -> String {
        let e = DiffHTML.esc
        return """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>ftx monitor \(e(r.env))</title>
        <style>
        body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}
        table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:right}
        td:first-child,th:first-child{text-align:left}.drift,.fail{color:#b00;font-weight:bold}.note{color:#777}
        </style></head><body>
        <h1>ftx monitor: \(e(r.env))</h1>

        """ + htmlBody(r, failOn: failOn) + "</body></html>\n"
    }

    /// The report without the shell (headings from h2 down, classes `drift`, `fail`, `note`): the
    /// `ftx ui` deployments page embeds the same fragment.
    public static func htmlBody(_ r: MonitorReport, failOn: [FailOnResult]) -> String {
        let e = DiffHTML.esc
        var h = """
        <p>\(r.requests) request(s) in \(r.files) log file(s), \(e(window(r))). Torn lines skipped: \(r.torn); malformed: \(r.skipped).</p>

        """
        if !failOn.isEmpty {
            h += "<h2>Conditions</h2><table><tr><th>condition</th><th>value</th><th>verdict</th></tr>\n"
            for f in failOn {
                h += "<tr><td>\(e(f.condition))</td><td>\(f.value.map { num($0) } ?? "no data")</td>"
                    + "<td class=\"\(f.violated ? "fail" : "")\">\(f.violated ? "FAIL" : "ok")</td></tr>\n"
            }
            h += "</table>\n"
        }
        h += "<h2>Versions</h2><table><tr><th>adapter</th><th>deployed</th><th>requests</th><th>error rate</th>"
            + "<th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>TTFT p50 ms</th><th>TTFT p95 ms</th><th>tokens/s</th></tr>\n"
        for v in r.versions {
            let t = v.traffic
            let dash = "—"
            h += "<tr><td>\(e(title(v)))</td><td>\(e(v.deploys.map { "\($0.rev) \($0.time) \($0.who): \($0.message)" }.joined(separator: "\n")))</td>"
                + "<td>\(t.volume)</td><td>\(pct(t.errorRate))</td>"
                + "<td>\(t.latencyMs.map { ms($0.p50) } ?? dash)</td><td>\(t.latencyMs.map { ms($0.p95) } ?? dash)</td>"
                + "<td>\(t.latencyMs.map { ms($0.p99) } ?? dash)</td><td>\(t.ttftMs.map { ms($0.p50) } ?? dash)</td>"
                + "<td>\(t.ttftMs.map { ms($0.p95) } ?? dash)</td><td>\(t.tokensPerSecond.map { String(format: "%.1f", $0) } ?? dash)</td></tr>\n"
        }
        h += "</table>\n"
        for v in r.versions {
            h += "<h3>\(e(title(v)))</h3><p>\(e(errorsLine(v.traffic)))</p>\n"
            guard let q = v.quality else {
                if let n = v.qualityNote { h += "<p class=\"note\">quality: \(e(n))</p>\n" }
                continue
            }
            h += "<p>\(q.checked) output(s) checked with suite \(e(q.suite))</p>\n"
            for n in q.notes { h += "<p class=\"note\">\(e(n))</p>\n" }
            guard !q.assertions.isEmpty else { continue }
            h += "<table><tr><th>assertion</th><th>production [95% CI]</th><th>eval [95% CI]</th><th></th></tr>\n"
            for a in q.assertions {
                h += "<tr><td>assert.\(e(a.key))</td><td>\(e(estimate(a.production)))</td><td>\(e(a.eval.map(estimate) ?? "—"))</td>"
                    + "<td class=\"drift\">\(a.drift ? "DRIFT" : "")</td></tr>\n"
            }
            h += "</table>\n"
        }
        return h
    }
}
