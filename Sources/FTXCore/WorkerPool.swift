import Foundation
import Synchronization

@_silgen_name("llvm.x86.sse2.pause") func cpuPause()

/// Persistent worker threads for `Threads.parallelFor`. A decoded token runs ~150 parallel regions
/// of tens of microseconds each; waking dispatch workers for every one costs several microseconds and
/// leaves cores idle. These workers spin briefly on an epoch counter after each region (so the next
/// one starts at once) and then sleep on a condition variable.
///
/// Chunks are fixed ranges taken from a shared counter; each writes its own outputs, so results do not
/// depend on which thread runs which chunk. One job at a time: a call while the pool is busy (nested
/// or from another thread) returns false and the caller falls back to `concurrentPerform`.
final class WorkerPool: @unchecked Sendable {
    let workers: Int
    private let epoch = Atomic<Int>(0)
    private let nextChunk = Atomic<Int>(0)
    private let doneChunks = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    private let sleep = NSCondition()
    private var sleepers = 0          // under `sleep`
    private let stopping = Atomic<Bool>(false)
    // The job: written before `nextChunk`/`epoch` are published (release), read after (acquire).
    private var chunks = 0
    private var body: ((Int) -> Void)?

    /// How long a worker spins for the next job before sleeping.
    nonisolated(unsafe) static var spinSeconds = ProcessInfo.processInfo.environment["FTX_POOL_SPIN_US"].flatMap(Double.init).map { $0 / 1e6 } ?? 0.0002

    init(workers: Int) {
        self.workers = workers
        for i in 0..<workers {
            // Workers hold the pool until `stop()` ends them (a replaced pool is freed after that).
            let t = Thread { [self] in self.workerLoop() }
            t.name = "ftx-worker-\(i)"
            t.stackSize = 1 << 20
            t.start()
        }
    }

    /// Ends the workers (they hold no job when this is called).
    func stop() {
        stopping.store(true, ordering: .releasing)
        epoch.wrappingAdd(1, ordering: .releasing)
        sleep.lock(); sleep.broadcast(); sleep.unlock()
    }

    /// Runs body(0..<n) on the calling thread and the workers; false (nothing run) if busy.
    func run(_ n: Int, _ body: (Int) -> Void) -> Bool {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { busy.store(false, ordering: .releasing) }
        withoutActuallyEscaping(body) { b in
            self.body = b
            chunks = n
            doneChunks.store(0, ordering: .relaxed)
            nextChunk.store(0, ordering: .releasing)
            epoch.wrappingAdd(1, ordering: .releasing)
            sleep.lock()
            if sleepers > 0 { sleep.broadcast() }
            sleep.unlock()
            runChunks()
            // Wait for chunks other threads took; yield if one of them was preempted.
            var spins = 0
            while doneChunks.load(ordering: .acquiring) < n {
                spins += 1
                if spins < 256 { cpuPause() } else { sched_yield() }
            }
            self.body = nil
        }
        return true
    }

    private func runChunks() {
        while true {
            let i = nextChunk.wrappingAdd(1, ordering: .acquiringAndReleasing).oldValue
            guard i < chunks else { return }
            runChunk(i)
            doneChunks.wrappingAdd(1, ordering: .releasing)
        }
    }

    /// Separate so the reference to `body` is released before the chunk is counted done (the caller
    /// returns, ending withoutActuallyEscaping, as soon as every chunk is counted).
    @inline(never) private func runChunk(_ i: Int) {
        body.unsafelyUnwrapped(i)
    }

    private func workerLoop() {
        var seen = epoch.load(ordering: .acquiring)
        while true {
            var spins = 0
            var deadline = 0.0
            while epoch.load(ordering: .acquiring) == seen {
                spins += 1
                cpuPause()
                guard spins & 63 == 0 else { continue }
                let now = ProcessInfo.processInfo.systemUptime
                if deadline == 0 { deadline = now + Self.spinSeconds; continue }
                guard now > deadline else { continue }
                sleep.lock()
                sleepers += 1
                while epoch.load(ordering: .acquiring) == seen { sleep.wait() }
                sleepers -= 1
                sleep.unlock()
                break
            }
            seen = epoch.load(ordering: .acquiring)
            if stopping.load(ordering: .acquiring) { return }
            runChunks()
        }
    }
}
