import XCTest
@testable import FTXTrain

/// Central finite differences in f32 with the loss accumulated in Double; compares sampled coordinates.
enum GradCheck {
    /// Checks `analytic` against (f(x+h) − f(x−h)) / 2h at `samples` coordinates of x (all when fewer).
    static func check(_ name: String, x: UnsafeMutablePointer<Float>, count: Int, analytic: [Float],
                      samples: Int = 24, h: Float = 1e-2, tol: Double = 2e-2, seed: UInt64 = 1,
                      file: StaticString = #filePath, line: UInt = #line, _ f: () -> Double) {
        var rng = TrainRNG(seed: seed)
        let idx: [Int] = count <= samples ? Array(0..<count) : (0..<samples).map { _ in rng.below(count) }
        let scale = max(analytic.map { abs(Double($0)) }.max() ?? 0, 1e-6)
        var worst = 0.0
        for i in idx {
            let old = x[i]
            x[i] = old + h; let fp = f()
            x[i] = old - h; let fm = f()
            x[i] = old
            let num = (fp - fm) / Double(2 * h)
            let err = abs(num - Double(analytic[i])) / max(abs(num), abs(Double(analytic[i])), 0.05 * scale)
            worst = max(worst, err)
            if err > tol {
                XCTFail("\(name)[\(i)]: numeric \(num) analytic \(analytic[i]) rel err \(err)", file: file, line: line)
                return
            }
        }
        XCTAssertGreaterThan(scale, 1e-5, "\(name): gradient is identically zero, check is vacuous", file: file, line: line)
    }

    static func random(_ n: Int, _ rng: inout TrainRNG, _ a: Float = 1) -> [Float] { (0..<n).map { _ in rng.uniform(-a, a) } }

    /// Σ w·y in Double.
    static func dot(_ y: UnsafePointer<Float>, _ w: [Float]) -> Double {
        var s = 0.0
        for i in 0..<w.count { s += Double(y[i]) * Double(w[i]) }
        return s
    }
}
