import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Appends `RequestLogLine`s to `<root>/ENV/YYYY-MM-DD.jsonl` (UTC day of the request's arrival):
/// one write(2) per line on an O_APPEND descriptor, so a kill -9 leaves only whole lines.
public final class RequestLog: @unchecked Sendable {
    public let root: String
    private let lock = NSLock()
    private var fds: [String: Int32] = [:]  // file path → open descriptor
    private let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    public init(root: String) { self.root = root }

    /// The file a request that arrived at `time` (ISO 8601, UTC) in `env` is logged to.
    public func path(env: String, time: String) -> String { "\(root)/\(env)/\(time.prefix(10)).jsonl" }

    public func append(_ line: RequestLogLine) throws {
        var data = try encoder.encode(line)
        data.append(UInt8(ascii: "\n"))
        let path = path(env: line.env, time: line.time)
        try lock.withLock {
            let fd = try descriptor(path)
            let n = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard n == data.count else { throw ServeError(.internal, "cannot append to the request log \(path): \(String(cString: strerror(errno)))") }
        }
    }

    private func descriptor(_ path: String) throws -> Int32 {
        if let fd = fds[path] { return fd }
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ServeError(.internal, "cannot open the request log \(path): \(String(cString: strerror(errno)))") }
        // Yesterday's files are done with: one descriptor per environment and day stays open.
        for (p, old) in fds where (p as NSString).deletingLastPathComponent == (path as NSString).deletingLastPathComponent {
            _ = Glibc.close(old); fds[p] = nil
        }
        fds[path] = fd
        return fd
    }

    public func close() {
        lock.withLock {
            for fd in fds.values { _ = Glibc.close(fd) }
            fds.removeAll()
        }
    }

    /// ISO 8601 UTC with milliseconds, the log's `time`.
    public static func timestamp(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: date)
    }
}
