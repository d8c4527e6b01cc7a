import Foundation

/// A self-contained HTML page for a ReportDiff: suite changes first, the verdict, metric table, one
/// inline SVG chart per metric, assert.* included (A and B values; the delta with its 95% CI),
/// McNemar and Wilson figures, flipped cases side by side. Colours follow each metric's direction:
/// better is green and worse red, whether higher or lower is better for that metric.
public enum DiffHTML {
    public static let betterColour = "#2a8a3a"
    public static let worseColour = "#c44"
    static let neutralColour = "#48a"

    static func colour(_ m: ReportDiff.MetricDelta) -> String {
        if m.regressed || m.direction == .worse { return worseColour }
        return m.direction == .better ? betterColour : neutralColour
    }

    /// The whole page `ftx diff --html` writes: the document shell around `body(_:)`.
    public static func render(_ d: ReportDiff) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>ftx diff</title>
        <style>
        body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}
        table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:right;vertical-align:top}
        td:first-child,th:first-child{text-align:left}.reg{color:#b00;font-weight:bold}.ok{color:#070}.better{color:#2a8a3a}.worse{color:#b00}.nc{color:#777}
        .charts{display:flex;flex-wrap:wrap;gap:1em}.chart{border:1px solid #ddd;padding:.4em}
        pre{white-space:pre-wrap;margin:0;font:12px/1.35 ui-monospace,monospace;text-align:left}
        .flip td{text-align:left}
        </style></head><body>
        <h1>ftx diff</h1>

        """ + body(d) + "</body></html>\n"
    }

    /// The page's content without the shell (headings from h2 down, classes `reg`, `ok`, `better`,
    /// `worse`, `nc`, `flip`, `chart`): the `ftx ui` compare page embeds the same fragment.
    public static func body(_ d: ReportDiff) -> String {
        var h = """
        <p>A: \(esc(d.a.model.name)) \(esc(d.a.model.adapter ?? "")) — \(d.a.cases) cases<br>
        B: \(esc(d.b.model.name)) \(esc(d.b.model.adapter ?? "")) — \(d.b.cases) cases<br>
        paired cases: \(d.pairedCases); only in A: \(d.onlyInA.count); only in B: \(d.onlyInB.count);
        bootstrap: \(d.bootstrap.resamples) resamples, seed \(d.bootstrap.seed)</p>

        """
        if !d.suiteChanges.isEmpty {
            h += "<h2>Suite changed</h2><table><tr><th>key</th><th>A</th><th>B</th></tr>\n"
            for c in d.suiteChanges { h += "<tr><td>\(esc(c.key))</td><td>\(esc(c.a ?? "—"))</td><td>\(esc(c.b ?? "—"))</td></tr>\n" }
            let note = d.comparable ? "No recorded setting that decides outputs or verdicts changed: the metrics stay comparable."
                                    : "Metrics marked “not comparable” were measured differently in A and B: their deltas are not judged."
            h += "</table><p>\(note)</p>\n"
        }
        let bad = d.verdict.regressedVsA || d.verdict.ownGatesFailed || !d.verdict.comparable
        h += "<p class=\"\(bad ? "reg" : "ok")\">\(esc(d.verdict.summary))</p>\n"
        h += "<h2>Metrics</h2>\n<table><tr><th>metric</th><th>A</th><th>B</th><th>Δ</th><th>95% CI</th><th></th></tr>\n"
        for m in d.metrics + d.assertionMetrics {
            let ci = m.ci.map { "[\(DiffText.num($0.low, signed: true)), \(DiffText.num($0.high, signed: true))]" } ?? ""
            let cls = !m.comparable ? "nc" : (m.regressed ? "reg" : (m.direction?.rawValue ?? ""))
            h += "<tr><td>\(esc(m.name))</td><td>\(m.a.map { DiffText.num($0) } ?? "—")</td><td>\(m.b.map { DiffText.num($0) } ?? "—")</td>"
            h += "<td>\(m.delta.map { DiffText.num($0, signed: true) } ?? "—")</td><td>\(ci)</td>"
            h += "<td class=\"\(cls)\">\(esc(DiffText.flag(m)))</td></tr>\n"
        }
        h += "</table>\n"
        h += "<p>Pass rate, Wilson 95%: A \(DiffText.pct(d.a.passRate)) [\(DiffText.pct(d.a.passRateWilson.low)), \(DiffText.pct(d.a.passRateWilson.high))], "
        h += "B \(DiffText.pct(d.b.passRate)) [\(DiffText.pct(d.b.passRateWilson.low)), \(DiffText.pct(d.b.passRateWilson.high))]<br>"
        h += "McNemar exact test: b = \(d.mcnemar.b) pass→fail, c = \(d.mcnemar.c) fail→pass, p = \(DiffText.pval(d.mcnemar.p))</p>\n"
        h += "<h2>Charts</h2><div class=\"charts\">\n"
        for m in d.metrics + d.assertionMetrics where m.a != nil && m.b != nil { h += chart(m) }
        h += "</div>\n<h2>Gates</h2><table><tr><th>gate</th><th>status</th><th>detail</th></tr>\n"
        for g in d.gates {
            h += "<tr><td>\(esc(g.gate))</td><td class=\"\(g.status == .fail ? "reg" : "ok")\">\(g.status.rawValue)</td><td style=\"text-align:left\">\(esc(g.detail))</td></tr>\n"
        }
        h += "</table>\n"
        if !d.configChanges.isEmpty {
            h += "<h2>Config changes</h2><table><tr><th>key</th><th>A</th><th>B</th></tr>\n"
            for c in d.configChanges { h += "<tr><td>\(esc(c.key))</td><td>\(esc(c.a ?? "—"))</td><td>\(esc(c.b ?? "—"))</td></tr>\n" }
            h += "</table>\n"
        }
        if !d.datasetChanges.isEmpty {
            h += "<h2>Dataset changes</h2><table><tr><th>split</th><th>rows A</th><th>rows B</th><th>added</th><th>removed</th></tr>\n"
            for c in d.datasetChanges { h += "<tr><td>\(esc(c.split))</td><td>\(c.rowsA)</td><td>\(c.rowsB)</td><td>\(c.added)</td><td>\(c.removed)</td></tr>\n" }
            h += "</table>\n"
        }
        for (title, list) in [("Regressed (pass → fail)", d.regressed), ("Fixed (fail → pass)", d.fixed)] {
            h += "<h2>\(title): \(list.count)</h2>\n"
            guard !list.isEmpty else { continue }
            h += "<table class=\"flip\"><tr><th>case</th><th>prompt / expected</th><th>A</th><th>B</th></tr>\n"
            for c in list {
                h += "<tr><td>\(esc(c.id))</td><td><pre>\(esc(c.prompt))</pre><hr><pre>\(esc(c.expected))</pre></td>"
                // Each side's failing assertions under its own output.
                for (output, failed) in [(c.outputA, c.failedA), (c.outputB, c.failedB)] {
                    h += "<td><pre>\(esc(output))</pre>"
                    if !failed.isEmpty { h += "<hr><pre>✗ " + failed.map(esc).joined(separator: "\n✗ ") + "</pre>" }
                    h += "</td>"
                }
                h += "</tr>\n"
            }
            h += "</table>\n"
        }
        for (title, ids) in [("Only in A", d.onlyInA), ("Only in B", d.onlyInB)] where !ids.isEmpty {
            h += "<h2>\(title): \(ids.count)</h2><p>" + ids.map(esc).joined(separator: ", ") + "</p>\n"
        }
        return h
    }

    /// Two bars (A, B) scaled to the larger value, and the delta with its CI whisker around zero.
    static func chart(_ m: ReportDiff.MetricDelta) -> String {
        let a = m.a ?? 0, b = m.b ?? 0
        let top = max(abs(a), abs(b), 1e-12)
        let w = 220.0, barH = 16.0
        let wa = abs(a) / top * (w - 60), wb = abs(b) / top * (w - 60)
        var s = "<div class=\"chart\"><b>\(esc(m.name))</b><br><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"96\" role=\"img\" aria-label=\"\(esc(m.name)) A vs B\">"
        s += "<text x=\"0\" y=\"13\" font-size=\"11\">A</text><rect x=\"14\" y=\"2\" width=\"\(f(wa))\" height=\"\(f(barH))\" fill=\"#8aa\"/>"
        s += "<text x=\"\(f(18 + wa))\" y=\"14\" font-size=\"11\">\(DiffText.num(a))</text>"
        s += "<text x=\"0\" y=\"35\" font-size=\"11\">B</text><rect x=\"14\" y=\"24\" width=\"\(f(wb))\" height=\"\(f(barH))\" fill=\"\(colour(m))\"/>"
        s += "<text x=\"\(f(18 + wb))\" y=\"36\" font-size=\"11\">\(DiffText.num(b))</text>"
        if let ci = m.ci, let d = m.delta {
            // Delta axis: symmetric around zero, wide enough for the CI.
            let span = max(abs(ci.low), abs(ci.high), abs(d), 1e-12) * 1.1
            func x(_ v: Double) -> Double { 14 + (v / span + 1) / 2 * (w - 28) }
            s += "<line x1=\"\(f(x(0)))\" y1=\"50\" x2=\"\(f(x(0)))\" y2=\"76\" stroke=\"#999\"/>"
            s += "<line x1=\"\(f(x(ci.low)))\" y1=\"63\" x2=\"\(f(x(ci.high)))\" y2=\"63\" stroke=\"#333\" stroke-width=\"2\"/>"
            s += "<circle cx=\"\(f(x(d)))\" cy=\"63\" r=\"4\" fill=\"\(m.direction == nil && !m.regressed ? "#555" : colour(m))\"/>"
            s += "<text x=\"0\" y=\"92\" font-size=\"11\">Δ \(DiffText.num(d, signed: true)) CI [\(DiffText.num(ci.low, signed: true)), \(DiffText.num(ci.high, signed: true))]</text>"
        }
        return s + "</svg></div>\n"
    }

    static func f(_ d: Double) -> String { String(format: "%.1f", d) }

    /// HTML-escapes text for element content and attribute values.
    public static func esc(_ s: String) -> String {
        var o = ""
        o.reserveCapacity(s.count)
        for ch in s {
            switch ch {
            case "&": o += "&amp;"
            case "<": o += "&lt;"
            case ">": o += "&gt;"
            case "\"": o += "&quot;"
            case "'": o += "&#39;"
            default: o.append(ch)
            }
        }
        return o
    }
}
