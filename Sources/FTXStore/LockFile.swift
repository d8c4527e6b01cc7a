import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `<path>.lock` created with O_EXCL. It records the owner's pid so a lock left by a
/// killed process is recognized as stale (and named in the error) instead of waited on forever.
public final class LockFile {
    public let path: String
    private(set) var fd: Int32
    private var held = true

    /// How long to wait for a live owner before giving up (FTX_LOCK_TIMEOUT seconds, default 10).
    public static var timeout: Double {
        ProcessInfo.processInfo.environment["FTX_LOCK_TIMEOUT"].flatMap(Double.init) ?? 10
    }

    private init(path: String, fd: Int32) { self.path = path; self.fd = fd }

    public static func acquire(_ path: String) throws -> LockFile {
        let deadline = Date().addingTimeInterval(timeout)
        var delay: useconds_t = 1000
        let dir = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        while true {
            let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd >= 0 {
                let owner = "\(getpid()) \(ProcessInfo.processInfo.hostName)\n"
                _ = owner.withCString { write(fd, $0, strlen($0)) }
                return LockFile(path: path, fd: fd)
            }
            guard errno == EEXIST else {
                throw StoreError.io(path: path, reason: "cannot create lock: \(String(cString: strerror(errno)))")
            }
            if let pid = ownerIfDead(path) { throw StoreError.staleLock(path: path, pid: pid) }
            if Date() > deadline { throw StoreError.lockBusy(path: path) }
            usleep(delay + useconds_t.random(in: 0...delay))
            delay = min(delay * 2, 50_000)
        }
    }

    /// The pid named in an existing lock when that process is gone (same host only).
    public static func ownerIfDead(_ path: String) -> Int32? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard parts.count >= 2, let pid = Int32(parts[0]), pid > 0,
              String(parts[1]) == ProcessInfo.processInfo.hostName else { return nil }
        if kill(pid, 0) == -1 && errno == ESRCH { return pid }
        return nil
    }

    /// Replaces the lock's content with `data`, fsyncs, and renames it over `target`: the lock
    /// itself becomes the new file (git's protocol), so readers never see a partial value.
    public func commit(_ data: Data, to target: String) throws {
        guard held else { return }
        ftruncate(fd, 0)
        let n = data.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        guard n == data.count, fsync(fd) == 0 else {
            release()
            throw StoreError.io(path: path, reason: "cannot write lock file")
        }
        close(fd)
        held = false
        guard rename(path, target) == 0 else {
            let err = String(cString: strerror(errno))
            unlink(path)
            throw StoreError.io(path: target, reason: "cannot rename lock into place: \(err)")
        }
        AtomicFileSync.directory((target as NSString).deletingLastPathComponent)
    }

    public func release() {
        guard held else { return }
        close(fd)
        unlink(path)
        held = false
    }

    deinit { release() }
}

enum AtomicFileSync {
    static func directory(_ d: String) {
        let dfd = open(d.isEmpty ? "." : d, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }
}
