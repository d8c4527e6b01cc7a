import Foundation
import FTXCore
import FTXEval
import FTXRegistry
import FTXStore

/// One run (`run/<id>.html`, `.json`): its lineage (config, data, base, adapter, provenance), the
/// train log's curves, the eval report's metrics with Wilson intervals, gates and failing cases,
/// and every recorded file as a download by object id.
extension UISite {
    /// Largest train log and eval report read for a page (bigger ones are named, not drawn).
    static let maxLogBytes = 64 << 20
    static let maxReportBytes = 256 << 20
    /// Failing cases listed in full on the page.
    static let maxFailingCases = 200

    func runPage(_ r: UIRequest, _ rest: [String]) throws -> UIResponse {
        guard rest.count == 1 else { throw UIError.notFound("no such page: \(r.path)") }
        let (rev, format) = try Self.splitPageName(rest[0])
        let json = format == .json
        let lineage: RunLineage
        do {
            guard !rev.isEmpty, rev.count <= 200 else { throw UIError.notFound("no run '\(rev)'") }
            lineage = try registry.lineage(rev)
        } catch let e as UIError { throw e } catch {
            throw UIError.notFound("no run '\(rev)': \(Self.describe(error))")
        }
        let c = try registry.commit(lineage.commit.hex).commit
        let curves = try trainCurves(c)
        let report = try registry.entry("eval/report.json", in: c).flatMap { try fileIfSmall($0, Self.maxReportBytes) }
            .map { try EvalReport.decode($0, file: "eval/report.json") }
        return json ? try runJSON(lineage, curves: curves, report: report) : .html(runHTML(lineage, curves: curves, report: report))
    }

    /// A file's bytes when it is at most `limit` bytes, else nil.
    /// The curves of a run commit's train log; nil without one (or past `maxLogBytes`).
    func trainCurves(_ c: Commit) throws -> TrainCurves? {
        try registry.entry("train/log.jsonl", in: c).map { try fileIfSmall($0, Self.maxLogBytes).map(TrainCurves.init(log:)) } ?? nil
    }

    func fileIfSmall(_ e: TreeEntry, _ limit: Int) throws -> Data? {
        guard e.kind.isFile, try registry.repo.objects.fileSize(kind: e.kind, id: e.id) <= limit else { return nil }
        return try registry.readFile(e)
    }

    /// `artifact/<id>/<name>` of a recorded file (relative to the root).
    static func artifactHref(_ f: RunLineage.FileFact) -> String {
        let name = (f.path as NSString).lastPathComponent
        return "artifact/\(f.id)/" + (name.addingPercentEncoding(withAllowedCharacters: unreserved) ?? name)
    }

    /// Pass rate and exact match with their Wilson 95% intervals, then the other headline metrics.
    static func evalMetricRows(_ r: EvalReport) -> [(name: String, value: Double, ci: Statistics.Interval?)] {
        let m = r.metrics, n = m.cases
        var out: [(String, Double, Statistics.Interval?)] = [
            ("pass_rate", m.passRate, Statistics.wilson(successes: m.passed, n: n)),
            ("exact_match", m.exactMatch, Statistics.wilson(successes: r.cases.filter(\.exactMatch).count, n: n)),
            ("mean_score", m.meanScore, nil),
        ]
        if let l = m.loss { out.append(("loss", l, nil)) }
        if let p = m.perplexity { out.append(("perplexity", p, nil)) }
        return out
    }

    func runJSON(_ l: RunLineage, curves: TrainCurves?, report: EvalReport?) throws -> UIResponse {
        var j = l.json
        j["train_log"] = curves?.json as Any
        if let report {
            j["eval"] = [
                "suite": report.suite.name, "cases": report.metrics.cases, "passed": report.metrics.passed,
                "metrics": Self.evalMetricRows(report).map { m -> [String: Any] in ["name": m.name, "value": m.value, "wilson95": m.ci.map { [$0.low, $0.high] } as Any] },
                "gates": report.gates.map { g -> [String: Any] in ["gate": g.gate, "status": g.status.rawValue, "value": g.value as Any, "detail": g.detail] },
                "failing": report.cases.filter { !$0.pass }.prefix(Self.maxFailingCases).map { c -> [String: Any] in
                    ["id": c.id, "prompt": c.prompt, "expected": c.expected, "output": c.output,
                     "failed_assertions": c.assertions.filter { !$0.pass }.map { a -> [String: Any] in ["type": a.type, "reason": a.reason as Any] }]
                },
            ] as [String: Any]
        }
        j["artifacts"] = l.recorded.map { f -> [String: Any] in ["path": f.path, "id": f.id, "size": f.size, "href": Self.artifactHref(f)] }
        return try .json(j)
    }

    func runHTML(_ l: RunLineage, curves: TrainCurves?, report: EvalReport?) -> String {
        let short = String(l.commit.hex.prefix(12)), h = l.header, root = UIPage.root(1), esc = UIPage.esc
        var b = "<h1>Run <code>\(short)</code></h1>\n<p>\(esc(l.message.trimmingCharacters(in: .whitespacesAndNewlines)))</p>\n"
        b += "<p class=\"muted\">\(esc(l.author)) · <time datetime=\"\(l.time)\">\(RunTable.day(l.time)) UTC</time> · gates <span class=\"\(h.gateStatus.rawValue)\">\(h.gateStatus.rawValue)</span>"
        for env in l.deployedIn { b += " <span class=\"badge\">\(esc(env))</span>" }
        if let p = l.parents.first, (try? registry.commit(p.hex).run) != nil {
            let ps = String(p.hex.prefix(12))
            b += " · parent <a href=\"\(ps).html\"><code>\(ps)</code></a> (<a href=\"\(root)compare/\(ps),\(short).html\">compare</a>)"
        }
        b += "</p>\n"

        b += "<h2>Training</h2>\n"
        if let c = curves, !(c.loss.isEmpty && c.validLoss.isEmpty && c.learningRate.isEmpty && c.tokensPerSecond.isEmpty) {
            b += "<div class=\"charts\">"
            b += SVGLineChart(title: "Loss", xLabel: "step", series: [.init(name: "train loss", points: c.loss), .init(name: "valid loss", points: c.validLoss)].filter { !$0.points.isEmpty }).render()
            if !c.learningRate.isEmpty { b += SVGLineChart(title: "Learning rate", xLabel: "step", series: [.init(name: "lr", points: c.learningRate)]).render() }
            if !c.tokensPerSecond.isEmpty { b += SVGLineChart(title: "Tokens/s", xLabel: "step", series: [.init(name: "tokens/s", points: c.tokensPerSecond)]).render() }
            b += "</div>\n"
        } else {
            b += "<p class=\"muted\">No train log recorded (train/log.jsonl).</p>\n"
        }

        b += "<h2>Evaluation</h2>\n"
        if let r = report {
            b += "<p>suite <code>\(esc(r.suite.name))</code>, \(r.metrics.passed) of \(r.metrics.cases) cases passed</p>\n"
            b += "<table><thead><tr><th scope=\"col\">metric</th><th scope=\"col\" class=\"num\">value</th><th scope=\"col\">Wilson 95%</th></tr></thead><tbody>\n"
            for m in Self.evalMetricRows(r) {
                b += "<tr><td>\(m.name)</td><td class=\"num\">\(formatNumber(m.value))</td><td>\(m.ci.map { "[\(formatNumber($0.low)), \(formatNumber($0.high))]" } ?? "")</td></tr>\n"
            }
            b += "</tbody></table>\n"
        } else {
            b += "<p class=\"muted\">No eval report recorded (eval/report.json).</p>\n"
        }
        b += "<h3>Gates</h3>\n"
        if h.gates.isEmpty { b += "<p class=\"muted\">No gates.</p>\n" } else {
            b += "<ul class=\"gates\">"
            for g in h.gates {
                b += "<li><span class=\"\(g.passed ? "passed" : "failed")\">\(g.passed ? "pass" : "FAIL")</span> \(esc(g.name))\(g.detail.isEmpty ? "" : " <span class=\"muted\">(\(esc(g.detail)))</span>")</li>"
            }
            b += "</ul>\n"
        }
        if let r = report {
            let failing = r.cases.filter { !$0.pass }
            b += "<h3>Failing cases (\(failing.count))</h3>\n"
            if failing.count > Self.maxFailingCases { b += "<p class=\"muted\">The first \(Self.maxFailingCases) are shown; the report artifact holds them all.</p>\n" }
            if !failing.isEmpty {
                b += "<table class=\"cases\"><thead><tr><th scope=\"col\">case</th><th scope=\"col\">prompt</th><th scope=\"col\">expected</th><th scope=\"col\">output</th><th scope=\"col\">failed assertions</th></tr></thead><tbody>\n"
                for c in failing.prefix(Self.maxFailingCases) {
                    let failed = c.assertions.filter { !$0.pass }.map { "<li>\(esc($0.type))\($0.reason.map { ": " + esc($0) } ?? "")</li>" }.joined()
                    b += "<tr><td><code>\(esc(c.id))</code></td><td><pre>\(esc(c.prompt))</pre></td><td><pre>\(esc(c.expected))</pre></td><td><pre>\(esc(c.output))</pre></td><td>\(failed.isEmpty ? "" : "<ul>\(failed)</ul>")</td></tr>\n"
                }
                b += "</tbody></table>\n"
            }
        }

        b += "<h2>Lineage</h2>\n<table><tbody>\n"
        b += "<tr><th scope=\"row\">commit</th><td><code>\(l.commit.hex)</code></td></tr>\n"
        b += "<tr><th scope=\"row\">base</th><td>\(esc(h.baseName ?? "?")) <code>\(esc(h.baseID ?? "?"))</code>\(l.base.map { $0.linked ? " (linked: \(esc($0.path)))" : " (stored, \($0.size) bytes)" } ?? " (not registered here)")</td></tr>\n"
        b += "<tr><th scope=\"row\">seed</th><td>\(h.seed.map(String.init) ?? "?")</td></tr>\n"
        b += "<tr><th scope=\"row\">engine</th><td>\(esc(h.engine ?? "?"))</td></tr>\n"
        b += "<tr><th scope=\"row\">code</th><td>\(h.code.map { "<code>\(esc($0.commit))</code>\($0.branch.map { " (\(esc($0)))" } ?? "")\($0.dirty ? " dirty" : "")" } ?? "none (no git repository)")</td></tr>\n"
        b += "<tr><th scope=\"row\">host</th><td>\(esc(h.hostCPU ?? "?")), \(h.hostThreads.map(String.init) ?? "?") threads\(h.wallSeconds.map { ", wall \(String(format: "%.1f", $0)) s" } ?? "")</td></tr>\n"
        b += "</tbody></table>\n"
        b += "<h3>Data</h3>\n" + factTable(l.data, rows: true)
        b += "<h3>Adapter</h3>\n" + factTable(l.adapter, rows: false)
        if let config = l.config { b += "<h3>Config</h3>\n<pre class=\"config\">\(esc(config))</pre>\n" }
        b += "<h2>Artifacts</h2>\n" + factTable(l.recorded, rows: false, download: true)
        return UIPage.document(title: "Run \(short)", depth: 1, active: .runs, body: b)
    }

    /// Files with their object ids and sizes (and row counts, and download links).
    func factTable(_ facts: [RunLineage.FileFact], rows: Bool, download: Bool = false) -> String {
        guard !facts.isEmpty else { return "<p class=\"muted\">none</p>\n" }
        var b = "<table><thead><tr><th scope=\"col\">path</th><th scope=\"col\">object id</th><th scope=\"col\" class=\"num\">bytes</th>"
        if rows { b += "<th scope=\"col\" class=\"num\">rows</th>" }
        b += "</tr></thead><tbody>\n"
        for f in facts {
            let path = download ? "<a href=\"\(UIPage.root(1))\(UIPage.esc(Self.artifactHref(f)))\" download>\(UIPage.esc(f.path))</a>" : UIPage.esc(f.path)
            b += "<tr><td>\(path)</td><td><code title=\"\(f.id)\">\(f.id.prefix(12))</code></td><td class=\"num\">\(f.size)</td>"
            if rows { b += "<td class=\"num\">\(f.rows.map(String.init) ?? "")</td>" }
            b += "</tr>\n"
        }
        return b + "</tbody></table>\n"
    }
}
