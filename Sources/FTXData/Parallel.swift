import Dispatch
import Foundation

/// Order-preserving parallel map over 0..<count, split into contiguous chunks so each worker
/// touches its own slice (results are identical whatever the thread count).
enum Parallel {
    static var workers: Int {
        if let s = ProcessInfo.processInfo.environment["FTX_THREADS"], let n = Int(s), n > 0 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    static func map<T>(_ count: Int, minChunk: Int = 64, _ body: (Int) -> T) -> [T] {
        if count == 0 { return [] }
        let chunks = min(max(1, count / minChunk), workers * 4)
        if chunks <= 1 { return (0..<count).map(body) }
        // Each slot is initialized exactly once by the worker that owns its chunk.
        return [T](unsafeUninitializedCapacity: count) { buf, initialized in
            let base = buf.baseAddress
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                let lo = count * c / chunks, hi = count * (c + 1) / chunks
                for k in lo..<hi { (base! + k).initialize(to: body(k)) }
            }
            initialized = count
        }
    }

    /// Runs `body(chunkIndex, range)` over `chunks` contiguous ranges of 0..<count in parallel.
    static func forChunks(_ count: Int, chunks requested: Int? = nil, _ body: (Int, Range<Int>) -> Void) {
        if count == 0 { return }
        let chunks = max(1, min(count, requested ?? workers))
        if chunks == 1 { body(0, 0..<count); return }
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            body(c, (count * c / chunks)..<(count * (c + 1) / chunks))
        }
    }
}
