import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Progress for long work: a redrawn bar on a terminal, plain periodic lines otherwise (logs, CI).
/// Writes to stderr so stdout stays clean for `--json` and piping.
public final class ProgressReporter: @unchecked Sendable {
    public let total: Int
    public let label: String
    private let isTTY: Bool
    private let start = Date()
    private var lastPrint = Date.distantPast
    private let minInterval: TimeInterval
    private let enabled: Bool
    /// Renders a count of units (e.g. bytes as "12.3 MB"); plain numbers by default.
    private let format: (Int) -> String

    public init(label: String, total: Int, enabled: Bool = true, minInterval: TimeInterval? = nil,
                format: @escaping (Int) -> String = { String($0) }) {
        self.label = label
        self.total = max(total, 1)
        self.isTTY = isatty(STDERR_FILENO) != 0
        self.enabled = enabled
        self.format = format
        self.minInterval = minInterval ?? (isatty(STDERR_FILENO) != 0 ? 0.1 : 5.0)
    }

    /// Report `done` of `total` units, with extra fields (e.g. "loss 1.23", "412 tok/s").
    public func update(_ done: Int, _ fields: [String] = [], force: Bool = false) {
        guard enabled else { return }
        let now = Date()
        if !force && done < total && now.timeIntervalSince(lastPrint) < minInterval { return }
        lastPrint = now
        let elapsed = now.timeIntervalSince(start)
        let frac = Double(done) / Double(total)
        let eta = done > 0 ? elapsed / Double(done) * Double(total - done) : 0
        let extra = fields.isEmpty ? "" : "  " + fields.joined(separator: "  ")
        if isTTY {
            let width = 24
            let filled = min(width, Int(frac * Double(width)))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            let line = "\r\u{1B}[K\(label) \(bar) \(format(done))/\(format(total))\(extra)  eta \(Self.formatDuration(eta))"
            FileHandle.standardError.write(Data(line.utf8))
            if done >= total { FileHandle.standardError.write(Data("\n".utf8)) }
        } else {
            let line = "\(label): \(format(done))/\(format(total))\(extra)  elapsed \(Self.formatDuration(elapsed)) eta \(Self.formatDuration(eta))\n"
            FileHandle.standardError.write(Data(line.utf8))
        }
    }

    /// "512 B", "12.3 kB", "45.6 MB", "1.20 GB" (decimal units, as transfer rates are quoted).
    public static func formatBytes<I: BinaryInteger>(_ n: I) -> String {
        let b = Double(n)
        if b < 1000 { return "\(n) B" }
        for (unit, scale) in [("kB", 1e3), ("MB", 1e6)] where b < scale * 1000 { return String(format: "%.1f", b / scale) + " " + unit }
        return String(format: "%.2f GB", b / 1e9)
    }

    public static func formatDuration(_ s: Double) -> String {
        guard s.isFinite else { return "?" }
        let t = Int(s.rounded())
        if t >= 3600 { return String(format: "%dh%02dm", t / 3600, (t % 3600) / 60) }
        if t >= 60 { return String(format: "%dm%02ds", t / 60, t % 60) }
        return "\(t)s"
    }
}
