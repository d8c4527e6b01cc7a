import Foundation
import FTXEval
import FTXRegistry

/// `compare/<id>,<id>[,…].html` and `.json`: 2 to 8 runs, the first the baseline. Loss curves
/// overlaid, each metric against the baseline with its paired-bootstrap CI and the config keys that
/// differ (both from `ftx diff`'s ReportDiff), and for two runs the case-level diff `ftx diff
/// --html` shows (DiffHTML's fragment, the same bytes).
extension UISite {
    static let compareRuns = 2...8

    /// One compared run: its commit, train-log curves, and its diff against the baseline (nil for
    /// the baseline itself, or the reason there is none).
    struct ComparedRun {
        let id: String
        let commit: Registry.ResolvedCommit
        let curves: TrainCurves
        var diff: Result<ReportDiff, Error>?
    }

    func comparePage(_ r: UIRequest, _ rest: [String]) throws -> UIResponse {
        guard rest.count == 1 else { throw UIError.notFound("no such page: \(r.path)") }
        let (stem, format) = try Self.splitPageName(rest[0])
        let ids = stem.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard Self.compareRuns.contains(ids.count), !ids.contains(where: \.isEmpty) else {
            throw UIError.badRequest("compare takes 2 to 8 run ids separated by commas, got \(ids.filter { !$0.isEmpty }.count)")
        }
        var runs = try ids.map { id in
            let c = try runCommit(id)
            return ComparedRun(id: id, commit: c, curves: try trainCurves(c.commit) ?? TrainCurves())
        }
        // Each run against the baseline, as `ftx diff BASELINE RUN` computes it.
        for i in runs.indices.dropFirst() {
            runs[i].diff = Result(catching: { try registry.diff(runs[0].commit.id.hex, runs[i].commit.id.hex) })
        }
        return format == .json ? try .json(compareJSON(runs)) : .html(compareHTML(runs))
    }

    func compareHTML(_ runs: [ComparedRun]) -> String {
        let depth = 1
        let e = UIPage.esc
        var h = "<h1>Compare \(runs.count) runs</h1>\n<table><caption>Runs (the first is the baseline)</caption>"
        h += "<tr><th scope=\"col\">run</th><th scope=\"col\">message</th><th scope=\"col\">time</th><th scope=\"col\">base</th></tr>\n"
        for (i, run) in runs.enumerated() {
            h += "<tr><td>\(Self.runLink(run.commit.id.short, depth: depth))\(i == 0 ? " <span class=\"badge\">baseline</span>" : "")</td>"
            h += "<td>\(e(run.commit.commit.summary))</td><td>\(RunTable.day(run.commit.commit.author.time))</td>"
            h += "<td>\(e(run.commit.run?.baseName ?? "—"))</td></tr>\n"
        }
        h += "</table>\n<h2>Loss</h2><div class=\"charts\">\n"
        for (key, title) in [(\TrainCurves.loss, "train loss"), (\TrainCurves.validLoss, "valid loss")] {
            guard runs.contains(where: { !$0.curves[keyPath: key].isEmpty }) else { continue }
            let series = runs.map { SVGLineChart.Series(name: $0.commit.id.short, points: $0.curves[keyPath: key]) }
            h += SVGLineChart(title: title, xLabel: "step", series: series).render() + "\n"
        }
        h += "</div>\n" + compareMetricsHTML(runs) + compareConfigHTML(runs)
        if runs.count == 2, case .success(let d)? = runs[1].diff {
            h += "<section class=\"casediff\" aria-labelledby=\"casediff\"><h2 id=\"casediff\">Case-level diff: "
            h += "\(e(runs[0].commit.id.short)) → \(e(runs[1].commit.id.short))</h2>\n" + DiffHTML.body(d) + "</section>\n"
        }
        let title = "Compare " + runs.map(\.commit.id.short).joined(separator: ", ")
        return UIPage.document(title: title, depth: depth, active: .runs, body: h)
    }

    /// Each metric of the baseline, then per run its value, Δ and 95% CI against the baseline.
    func compareMetricsHTML(_ runs: [ComparedRun]) -> String {
        let e = UIPage.esc
        var h = "<h2>Metrics against the baseline</h2>\n"
        for run in runs.dropFirst() {
            if case .failure(let err)? = run.diff {
                h += "<p class=\"muted\">\(e(run.commit.id.short)): no comparison (\(e("\(err)")))</p>\n"
            }
        }
        let diffs = runs.dropFirst().map { run -> ReportDiff? in if case .success(let d)? = run.diff { return d }; return nil }
        guard let first = diffs.compactMap({ $0 }).first else { return h }
        h += "<div style=\"overflow-x:auto\"><table><tr><th scope=\"col\">metric</th><th scope=\"col\" class=\"num\">\(e(runs[0].commit.id.short)) (baseline)</th>"
        for run in runs.dropFirst() {
            let s = e(run.commit.id.short)
            h += "<th scope=\"col\" class=\"num\">\(s)</th><th scope=\"col\" class=\"num\">Δ \(s)</th><th scope=\"col\">95% CI</th>"
        }
        h += "</tr>\n"
        for metric in (first.metrics + first.assertionMetrics).map(\.name) {
            let base = diffs.lazy.compactMap { $0?.delta(metric)?.a }.first
            h += "<tr><th scope=\"row\">\(e(metric))</th><td class=\"num\">\(base.map { DiffText.num($0) } ?? "—")</td>"
            for d in diffs {
                guard let m = d?.delta(metric) else { h += "<td class=\"num\">—</td><td class=\"num\">—</td><td></td>"; continue }
                let cls = !m.comparable ? "nc" : (m.regressed ? "reg" : (m.direction?.rawValue ?? ""))
                let ci = m.ci.map { "[\(DiffText.num($0.low, signed: true)), \(DiffText.num($0.high, signed: true))]" } ?? ""
                h += "<td class=\"num\">\(m.b.map { DiffText.num($0) } ?? "—")</td>"
                h += "<td class=\"num \(cls)\">\(m.delta.map { DiffText.num($0, signed: true) } ?? "—")</td>"
                h += "<td>\(ci) <span class=\"\(cls)\">\(e(DiffText.flag(m)))</span></td>"
            }
            h += "</tr>\n"
        }
        return h + "</table></div>\n"
    }

    /// The config keys any run changes against the baseline, one row per key, one column per run.
    func compareConfigHTML(_ runs: [ComparedRun]) -> String {
        let e = UIPage.esc
        let table = compareConfig(runs)
        var h = "<h2>Config differences</h2>\n"
        guard !table.isEmpty else { return h + "<p>No config key differs from the baseline.</p>\n" }
        h += "<div style=\"overflow-x:auto\"><table><tr><th scope=\"col\">key</th>" + runs.map { "<th scope=\"col\">\(e($0.commit.id.short))</th>" }.joined() + "</tr>\n"
        for (key, values) in table {
            h += "<tr><th scope=\"row\"><code>\(e(key))</code></th>"
            for (i, v) in values.enumerated() {
                let changed = i > 0 && v != values[0]
                // A changed value is emphasised (not coloured: a change is neither better nor worse).
                h += changed ? "<td><strong>\(e(v ?? "—"))</strong></td>" : "<td>\(e(v ?? "—"))</td>"
            }
            h += "</tr>\n"
        }
        return h + "</table></div>\n"
    }

    /// Key → value per run, from each diff's config changes (a key a run does not change has the
    /// baseline's value). Runs whose diff failed compare their configs with the same ConfigDiff.
    func compareConfig(_ runs: [ComparedRun]) -> [(key: String, values: [String?])] {
        var changes: [[ReportDiff.ConfigChange]] = []
        for run in runs.dropFirst() {
            if case .success(let d)? = run.diff { changes.append(d.configChanges); continue }
            let cfg = { (c: Registry.ResolvedCommit) -> EvalJSON? in
                (try? self.registry.file("config.yaml", in: c.commit))
                    .flatMap { try? ReportDiff.Context.config(yaml: String(decoding: $0, as: UTF8.self)) }
            }
            changes.append(ConfigDiff.changes(cfg(runs[0].commit), cfg(run.commit)))
        }
        var baseline: [String: String?] = [:]
        for list in changes { for c in list { baseline.updateValue(c.a, forKey: c.key) } }
        return baseline.keys.sorted().map { key in
            let b = baseline[key] ?? nil
            return (key, [b] + changes.map { list in list.first { $0.key == key }.map(\.b) ?? b })
        }
    }

    func compareJSON(_ runs: [ComparedRun]) throws -> [String: Any] {
        var list: [[String: Any]] = []
        for run in runs {
            var o: [String: Any] = ["id": run.commit.id.hex, "short": run.commit.id.short, "requested": run.id,
                                    "message": run.commit.commit.summary, "time": run.commit.commit.author.time]
            o["curves"] = run.curves.json
            switch run.diff {
            case .success(let d)?: o["diff"] = try Self.jsonObject(d)
            case .failure(let err)?: o["diff_error"] = "\(err)"
            case nil: break
            }
            list.append(o)
        }
        let config = compareConfig(runs).map { row -> [String: Any] in
            ["key": row.key, "values": row.values.map { v -> Any in v.map { $0 as Any } ?? NSNull() }]
        }
        return ["baseline": runs[0].commit.id.hex, "runs": list, "config_differences": config]
    }
}

extension ReportDiff {
    /// The named metric's delta (metrics and per-assertion pass rates).
    func delta(_ name: String) -> MetricDelta? {
        metrics.first { $0.name == name } ?? assertionMetrics.first { $0.name == name }
    }
}
