import XCTest
@testable import FTXTensor

final class BLASThreadsTests: XCTestCase {
    /// OpenBLAS runs single-threaded inside the engine's chunks: its own threads would compete with
    /// ours (and a product's bits would depend on how OpenBLAS split it).
    func testOpenBLASIsSingleThreadedOnceAnSgemmRan() {
        let a: [Float] = [1, 2, 3, 4], b: [Float] = [5, 6, 7, 8]
        var c = [Float](repeating: 0, count: 4)
        BLAS.sgemm(m: 2, n: 2, k: 2, a: a, lda: 2, b: b, ldb: 2, transB: false, beta: 0, c: &c, ldc: 2)
        XCTAssertEqual(c, [19, 22, 43, 50])
        XCTAssertEqual(BLAS.openBLASThreads, 1)
    }
}
