import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Facts about processes on this machine, for deciding whether a lock or temporary file was left
/// by a process that no longer runs.
public enum LocalProcess {
    /// This machine's name as lock files record it.
    public static var hostName: String { ProcessInfo.processInfo.hostName }

    /// True only when no process with this pid exists (ESRCH). A process we may not signal
    /// (EPERM) exists; our own pid is never gone.
    public static func isGone(_ pid: Int32) -> Bool {
        guard pid > 0, pid != getpid() else { return false }
        return kill(pid, 0) == -1 && errno == ESRCH
    }
}

/// One-line notices to the user about something a command did on its own initiative (a stale
/// lock removed, a damaged derived file set aside). They go to stderr, so stdout stays clean for
/// `--json` and pipes; tests may replace the sink.
public enum Notice {
    nonisolated(unsafe) public static var sink: (String) -> Void = { line in
        FileHandle.standardError.write(Data("ftx: note: \(line)\n".utf8))
    }

    public static func post(_ line: String) { sink(line) }
}
