import Foundation
import CBLAS

/// Engine-wide thread count (default: all cores). OpenBLAS itself runs single-threaded: the engine
/// splits work into fixed chunks and runs them with `concurrentPerform`, so results do not depend
/// on scheduling and BLAS threads never compete with ours.
public enum Threads {
    nonisolated(unsafe) private static var _count: Int = {
        openblas_set_num_threads(1)
        if let s = ProcessInfo.processInfo.environment["FTX_THREADS"], let n = Int(s), n > 0 { return n }
        return cores
    }()
    /// Read once: Foundation's activeProcessorCount reads cgroup files on every call on Linux
    /// (tens of microseconds, and parallelFor runs hundreds of times per decoded token).
    public static let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
    public static var count: Int {
        get { _count }
        set { openblas_set_num_threads(1); _count = max(1, newValue) }
    }

    /// Runs `body(chunkStart, chunkEnd)` over `0..<total` split into contiguous chunks, a multiple of
    /// `granularity` long (except the last), at most `maxChunks` (default: a few per thread).
    public static func parallelFor(_ total: Int, granularity: Int = 1, maxChunks: Int? = nil,
                                   _ body: (Int, Int) -> Void) {
        guard total > 0 else { return }
        let units = (total + granularity - 1) / granularity
        // Exactly `count` chunks when limited below the core count (so at most `count` run at once);
        // a few per thread otherwise, for balance on a machine shared with other work.
        let chunks = min(units, maxChunks ?? (count < cores ? count : count * 4))
        if chunks <= 1 || count == 1 {
            body(0, total); return
        }
        let per = (units + chunks - 1) / chunks
        let n = (units + per - 1) / per
        withoutActuallyEscaping(body) { body in
            let chunk = { (i: Int) in
                let s = i * per * granularity
                let e = min(total, (i + 1) * per * granularity)
                if s < e { body(s, e) }
            }
            if let pool = workerPool(), pool.run(n, chunk) { return }
            DispatchQueue.concurrentPerform(iterations: n, execute: chunk)
        }
    }

    /// Run parallel regions on persistent spinning workers (`WorkerPool`) instead of
    /// `concurrentPerform` (default off; FTX_WORKER_POOL=1 turns it on). Measured on the shared
    /// development machine (load 3), spinning made decode slower (74–80 vs 115 tok/s) and prefill 3 %
    /// slower; it is kept for measuring on an idle machine, where spinning costs nothing.
    nonisolated(unsafe) public static var useWorkerPool = ProcessInfo.processInfo.environment["FTX_WORKER_POOL"] == "1"
    nonisolated(unsafe) private static var pool: WorkerPool?
    private static let poolLock = NSLock()

    static func workerPool() -> WorkerPool? {
        guard useWorkerPool, count > 1 else { return nil }
        poolLock.lock(); defer { poolLock.unlock() }
        if let p = pool, p.workers == count - 1 { return p }
        pool?.stop()
        pool = WorkerPool(workers: count - 1)
        return pool
    }
}
