import CBLAS
import FTXCore

/// The engine's one wrapper over OpenBLAS (no other module imports CBLAS): row-major f32 sgemm,
/// split across the engine's threads by output columns or rows. Each chunk is one single-threaded
/// sgemm, so the reduction order is fixed and results do not depend on scheduling.
public enum BLAS {
    /// OpenBLAS's own threads stay off: the engine parallelizes around it (`Threads`).
    private static let singleThreaded: Void = openblas_set_num_threads(1)

    /// The threads OpenBLAS itself would use for one call (1 once any sgemm has run).
    static var openBLASThreads: Int { Int(openblas_get_num_threads()) }

    /// C[m×n] = alpha·op(A)·op(B) + beta·C. op(A) = Aᵀ (A is k×m) when `transA`, else A (m×k);
    /// op(B) = Bᵀ (B is n×k) when `transB`, else B (k×n). `parallel: false` runs one sgemm on the
    /// calling thread (callers already inside a parallel chunk); so does a call inside
    /// `Threads.serial` or a small product.
    public static func sgemm(transA: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
                             a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int, transB: Bool,
                             beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, parallel: Bool = true) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] } }
            return
        }
        _ = singleThreaded
        let work = m * n * k
        if !parallel || Threads.count == 1 || work < 1 << 18 || Threads.isSerial {
            call(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
            return
        }
        if n >= 16 * Threads.count {
            Threads.parallelFor(n, granularity: 16) { s, e in
                call(transA, transB, m, e - s, k, alpha, a, lda, transB ? b + s * ldb : b + s, ldb, beta, c + s, ldc)
            }
        } else {
            Threads.parallelFor(m) { s, e in
                call(transA, transB, e - s, n, k, alpha, transA ? a + s : a + s * lda, lda, b, ldb, beta, c + s * ldc, ldc)
            }
        }
    }

    @inline(__always)
    private static func call(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                             _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                             _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
