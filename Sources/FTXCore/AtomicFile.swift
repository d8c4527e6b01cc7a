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
        let dir = SlashPath.parent(path)
        let directory = dir.isEmpty ? "." : dir
        if createDirectories {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let tmp = SlashPath.join(directory, temporaryName(for: SlashPath.lastComponent(path)))
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

    /// The longest file name (bytes) the filesystems we run on accept (NAME_MAX).
    public static let maxNameBytes = 255

    /// `.tmp-<pid>-<random>-<name>`, with `name` cut (at a character boundary) so the whole stays
    /// within NAME_MAX: a 255-byte file must still be writable. The name part is only a hint for
    /// people looking at a leftover; `temporaryOwner` needs just the prefix.
    public static func temporaryName(for name: String) -> String {
        let prefix = ".tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))-"
        var kept = Substring(name)
        while prefix.utf8.count + kept.utf8.count > maxNameBytes { kept = kept.dropLast() }
        return prefix + kept
    }

    /// The longest file path (bytes, with its NUL) the kernel accepts (PATH_MAX).
    public static let maxPathBytes = 4096

    /// True when `path` and the temporary written beside it both fit PATH_MAX, so a write can be
    /// refused before it starts rather than fail halfway through a batch.
    public static func pathFits(_ path: String) -> Bool {
        let name = SlashPath.lastComponent(path).utf8.count
        // ".tmp-" + pid (≤ 10 digits) + "-" + random UInt64 (≤ 20 digits) + "-", then the name.
        let temporary = min(maxNameBytes, 37 + name)
        return name <= maxNameBytes && path.utf8.count - name + temporary < maxPathBytes
    }

    /// The pid in the name of a temporary file (AtomicFile's `.tmp-<pid>-<random>-<name>`, or a
    /// pack's `.tmp-pack-<pid>-<random>`); nil when the name is not a temporary's.
    public static func temporaryOwner(ofName name: String) -> Int32? {
        guard name.hasPrefix(".tmp-") else { return nil }
        var rest = name.dropFirst(5)
        let isPack = rest.hasPrefix("pack-")
        if isPack { rest = rest.dropFirst(5) }
        let parts = rest.split(separator: "-", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == (isPack ? 2 : 3), let pid = Int32(parts[0]), pid > 0, UInt64(parts[1]) != nil else { return nil }
        return pid
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
        let dfd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }
}
