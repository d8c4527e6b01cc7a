import Foundation

/// The one parallel-for of every module (engine, training, data checks) and the thread count they
/// share (`FTX_THREADS`, default: all cores). Work is split into fixed contiguous chunks whose
/// boundaries depend only on the sizes and the thread count, and each chunk writes its own outputs,
/// so results do not depend on scheduling. OpenBLAS runs single-threaded inside those chunks
/// (FTXTensor's `BLAS` sees to it), so BLAS threads never compete with ours.
public enum Threads {
    nonisolated(unsafe) private static var _count: Int = {
        if let s = ProcessInfo.processInfo.environment["FTX_THREADS"], let n = Int(s), n > 0 { return n }
        return cores
    }()
    /// Read once: Foundation's activeProcessorCount reads cgroup files on every call on Linux
    /// (tens of microseconds, and parallelFor runs hundreds of times per decoded token).
    public static let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
    public static var count: Int {
        get { _count }
        set { _count = max(1, newValue) }
    }

    /// The threads a parallel region started here would use: 1 inside `serial { }`, else `count`.
    public static var usable: Int { isSerial ? 1 : count }

    /// True on a thread inside `serial { }`: its parallel regions run as one chunk on that thread.
    public static var isSerial: Bool { pthread_getspecific(serialKey) != nil }

    /// Runs `body` with every parallel region it starts on this thread (`parallelFor`, and through
    /// it `BLAS.sgemm` and the training kernels) run serially. Data-parallel callers use it: each
    /// worker owns a slice of the work and running its inner loops in parallel too would only
    /// oversubscribe the cores.
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

    /// `parallelFor` with one chunk per thread, each at least `minChunk` long (for loops whose
    /// indices all cost the same, where more chunks would only add overhead).
    public static func parallelFor(_ total: Int, minChunk: Int, _ body: (Int, Int) -> Void) {
        parallelFor(total, maxChunks: min(usable, max(1, total / max(1, minChunk))), body)
    }

    /// Runs `body(w)` for each w < n on its own thread (n ≤ `usable`), every parallel region inside
    /// it serial: data-parallel workers that each own a fixed share of the work.
    public static func workers(_ n: Int, _ body: (Int) -> Void) {
        if n <= 1 { body(0); return }
        parallelFor(n, granularity: 1, maxChunks: n) { lo, hi in
            serial { for w in lo..<hi { body(w) } }
        }
    }

    /// `(0..<count).map(body)` computed in parallel chunks of at least `minChunk` indices; the
    /// order of the results is the order of the indices.
    public static func map<T>(_ count: Int, minChunk: Int = 64, _ body: (Int) -> T) -> [T] {
        if count == 0 { return [] }
        // Each slot is initialized exactly once, by the chunk that owns it.
        return [T](unsafeUninitializedCapacity: count) { buf, initialized in
            let base = buf.baseAddress!
            parallelFor(count, granularity: max(1, minChunk)) { lo, hi in
                for k in lo..<hi { (base + k).initialize(to: body(k)) }
            }
            initialized = count
        }
    }

    /// Runs `body(i)` for every i in 0..<count on up to `threads` threads, each taking the next index
    /// until none is left; after the first error no new index starts and that error is rethrown.
    /// Unlike `parallelFor` (fixed chunks, at most the cores), this is for loops whose iterations
    /// wait — fsyncs, network-backed reads — where more threads than cores hide latency, and for
    /// loops that throw. Each iteration must write only its own outputs.
    public static func concurrently(_ count: Int, threads: Int, _ body: @escaping (Int) throws -> Void) throws {
        guard count > 0 else { return }
        let n = max(1, min(threads, count))
        if n == 1 || isSerial {
            for i in 0..<count { try body(i) }
            return
        }
        final class State: @unchecked Sendable {
            let lock = NSLock()
            var next = 0
            var failure: Error?
        }
        let state = State()
        let finished = DispatchSemaphore(value: 0)
        for _ in 0..<n {
            Thread.detachNewThread {
                while true {
                    state.lock.lock()
                    let i = state.next
                    state.next += 1
                    let stop = state.failure != nil || i >= count
                    state.lock.unlock()
                    if stop { break }
                    do { try body(i) } catch {
                        state.lock.lock()
                        if state.failure == nil { state.failure = error }
                        state.lock.unlock()
                    }
                }
                finished.signal()
            }
        }
        for _ in 0..<n { finished.wait() }
        if let failure = state.failure { throw failure }
    }

    /// Run parallel regions on persistent spinning workers (`WorkerPool`) instead of
    /// `concurrentPerform`. Default: on when the machine is not oversubscribed when first asked (fewer
    /// other tasks runnable than there are cores, `othersRunnable`); FTX_WORKER_POOL=1 / 0 forces it.
    /// Measured on the 2-core development machine: at a load average of 1.2–1.5 decode went from
    /// 110–123 to 148–199 tok/s and batched generation from 358–382 to 382–419; at 3.3–3.5 the spinning
    /// made decode slower (72–80 vs 105–116 tok/s). Results are the same bits either way (fixed
    /// chunks). The count is read now, not averaged: the 1-minute load average still counts a command
    /// that has just finished, so it turned the pool off for the next ftx command in a script (in
    /// `bench/engine/run.sh`, for every round after llama.cpp's first).
    nonisolated(unsafe) public static var useWorkerPool: Bool = {
        switch ProcessInfo.processInfo.environment["FTX_WORKER_POOL"] {
        case "1": return true
        case "0": return false
        default: return (othersRunnable() ?? cores) < cores
        }
    }()

    /// Tasks runnable now besides the calling thread: the fewest of three readings of /proc/stat's
    /// `procs_running`, 2 ms apart, so a short-lived process (a shell's `cat`) does not count. nil where
    /// /proc/stat cannot be read.
    public static func othersRunnable() -> Int? {
        var fewest: Int?
        for i in 0..<3 {
            if i > 0 { usleep(2000) }
            guard let s = try? String(contentsOfFile: "/proc/stat", encoding: .utf8), let n = procsRunning(s) else { return nil }
            fewest = min(fewest ?? n, n)
        }
        return fewest.map { max(0, $0 - 1) }
    }

    /// The `procs_running` count of a /proc/stat text.
    static func procsRunning(_ stat: String) -> Int? {
        for line in stat.split(separator: "\n") where line.hasPrefix("procs_running ") {
            return Int(line.dropFirst("procs_running ".count).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }
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
