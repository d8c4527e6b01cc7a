import Foundation
import FTXData
import FTXEval
import FTXRegistry

/// `data.html`: the dataset versions per split that runs recorded, with row counts.
/// `data/<split>/<version>.html`: one version and `ftx data check`'s findings on it (computed on
/// demand with FTXData's checker, for files up to `maxCheckBytes`).
/// `data/<split>/<a>,<b>.html`: the rows version b adds to and removes from version a, counted as
/// `ftx diff` counts dataset changes.
extension UISite {
    static let maxCheckBytes = 16 << 20
    /// Rows listed per side of a row diff (the counts are always whole).
    static let maxRowsShown = 100
    /// Largest version a row diff reads into memory.
    static let maxDiffBytes = 64 << 20

    func dataPage(_ r: UIRequest, _ rest: [String]) throws -> UIResponse {
        if r.components.first == "data.html" {
            guard rest.isEmpty else { throw UIError.notFound("no such page: \(r.path)") }
            return .html(dataOverviewHTML(try DataVersions(registry)))
        }
        guard rest.count == 2 else { throw UIError.notFound("no such page: \(r.path)") }
        let (stem, format) = try Self.splitPageName(rest[1])
        guard format == .html else { throw UIError.notFound("no such page: \(r.path)") }
        let versions = try DataVersions(registry)
        let ids = stem.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        switch ids.count {
        case 1: return .html(try dataVersionHTML(try versions.version(rest[0], ids[0])))
        case 2: return .html(try dataRowDiffHTML(try versions.version(rest[0], ids[0]), try versions.version(rest[0], ids[1])))
        default: throw UIError.badRequest("a row diff takes two versions: data/<split>/<a>,<b>.html")
        }
    }

    func dataOverviewHTML(_ data: DataVersions) -> String {
        let e = UIPage.esc
        var h = "<h1>Data</h1>\n<p>Dataset versions per split, as the runs recorded them (<code>data/&lt;split&gt;.jsonl</code> in each run commit).</p>\n"
        if data.truncated { h += "<p class=\"muted\">Only the newest \(DataVersions.maxRuns) runs are read.</p>\n" }
        if data.splits.isEmpty { h += "<p>No run has recorded data yet.</p>\n" }
        for (split, versions) in data.splits {
            h += "<section aria-labelledby=\"split-\(e(split))\"><h2 id=\"split-\(e(split))\">\(e(split))</h2>\n<table><tr>"
            h += ["version", "rows", "bytes", "first run", "runs", "change"].map { "<th scope=\"col\">\($0)</th>" }.joined() + "</tr>\n"
            for (i, v) in versions.enumerated() {
                let here = "data/\(e(split))/"
                h += "<tr><td><a href=\"\(here)\(v.short).html\"><code>\(v.short)</code></a></td><td class=\"num\">\(v.rows)</td>"
                h += "<td class=\"num\">\(v.bytes)</td><td>\(Self.runLink(v.runs[0].short, depth: 0)) \(e(v.runs[0].summary))</td>"
                h += "<td class=\"num\">\(v.runs.count)</td><td>"
                if i > 0 { h += "<a href=\"\(here)\(versions[i - 1].short),\(v.short).html\">rows added and removed since \(versions[i - 1].short)</a>" }
                h += "</td></tr>\n"
            }
            h += "</table></section>\n"
        }
        return UIPage.document(title: "Data", depth: 0, active: .data, body: h)
    }

    func dataVersionHTML(_ v: DataVersions.Version) throws -> String {
        let e = UIPage.esc
        let depth = 2
        var h = "<h1>\(e(v.split)) <code>\(v.short)</code></h1>\n<p>\(v.rows) rows, \(v.bytes) bytes, object <code>\(v.id.hex)</code>.</p>\n"
        h += "<h2>Runs that recorded it</h2><ul>"
        for run in v.runs { h += "<li>\(Self.runLink(run.short, depth: depth)) \(RunTable.day(run.time)) \(e(run.summary))</li>" }
        h += "</ul>\n<h2>Checks (<code>ftx data check</code>)</h2>\n"
        if v.bytes > Self.maxCheckBytes {
            h += "<p>Not checked here: the file is larger than \(Self.maxCheckBytes >> 20) MiB. Run <code>ftx data check</code> on it.</p>\n"
        } else {
            h += try withMaterialized(v) { path, dir in dataCheckHTML(try DataChecker.check([DatasetInput(path: path, role: SplitRole.guess(from: path))]), dir: dir) }
        }
        return UIPage.document(title: "\(v.split) \(v.short)", depth: depth, active: .data, body: h)
    }

    func dataCheckHTML(_ r: DataCheckReport, dir: String) -> String {
        let e = UIPage.esc
        // Locations name the temporary copy: show them as the split's file name.
        func place(_ s: String) -> String { e(s.hasPrefix(dir + "/") ? String(s.dropFirst(dir.count + 1)) : s) }
        var h = "<table><tr><th scope=\"col\">check</th><th scope=\"col\">severity</th><th scope=\"col\">status</th><th scope=\"col\">summary</th></tr>\n"
        for c in r.checks {
            let cls = c.status == .fail ? "bad" : (c.status == .warn ? "worse" : "")
            h += "<tr><td>\(e(c.name))</td><td>\(e(c.severity.rawValue))</td><td class=\"\(cls)\">\(e(c.status.rawValue))</td><td>\(e(c.summary))</td></tr>\n"
        }
        h += "</table>\n"
        for c in r.checks where !c.findings.isEmpty {
            h += "<h3>\(e(c.name))</h3><ul>"
            for f in c.findings.prefix(20) { h += "<li>\(e(f.message)) <span class=\"muted\">\(f.locations.prefix(8).map(place).joined(separator: " "))</span></li>" }
            if c.findings.count > 20 { h += "<li class=\"muted\">… \(c.findings.count - 20) more</li>" }
            h += "</ul>\n"
        }
        return h
    }

    func dataRowDiffHTML(_ a: DataVersions.Version, _ b: DataVersions.Version) throws -> String {
        let e = UIPage.esc
        let depth = 2
        for v in [a, b] where v.bytes > Self.maxDiffBytes {
            throw UIError.badRequest("\(v.split) \(v.short) is larger than \(Self.maxDiffBytes >> 20) MiB: compare it with `ftx diff`")
        }
        let rowsA = try withMaterialized(a) { path, _ in try ExampleReader.readAll(path: path) }
        let rowsB = try withMaterialized(b) { path, _ in try ExampleReader.readAll(path: path) }
        let change = ConfigDiff.rowChanges(rowsA.map(\.id), rowsB.map(\.id))
        var h = "<h1>\(e(a.split)): <a href=\"\(a.short).html\"><code>\(a.short)</code></a> → <a href=\"\(b.short).html\"><code>\(b.short)</code></a></h1>\n"
        h += "<p>\(rowsA.count) → \(rowsB.count) rows: <span class=\"added\">\(change.added.count) added</span>, "
        h += "<span class=\"removed\">\(change.removed.count) removed</span>.</p>\n"
        for (title, ids, rows) in [("Added", change.added, rowsB), ("Removed", change.removed, rowsA)] {
            h += "<h2>\(title): \(ids.count)</h2>\n"
            guard !ids.isEmpty else { continue }
            var byID: [String: Example] = [:]
            for x in rows where byID[x.id] == nil { byID[x.id] = x }
            h += "<table><tr><th scope=\"col\">line</th><th scope=\"col\">input</th><th scope=\"col\">output</th></tr>\n"
            for id in ids.prefix(Self.maxRowsShown) {
                guard let x = byID[id] else { continue }
                h += "<tr><td class=\"num\">\(x.source?.line ?? 0)</td><td><pre>\(e(String(x.input.prefix(400))))</pre></td><td><pre>\(e(String(x.output.prefix(400))))</pre></td></tr>\n"
            }
            h += "</table>\n"
            if ids.count > Self.maxRowsShown { h += "<p class=\"muted\">… and \(ids.count - Self.maxRowsShown) more.</p>\n" }
        }
        return UIPage.document(title: "\(a.split) \(a.short) → \(b.short)", depth: depth, active: .data, body: h)
    }

    /// Writes a stored version to a temporary `<split>.jsonl` (the readers and the checker take
    /// paths), calls `body` with its path and folder, and removes it.
    func withMaterialized<T>(_ v: DataVersions.Version, _ body: (String, String) throws -> T) throws -> T {
        let dir = NSTemporaryDirectory() + "ftx-ui-data-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/" + (v.split.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" } ? v.split : "data") + ".jsonl"
        guard FileManager.default.createFile(atPath: path, contents: nil), let out = FileHandle(forWritingAtPath: path) else {
            throw UIError.badRequest("cannot write a temporary copy of \(v.short)")
        }
        defer { try? out.close() }
        try registry.repo.objects.streamFile(kind: v.kind, id: v.id) { try out.write(contentsOf: $0) }
        return try body(path, dir)
    }
}
