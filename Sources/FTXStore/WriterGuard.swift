import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Keeps `gc` from pruning objects that a running command has written (or found already stored
/// and is about to use) but not yet recorded in the index or a ref.
///
/// Every process that writes objects holds a shared `flock(2)` on `.ftx/objects.guard` from its
/// first object write until it exits; `gc` prunes only while it holds the lock exclusively, that
/// is when no other writer is alive. The kernel drops the lock when a process dies, even by
/// `kill -9`, so a crashed writer never blocks gc. (The file is not named `*.lock`: it is never
/// stale and must never be deleted.)
final class WriterGuard: @unchecked Sendable {
    enum Mode { case none, shared, exclusive }

    let path: String
    private var fd: Int32 = -1
    private(set) var mode: Mode = .none
    private let lock = NSLock()

    private init(path: String) { self.path = path }

    /// One guard per repository and process: flock locks belong to an open file, so two guards
    /// on the same file in one process would exclude each other.
    nonisolated(unsafe) private static var guards: [String: WriterGuard] = [:]
    private static let guardsLock = NSLock()

    static func forRepository(ftxDirectory: String) -> WriterGuard {
        let path = ftxDirectory + "/objects.guard"
        guardsLock.lock(); defer { guardsLock.unlock() }
        if let g = guards[path] { return g }
        let g = WriterGuard(path: path)
        guards[path] = g
        return g
    }

    private func open() -> Bool {
        if fd >= 0 { return true }
        fd = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        return fd >= 0
    }

    private func flockRetrying(_ op: Int32) -> Bool {
        while flock(fd, op) != 0 {
            if errno != EINTR { return false }
        }
        return true
    }

    /// Called before an object is written or reused: waits while a gc is pruning, then holds
    /// the shared lock for the rest of the process. Without a writable guard file (a read-only
    /// store) there is nothing to protect and writes fail on their own.
    func holdShared() {
        lock.lock(); defer { lock.unlock() }
        guard mode == .none, open() else { return }
        if flockRetrying(LOCK_SH) { mode = .shared }
    }

    /// Takes the lock exclusively, waiting up to `timeout` seconds for other writers to exit.
    /// Returns false when some are still running (the caller must then not prune).
    func tryExclusive(timeout: Double) -> Bool {
        lock.lock(); defer { lock.unlock() }
        if mode == .exclusive { return true }
        guard open() else { return false }
        let deadline = Date().addingTimeInterval(timeout)
        var delay: useconds_t = 2000
        while true {
            if flock(fd, LOCK_EX | LOCK_NB) == 0 { mode = .exclusive; return true }
            let err = errno
            // A failed conversion drops a shared lock this process held (flock converts by
            // unlocking first), so take it back before deciding.
            if mode == .shared, !flockRetrying(LOCK_SH) { mode = .none }
            if err != EWOULDBLOCK && err != EINTR { return false }
            if Date() >= deadline { return false }
            usleep(delay)
            delay = min(delay * 2, 100_000)
        }
    }

    /// After gc: back to a shared hold (this process may write more objects).
    func endExclusive() {
        lock.lock(); defer { lock.unlock() }
        guard mode == .exclusive else { return }
        mode = flockRetrying(LOCK_SH) ? .shared : .none
    }
}
