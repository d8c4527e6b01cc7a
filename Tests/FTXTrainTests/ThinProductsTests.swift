import XCTest
@testable import FTXTrain

/// LoRA's thin-product loops against double-precision sums, with sizes that hit the 16-lane bodies,
/// the 4-row groups and every ragged tail (k not a multiple of 16, ranks not multiples of 4 or 8,
/// column ranges that do not start or end on a 16 boundary).
final class ThinProductsTests: XCTestCase {
    let n = 37, k = 45

    func testRowDots() {
        var rng = TrainRNG(seed: 21)
        for r in [1, 3, 8, 11] {
            let x = GradCheck.random(n * k, &rng), w = GradCheck.random(r * k, &rng)
            let ldy = r + 2
            var y = [Float](repeating: 7, count: n * ldy)
            ThinProducts.rowDots(rows: 2, n - 1, k: k, r: r, alpha: 0.5, x: x, ldx: k, w: w, y: &y, ldy: ldy)
            for i in 0..<n { for j in 0..<ldy {
                guard i >= 2, i < n - 1, j < r else { XCTAssertEqual(y[i * ldy + j], 7); continue }
                var ref = 0.0
                for c in 0..<k { ref += Double(x[i * k + c]) * Double(w[j * k + c]) }
                XCTAssertEqual(Double(y[i * ldy + j]), 0.5 * ref, accuracy: 1e-5, "r=\(r) i=\(i) j=\(j)")
            } }
        }
    }

    func testRowTimes() {
        var rng = TrainRNG(seed: 22)
        for r in [2, 8, 11, 16] {
            let x = GradCheck.random(n * k, &rng), b = GradCheck.random(k * r, &rng)
            var y = [Float](repeating: 0, count: n * r)
            ThinProducts.rowTimes(rows: 0, n, k: k, r: r, alpha: 2, x: x, ldx: k, b: b, y: &y)
            for i in 0..<n { for j in 0..<r {
                var ref = 0.0
                for c in 0..<k { ref += Double(x[i * k + c]) * Double(b[c * r + j]) }
                XCTAssertEqual(Double(y[i * r + j]), 2 * ref, accuracy: 1e-5, "r=\(r) i=\(i) j=\(j)")
            } }
        }
    }

    func testOuterAccumulate() {
        var rng = TrainRNG(seed: 23)
        for r in [1, 5, 8] {
            for transposed in [false, true] {
                let u = GradCheck.random(n * r, &rng), x = GradCheck.random(n * k, &rng)
                let g0 = GradCheck.random(r * k, &rng)
                var g = g0
                let ldg = transposed ? r : k
                // Two disjoint ragged column ranges, as two threads would own them.
                for (lo, hi) in [(3, 22), (22, 44)] {
                    ThinProducts.outerAccumulate(cols: lo, hi, n: n, r: r, alpha: 1.5, u: u, x: x, ldx: k,
                                                 g: &g, ldg: ldg, transposed: transposed)
                }
                for j in 0..<r { for c in 0..<k {
                    let at = transposed ? c * r + j : j * k + c
                    guard c >= 3, c < 44 else { XCTAssertEqual(g[at], g0[at]); continue }
                    var ref = 0.0
                    for i in 0..<n { ref += Double(u[i * r + j]) * Double(x[i * k + c]) }
                    XCTAssertEqual(Double(g[at]), Double(g0[at]) + 1.5 * ref, accuracy: 1e-4, "r=\(r) j=\(j) c=\(c)")
                } }
            }
        }
    }
}
