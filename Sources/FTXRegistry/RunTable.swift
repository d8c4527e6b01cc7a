import Foundation

/// Renderings of run rows shared by `ftx runs` and `ftx log --metrics`: JSON, dates, numbers and
/// plain tables. The text listings themselves are `RunListing.logText`/`runsText` (one buffer).
public enum RunTable {
    /// Metrics shown as columns when present, in this order; others follow alphabetically.
    public static let headline = ["pass_rate", "exact_match", "mean_score", "loss", "perplexity"]

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
