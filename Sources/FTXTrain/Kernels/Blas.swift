import CBLAS
import Foundation
import FTXTensor

/// Row-major sgemm and the parallel-for used by the elementwise kernels.
/// C[M×N] = alpha · op(A) · op(B) + beta · C, every matrix row-major with its leading dimension.
@inline(__always)
func sgemm(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int,
           _ alpha: Float, _ a: UnsafePointer<Float>, _ lda: Int,
           _ b: UnsafePointer<Float>, _ ldb: Int,
           _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
    if m == 0 || n == 0 { return }
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

public enum Parallel {
    /// The engine-wide worker count (FTXTensor.Threads): OpenBLAS runs single-threaded inside fixed
    /// chunks, so results never depend on scheduling.
    /// 1 inside `Threads.serial` (a data-parallel worker's own loops).
    public static var threads: Int { Threads.isSerial ? 1 : Threads.count }

    public static func setThreads(_ n: Int) { Threads.count = max(1, n) }

    /// Runs body(w) for each w < n on its own thread (n ≤ threads), every parallel region inside it
    /// serial: data-parallel workers that each own a fixed share of the work.
    static func workers(_ n: Int, _ body: (Int) -> Void) {
        if n <= 1 { body(0); return }
        Threads.parallelFor(n, granularity: 1, maxChunks: n) { lo, hi in
            Threads.serial { for w in lo..<hi { body(w) } }
        }
    }

    /// Runs body(lo, hi) over [0, count) split in contiguous chunks. Each index is owned by exactly one
    /// chunk, so results never depend on scheduling.
    @inline(__always)
    static func rows(_ count: Int, minChunk: Int = 16, _ body: (Int, Int) -> Void) {
        let workers = min(threads, max(1, count / minChunk))
        if workers <= 1 { body(0, count); return }
        let chunk = (count + workers - 1) / workers
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let lo = w * chunk, hi = min(count, lo + chunk)
            if lo < hi { body(lo, hi) }
        }
    }
}

/// An owned, zero-initialised f32 buffer (no ARC or bounds checks in the loops that use `.p`).
public final class FloatBuffer: @unchecked Sendable {
    public let p: UnsafeMutablePointer<Float>
    public let count: Int
    public init(_ count: Int) {
        self.count = count
        p = .allocate(capacity: max(count, 1))
        p.initialize(repeating: 0, count: max(count, 1))
    }
    public convenience init(_ values: [Float]) {
        self.init(values.count)
        values.withUnsafeBufferPointer { src in if let b = src.baseAddress { p.update(from: b, count: values.count) } }
    }
    deinit { p.deallocate() }
    public func zero() { p.update(repeating: 0, count: count) }
    public var array: [Float] { Array(UnsafeBufferPointer(start: p, count: count)) }
}
