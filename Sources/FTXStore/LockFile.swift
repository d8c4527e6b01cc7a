import FTXCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `<path>.lock` created with O_EXCL, holding `<pid> <host>` of its owner, who also
/// keeps a `flock` on it while alive (the kernel drops that lock when the process dies, even by
/// kill -9). A lock whose owner is provably gone is removed, with a notice, and taken:
/// - nobody holds its flock, and
/// - it names a process on this host that no longer runs, or (when its pid cannot be checked: another
///   host, or no readable owner) it is older than the lock timeout.
/// A lock whose owner may be alive is waited on, then refused. Removal happens only while holding
/// the stale file's flock and after checking the path still names that file, so two processes
/// clearing the same stale lock can never delete a fresh one.
public final class LockFile {
    public let path: String
    private(set) var fd: Int32
    private var held = true

    /// How long to wait for a live owner before giving up (FTX_LOCK_TIMEOUT seconds, default 10);
    /// also the age past which a lock whose owner cannot be checked counts as stale.
    public static var timeout: Double {
        ProcessInfo.processInfo.environment["FTX_LOCK_TIMEOUT"].flatMap(Double.init) ?? 10
    }

    private init(path: String, fd: Int32) { self.path = path; self.fd = fd }

    public static func acquire(_ path: String) throws -> LockFile {
        let deadline = Date().addingTimeInterval(timeout)
        var delay: useconds_t = 1000
        try? FileManager.default.createDirectory(atPath: SlashPath.parent(path), withIntermediateDirectories: true)
        while true {
            let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd >= 0 {
                // The owner line first, then the flock: a checker that sees the file unlocked in
                // between reads a live pid and leaves it alone.
                let owner = "\(getpid()) \(LocalProcess.hostName)\n"
                _ = owner.withCString { write(fd, $0, strlen($0)) }
                while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
                return LockFile(path: path, fd: fd)
            }
            guard errno == EEXIST else {
                throw StoreError.io(path: path, reason: "cannot create lock: \(String(cString: strerror(errno)))")
            }
            switch removeIfStale(path) {
            case .removed(let why):
                Notice.post("removed stale lock \(path) (\(why))")
                continue
            case .vanished:
                continue
            case .cannotRemove(let pid):
                throw StoreError.staleLock(path: path, pid: pid)
            case .inUse:
                break
            }
            if Date() > deadline { throw StoreError.lockBusy(path: path) }
            usleep(delay + useconds_t.random(in: 0...delay))
            delay = min(delay * 2, 50_000)
        }
    }

    enum Staleness: Equatable {
        case inUse                 // held, or its owner may be alive
        case removed(String)       // was stale and is gone; says why
        case vanished              // released by its owner meanwhile
        case cannotRemove(Int32?)  // stale, but unlink failed
    }

    /// Whether the owner a lock file records (`text`) is provably gone, given no process holds its
    /// flock, and why. A lock younger than two seconds is never judged by age (its owner may not
    /// have written its line yet).
    static func ownerIsGone(_ text: String, age: TimeInterval) -> (gone: Bool, why: String, pid: Int32?) {
        let limit = max(timeout, 2)
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        if parts.count >= 2, let pid = Int32(parts[0]), pid > 0 {
            let host = String(parts[1])
            if host == LocalProcess.hostName {
                return (LocalProcess.isGone(pid), "left by process \(pid), which is no longer running", pid)
            }
            return (age > limit, "left by process \(pid) on \(host) \(Int(age)) s ago, longer than the \(Int(limit)) s lock timeout", pid)
        }
        return (age > limit, "no owner recorded, \(Int(age)) s old", nil)
    }

    /// Removes the lock at `path` when its owner is provably gone.
    static func removeIfStale(_ path: String) -> Staleness {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return errno == ENOENT ? .vanished : .inUse }
        defer { close(fd) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            // Held by a live owner; a filesystem without flock leaves only the pid test.
            if errno == EWOULDBLOCK || errno == EINTR { return .inUse }
        }
        var st = stat(), now = stat()
        guard fstat(fd, &st) == 0 else { return .inUse }
        var text = [UInt8](repeating: 0, count: 256)
        let n = read(fd, &text, text.count)
        let age = Date().timeIntervalSince1970 - (TimeInterval(st.st_mtim.tv_sec) + TimeInterval(st.st_mtim.tv_nsec) / 1e9)
        let owner = ownerIsGone(String(decoding: text.prefix(max(n, 0)), as: UTF8.self), age: age)
        guard owner.gone else { return .inUse }
        // Still the same file (not a fresh lock made after another process cleared this one)?
        guard lstat(path, &now) == 0, now.st_ino == st.st_ino, now.st_dev == st.st_dev else { return .inUse }
        guard unlink(path) == 0 else { return errno == ENOENT ? .vanished : .cannotRemove(owner.pid) }
        return .removed(owner.why)
    }

    /// Why the lock at `path` is stale (for fsck's warning), or nil when its owner may be alive.
    /// Reads only: never removes (the next command that needs the lock does).
    static func staleReason(_ path: String) -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
              let attrs = try? FileManager.default.attributesOfItem(atPath: path),
              let modified = attrs[.modificationDate] as? Date else { return nil }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK { return nil }
        let owner = ownerIsGone(text, age: Date().timeIntervalSince(modified))
        return owner.gone ? owner.why : nil
    }

    /// Replaces the lock's content with `data`, fsyncs, and renames it over `target`: the lock
    /// itself becomes the new file (git's protocol), so readers never see a partial value. The
    /// flock is held until the rename is done.
    public func commit(_ data: Data, to target: String) throws {
        guard held else { return }
        ftruncate(fd, 0)
        let n = data.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        guard n == data.count, fsync(fd) == 0 else {
            release()
            throw StoreError.io(path: path, reason: "cannot write lock file")
        }
        held = false
        defer { close(fd) }
        guard rename(path, target) == 0 else {
            let err = String(cString: strerror(errno))
            unlink(path)
            throw StoreError.io(path: target, reason: "cannot rename lock into place: \(err)")
        }
        AtomicFile.syncDirectory(SlashPath.parent(target))
    }

    /// Deletes the lock (while still holding its flock), then closes it.
    public func release() {
        guard held else { return }
        unlink(path)
        close(fd)
        held = false
    }

    deinit { release() }
}
