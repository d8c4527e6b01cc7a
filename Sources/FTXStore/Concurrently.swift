import Foundation

/// Runs `body(i)` for every i in 0..<count on up to `workers` threads, each taking the next index
/// until none is left. For I/O-bound work (fsyncs, network-backed reads) more threads than cores
/// hide latency. After the first error no new index is started; that error is rethrown.
func concurrently(_ count: Int, workers: Int, _ body: @escaping (Int) throws -> Void) throws {
    guard count > 0 else { return }
    let n = max(1, min(workers, count))
    if n == 1 {
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
