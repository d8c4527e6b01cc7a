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

    /// True on a thread inside `serial { }`: its parallel regions run as one chunk on that thread.
    public static var isSerial: Bool { pthread_getspecific(serialKey) != nil }

    /// Runs `body` with every parallel region it starts on this thread (`parallelFor`, `BLAS.sgemm`,
    /// and FTXTrain's loops) run serially. Data-parallel callers use it: each worker owns a slice of
    /// the work and running its inner loops in parallel too would only oversubscribe the cores.
    public static func serial<T>(_ body: () throws -> T) rethrows -> T {
        let old = pthread_getspecific(serialKey)
        pthread_setspecific(serialKey, serialMarker)
        defer { pthread_setspecific(serialKey, old) }
        return try body()
    }
    nonisolated(unsafe) private static let serialKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()
    nonisolated(unsafe) private static let serialMarker = UnsafeRawPointer(bitPattern: 1)

    /// Runs `body(chunkStart, chunkEnd)` over `0..<total` split into contiguous chunks, a multiple of
    /// `granularity` long (except the last), at most `maxChunks` (default: a few per thread).
    public static func parallelFor(_ total: Int, granularity: Int = 1, maxChunks: Int? = nil,
                                   _ body: (Int, Int) -> Void) {
        guard total > 0 else { return }
        let units = (total + granularity - 1) / granularity
        // Exactly `count` chunks when limited below the core count (so at most `count` run at once);
        // a few per thread otherwise, for balance on a machine shared with other work.
        let chunks = min(units, maxChunks ?? (count < cores ? count : count * 4))
        if chunks <= 1 || count == 1 || isSerial {
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
    /// `concurrentPerform`. Default: on when the machine is not oversubscribed when first asked (1-minute
    /// load average below the core count); FTX_WORKER_POOL=1 / 0 forces it. Measured on the 2-core
    /// development machine: at load 1.2–1.5 decode went from 110–123 to 148–199 tok/s and batched
    /// generation from 358–382 to 382–419; at load 3.3–3.5 the spinning made decode slower (72–80 vs
    /// 105–116 tok/s). Results are the same bits either way (fixed chunks).
    nonisolated(unsafe) public static var useWorkerPool: Bool = {
        switch ProcessInfo.processInfo.environment["FTX_WORKER_POOL"] {
        case "1": return true
        case "0": return false
        default:
            guard let s = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8),
                  let load = s.split(separator: " ").first.flatMap({ Double($0) }) else { return false }
            return load < Double(cores)
        }
    }()
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

/// How many weight rows a tile-by-tile matmul dequantizes at a time (quantized weight × many rows
/// of activations). Every tile's sgemm packs the whole activation operand again, so fewer, larger
/// tiles pack less; on several threads each thread still needs a few tiles for balance; and one
/// tile's f32 copy stays within 4 MiB.
public enum DequantTiles {
    public static func rows(out: Int, cols: Int, minimum: Int) -> Int {
        let cap = max(minimum, (1 << 20) / max(cols, 1))
        if Threads.isSerial || Threads.count == 1 { return max(1, min(out, cap)) }
        let balanced = out / (4 * Threads.count) / 16 * 16
        return max(minimum, min(256, cap, balanced))
    }
}
