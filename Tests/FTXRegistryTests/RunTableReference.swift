@testable import FTXRegistry

/// The straightforward renderings of `ftx log --metrics` and `ftx runs` over `[RunIndex.Row]`,
/// kept here as the reference the byte-level listings (`RunListing.logText`/`runsText`) must equal.
extension RunTable {
    static func metricColumns(_ rows: [RunIndex.Row], max: Int = 4) -> [String] {
        var names = Set<String>()
        for r in rows { names.formUnion(r.metrics.keys) }
        let first = headline.filter(names.contains)
        let rest = names.subtracting(first).sorted()
        return Array((first + rest).prefix(max))
    }

    static func gateText(_ r: RunIndex.Row) -> String {
        switch r.status {
        case .passed: return "passed"
        case .failed: return "FAILED" + (r.failedGates.isEmpty ? "" : " (\(r.failedGates.joined(separator: "; ")))")
        case .none: return r.isRun ? "-" : ""
        }
    }

    /// `ftx log --metrics`: one line per commit: id, date, gate status, headline metrics, summary.
    static func log(_ rows: [RunIndex.Row]) -> String {
        let cols = metricColumns(rows)
        var out = ""
        for r in rows {
            var line = "\(r.commit.prefix(12))  \(day(r.time))"
            if r.isRun {
                let metrics = cols.compactMap { c in r.metrics[c].map { "\(c)=\(formatNumber($0))" } }
                line += "  [\(gateText(r))]"
                if !metrics.isEmpty { line += "  " + metrics.joined(separator: " ") }
            }
            line += "  \(r.summary)"
            out += line + "\n"
        }
        return out
    }

    /// `ftx runs`: a table with params that differ between runs and headline metrics.
    static func runs(_ rows: [RunIndex.Row]) -> String {
        let mcols = metricColumns(rows, max: 5)
        var varying: [String] = []
        let allParams = Set(rows.flatMap { $0.params.keys }).sorted()
        for p in allParams where Set(rows.map { $0.params[p]?.description ?? "" }).count > 1 { varying.append(p) }
        let pcols = Array(varying.prefix(5))
        let header = ["COMMIT", "DATE", "GATES"] + pcols + mcols + ["MESSAGE"]
        let body = rows.map { r -> [String] in
            [String(r.commit.prefix(12)), day(r.time), r.status == .failed ? "FAILED" : r.status.rawValue]
                + pcols.map { r.params[$0]?.description ?? "" }
                + mcols.map { r.metrics[$0].map(formatNumber) ?? "" }
                + [r.summary]
        }
        return table(header, body)
    }
}
