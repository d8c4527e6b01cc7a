import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Crash-safe file writes: write to a temp file in the same directory, fsync it, rename it over the
/// destination, fsync the directory. A reader sees the old bytes or the new bytes, never a mix.
public enum AtomicFile {
    public struct WriteError: FTXError {
        public let message: String
        public let location: String?
    }

    /// Writes `data` to `path` atomically, creating parent directories as needed.
    public static func write(_ data: Data, to path: String, createDirectories: Bool = true) throws {
        try write(to: path, createDirectories: createDirectories) { fd in
            try data.withUnsafeBytes { raw in try writeAll(fd: fd, raw, path: path) }
        }
    }

    /// Atomic write whose body streams into the temp file's descriptor (for outputs too big to build in memory).
    public static func write(to path: String, createDirectories: Bool = true,
                             body: (Int32) throws -> Void) throws {
        let dir = (path as NSString).deletingLastPathComponent
        let directory = dir.isEmpty ? "." : dir
        if createDirectories {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let tmp = "\(directory)/.tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))-\((path as NSString).lastPathComponent)"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw WriteError(message: "cannot create temporary file: \(String(cString: strerror(errno)))", location: tmp)
        }
        var ok = false
        defer {
            if !ok { close(fd); unlink(tmp) }
        }
        try body(fd)
        guard fsync(fd) == 0 else {
            throw WriteError(message: "fsync failed: \(String(cString: strerror(errno)))", location: tmp)
        }
        close(fd)
        ok = true
        guard rename(tmp, path) == 0 else {
            let err = String(cString: strerror(errno))
            unlink(tmp)
            throw WriteError(message: "cannot rename into place: \(err)", location: path)
        }
        syncDirectory(directory)
    }

    /// Writes every byte of `raw` to `fd`, retrying on short writes and EINTR.
    public static func writeAll(fd: Int32, _ raw: UnsafeRawBufferPointer, path: String) throws {
        guard var p = raw.baseAddress else { return }
        var left = raw.count
        while left > 0 {
            let n = Glibc.write(fd, p, left)
            if n < 0 {
                if errno == EINTR { continue }
                throw WriteError(message: "write failed: \(String(cString: strerror(errno)))", location: path)
            }
            p += n
            left -= n
        }
    }

    /// fsync on a directory makes a rename inside it durable.
    public static func syncDirectory(_ directory: String) {
        let dfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }
}
