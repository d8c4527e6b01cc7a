import CBLAS

/// Thin wrappers over OpenBLAS for row-major f32 matrices, split across the engine's threads by
/// output columns (each chunk is one single-threaded sgemm: a fixed, deterministic reduction order).
public enum BLAS {
    /// C[m×n] = alpha·A[m×k]·op(B) + beta·C, where op(B) = Bᵀ (B is n×k) when `transB`, else B (k×n).
    public static func sgemm(m: Int, n: Int, k: Int, alpha: Float = 1,
                             a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int, transB: Bool,
                             beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, parallel: Bool = true) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] } }
            return
        }
        let work = m * n * k
        if !parallel || Threads.count == 1 || work < 1 << 18 || Threads.isSerial {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                        Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
            return
        }
        if n >= 16 * Threads.count {
            Threads.parallelFor(n, granularity: 16) { s, e in
                let bp = transB ? b + s * ldb : b + s
                cblas_sgemm(CblasRowMajor, CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                            Int32(m), Int32(e - s), Int32(k), alpha, a, Int32(lda), bp, Int32(ldb), beta, c + s, Int32(ldc))
            }
        } else {
            Threads.parallelFor(m) { s, e in
                cblas_sgemm(CblasRowMajor, CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                            Int32(e - s), Int32(n), Int32(k), alpha, a + s * lda, Int32(lda), b, Int32(ldb), beta, c + s * ldc, Int32(ldc))
            }
        }
    }
}
