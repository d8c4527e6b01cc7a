import Foundation
import FTXData

/// Reads the request log of one environment (`.ftx/serve/ENV/YYYY-MM-DD.jsonl`, written by
/// `ftx serve`) over a time window. The log is untrusted input: a line longer than
/// `maxLineBytes`, or one that is not a `RequestLogLine`, is counted and named by file:line, never
/// fatal. A last line without its newline that does not parse is a torn write (the server was
/// killed mid-write) and is counted as such.
public struct MonitorLog: Sendable {
    public var lines: [RequestLogLine] = []
    /// Log files read (those whose day overlaps the window).
    public var files: [String] = []
    /// Torn last lines skipped.
    public var torn = 0
    /// Lines skipped because they are not request-log lines, "file:line: why" (the first
    /// `maxProblemsListed`; `skipped` counts them all).
    public var problems: [String] = []
    public var skipped = 0

    public static let maxLineBytes = 16 << 20
    public static let maxProblemsListed = 20

    public init() {}

    /// The window is [since, until) on each line's `time`; nil bounds are open.
    public static func read(directory: String, since: Date?, until: Date?) throws -> MonitorLog {
        var log = MonitorLog()
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names.sorted() {
            guard name.hasSuffix(".jsonl"), let day = LogTime.day(String(name.dropLast(6))) else { continue }
            // A file holds the requests that arrived on its UTC day.
            if let since, day.addingTimeInterval(86_400) <= since { continue }
            if let until, day >= until { continue }
            let path = directory + "/" + name
            log.files.append(path)
            try log.readFile(path, since: since, until: until)
        }
        return log
    }

    mutating func readFile(_ path: String, since: Date?, until: Date?) throws {
        let decoder = JSONDecoder()
        var lastLine = 0
        var failed: [(line: Int, why: String)] = []
        do {
            try LineReader(path: path, maxLineBytes: Self.maxLineBytes).forEachBatch { batch in
                for span in batch.lines {
                    lastLine = span.line
                    let line: RequestLogLine
                    do { line = try decoder.decode(RequestLogLine.self, from: Data(buffer: batch.bytes(span))) } catch {
                        failed.append((span.line, Self.describe(error)))
                        continue
                    }
                    guard let t = LogTime.parse(line.time) else {
                        failed.append((span.line, "time '\(line.time.prefix(40))' is not ISO 8601 UTC"))
                        continue
                    }
                    if let since, t < since { continue }
                    if let until, t >= until { continue }
                    lines.append(line)
                }
            }
        } catch let e as DataError {
            // An over-long line (or an unreadable file) stops this file only.
            failed.append((Int.max, "\(e.location ?? path): \(e.message); the rest of the file is skipped"))
        }
        let tornAtEnd = !Self.endsWithNewline(path)
        for f in failed {
            if f.line == Int.max { note(f.why) } else if tornAtEnd && f.line == lastLine { torn += 1 } else { note("\(path):\(f.line): \(f.why)") }
        }
    }

    mutating func note(_ problem: String) {
        skipped += 1
        if problems.count < Self.maxProblemsListed { problems.append(problem) }
    }

    static func endsWithNewline(_ path: String) -> Bool {
        guard let h = FileHandle(forReadingAtPath: path) else { return true }
        defer { try? h.close() }
        guard let end = try? h.seekToEnd(), end > 0 else { return true }
        try? h.seek(toOffset: end - 1)
        return (try? h.read(upToCount: 1)) == Data([0x0A])
    }

    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "missing field '\(key.stringValue)'"
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c):
            return "wrong type at '\(c.codingPath.map(\.stringValue).joined(separator: "."))'"
        case DecodingError.dataCorrupted: return "not valid JSON"
        default: return "not a request-log line"
        }
    }
}

/// The log's time stamps: ISO 8601 UTC with milliseconds (`2026-12-06T10:00:00.000Z`), and the
/// days that name its files.
public enum LogTime {
    public static func parse(_ s: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: s) { return d }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: s)
    }

    public static func format(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: d)
    }

    /// Midnight UTC of a `YYYY-MM-DD` file name.
    public static func day(_ name: String) -> Date? {
        guard name.count == 10 else { return nil }
        return parse(name + "T00:00:00Z")
    }

    /// "30m", "24h", "7d", "90s" as seconds; nil if malformed or not positive.
    public static func duration(_ s: String) -> TimeInterval? {
        guard let unit = s.last, let n = Double(s.dropLast()), n > 0, n.isFinite else { return nil }
        switch unit {
        case "s": return n
        case "m": return n * 60
        case "h": return n * 3600
        case "d": return n * 86_400
        case "w": return n * 7 * 86_400
        default: return nil
        }
    }
}
