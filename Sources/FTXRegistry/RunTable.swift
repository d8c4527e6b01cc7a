import Foundation

/// Text and JSON renderings of run rows, shared by `ftx runs` and `ftx log --metrics` (and any
/// store command that wants to show run facts beside commits).
public enum RunTable {
    /// Metrics shown as columns when present, in this order; others follow alphabetically.
    public static let headline = ["pass_rate", "exact_match", "mean_score", "loss", "perplexity"]

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
    public static func log(_ rows: [RunIndex.Row]) -> String {
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
    public static func runs(_ rows: [RunIndex.Row]) -> String {
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

    public static func json(_ r: RunIndex.Row) -> [String: Any] {
        var params: [String: Any] = [:]
        for (k, v) in r.params {
            switch v { case .number(let d): params[k] = d; case .text(let s): params[k] = s }
        }
        return ["commit": r.commit, "parent": r.parent as Any, "time": r.time, "author": r.author, "message": r.summary,
                "is_run": r.isRun, "gate_status": r.status.rawValue, "failed_gates": r.failedGates,
                "base": r.baseName as Any, "metrics": r.metrics, "params": params]
    }

    /// UTC "yyyy-MM-dd HH:mm" (computed directly: a formatter per row is slow on 10k-row tables).
    public static func day(_ t: Int64) -> String {
        let c = civil(t)
        func pad(_ v: Int64, _ w: Int) -> String {
            let t = String(v)
            return t.count >= w ? t : String(repeating: "0", count: w - t.count) + t
        }
        return "\(pad(c.year, 4))-\(pad(c.month, 2))-\(pad(c.day, 2)) \(pad(c.hour, 2)):\(pad(c.minute, 2))"
    }

    /// The UTC calendar date and time of unix time `t` (Howard Hinnant's civil-from-days).
    static func civil(_ t: Int64) -> (year: Int64, month: Int64, day: Int64, hour: Int64, minute: Int64) {
        let days = t >= 0 ? t / 86400 : (t - 86399) / 86400
        let secs = t - days * 86400
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d, secs / 3600, (secs % 3600) / 60)
    }

    /// Left-aligned columns separated by two spaces (the last column unpadded).
    public static func table(_ header: [String], _ rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in
                i == cells.count - 1 ? c : c + String(repeating: " ", count: max(0, widths[i] - c.count))
            }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n") + "\n"
    }
}
