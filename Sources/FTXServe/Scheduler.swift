import Foundation
import FTXModel

/// One decode thread owning the `DecodeBatch`. Requests are queued from the HTTP handlers and join
/// the batch between steps (at most `maxBatch` live at once); each one's events go back through its
/// `onEvent`, called on the decode thread (the handler hops to its own event loop). A queue longer
/// than `maxQueue` refuses new requests (429).
public final class Scheduler: @unchecked Sendable {
    public enum Event {
        /// The request joined the batch after waiting this long.
        case started(queueSeconds: Double)
        case text(String)
        case finished(GenerationResult)
        case failed(ServeError)
    }

    public struct Job {
        public let id: Int
        public let prompt: [Int]
        public let params: GenerationParams
        public let adapter: RowAdapter
        public let constraint: TokenConstraint?
        public let onEvent: (Event) -> Void
        public init(id: Int, prompt: [Int], params: GenerationParams, adapter: RowAdapter, constraint: TokenConstraint?,
                    onEvent: @escaping (Event) -> Void) {
            self.id = id; self.prompt = prompt; self.params = params; self.adapter = adapter
            self.constraint = constraint; self.onEvent = onEvent
        }
    }

    private let batch: DecodeBatch
    public let maxBatch: Int, maxQueue: Int
    private let cond = NSCondition()
    private var queue: [(job: Job, since: Date)] = []
    private var live: [Int: Job] = [:]
    private var cancels: [Int] = []
    private var stopping = false
    private var thread: Thread?
    private let onStep: (_ queued: Int, _ rows: Int) -> Void

    public init(batch: DecodeBatch, maxBatch: Int, maxQueue: Int, onStep: @escaping (_ queued: Int, _ rows: Int) -> Void = { _, _ in }) {
        self.batch = batch; self.maxBatch = max(1, maxBatch); self.maxQueue = max(0, maxQueue); self.onStep = onStep
    }

    public func start() {
        let t = Thread { [self] in loop() }
        t.name = "ftx-decode"
        t.stackSize = 8 << 20
        thread = t
        t.start()
    }

    /// Queues a job; false when the queue is full.
    public func submit(_ job: Job) -> Bool {
        cond.lock(); defer { cond.unlock() }
        guard !stopping, queue.count < maxQueue || live.count < maxBatch && queue.isEmpty else { return false }
        queue.append((job, Date()))
        cond.signal()
        return true
    }

    /// Drops a job at once (client gone, timeout); no event follows for it.
    public func cancel(id: Int) {
        cond.lock(); defer { cond.unlock() }
        if let i = queue.firstIndex(where: { $0.job.id == id }) { queue.remove(at: i); return }
        if live[id] != nil { cancels.append(id); cond.signal() }
    }

    /// Requests waiting for a slot, and in the batch.
    public var depth: (queued: Int, live: Int) { cond.withLock { (queue.count, live.count) } }

    /// Ends the loop once nothing is queued or live.
    public func stop() { cond.withLock { stopping = true; cond.signal() } }

    private func loop() {
        while true {
            cond.lock()
            while queue.isEmpty && live.isEmpty && cancels.isEmpty && !stopping { cond.wait() }
            if stopping && queue.isEmpty && live.isEmpty { cond.unlock(); return }
            for id in cancels where live.removeValue(forKey: id) != nil { batch.cancel(id: id) }
            cancels.removeAll()
            var joined: [(Job, Double)] = []
            while live.count < maxBatch, !queue.isEmpty {
                let (job, since) = queue.removeFirst()
                do {
                    try batch.add(id: job.id, prompt: job.prompt, params: job.params, adapter: job.adapter, constraint: job.constraint)
                    live[job.id] = job
                    joined.append((job, Date().timeIntervalSince(since)))
                } catch {
                    job.onEvent(.failed(ServeError.bad("\(error)")))
                }
            }
            let queued = queue.count
            cond.unlock()
            for (job, waited) in joined { job.onEvent(.started(queueSeconds: waited)) }
            guard !batch.isEmpty else { continue }
            do {
                let events = try batch.step()
                onStep(queued, batch.lastStepRows)
                cond.lock()
                var deliveries: [(Job, Event)] = []
                for e in events {
                    switch e {
                    case .text(let id, let s): if let j = live[id] { deliveries.append((j, .text(s))) }
                    case .finished(let id, let r): if let j = live.removeValue(forKey: id) { deliveries.append((j, .finished(r))) }
                    }
                }
                cond.unlock()
                for (j, e) in deliveries { j.onEvent(e) }
            } catch {
                // The engine failed: every live request ends with a 500, the loop goes on.
                let failed = cond.withLock { () -> [Job] in
                    let all = Array(live.values); live.removeAll()
                    for j in all { batch.cancel(id: j.id) }
                    return all
                }
                for j in failed { j.onEvent(.failed(ServeError(.internal, "generation failed: \(error)"))) }
            }
        }
    }
}
