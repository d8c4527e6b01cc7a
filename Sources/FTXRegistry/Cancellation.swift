import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Set by the SIGINT/SIGTERM handler; long stages poll it and stop cleanly (no partial commit).
private var interruptCount: sig_atomic_t = 0

/// Ctrl-C handling for `ftx run`: the first signal asks the run to stop at the next safe point
/// (the trainer saves a checkpoint, nothing is committed); a second one exits at once — still
/// without a partial commit, because a commit becomes visible only by the final ref rename.
public enum Interruption {
    public static func install() {
        interruptCount = 0
        let handler: @convention(c) (Int32) -> Void = { _ in
            interruptCount += 1
            if interruptCount >= 2 { _exit(130) }
            let msg = "\nftx: interrupted; stopping at the next safe point (Ctrl-C again to quit now)\n"
            _ = msg.withCString { write(STDERR_FILENO, $0, strlen($0)) }
        }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
    }

    public static var isInterrupted: Bool { interruptCount > 0 }
}
