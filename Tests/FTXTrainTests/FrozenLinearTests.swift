import XCTest
import FTXModel
import FTXTensor
@testable import FTXTrain

/// Every frozen-weight storage gives the same input gradient when the output features (the
/// reduction) are split into ranges, as the output head's threads split the vocabulary.
final class FrozenLinearTests: XCTestCase {
    static func weights(out: Int, in inF: Int) -> [(String, FrozenLinear)] {
        var rng = SplitMix64(seed: 3)
        let values = (0..<(out * inF)).map { _ in rng.nextFloat() - 0.5 }
        let q8 = LinearWeight.randomQ8_0(out: out, in: inF, scales: 0.005...0.015, rng: &rng)
        return [("dense", DenseLinear(values, out: out, in: inF)),
                ("LinearWeight f32", LinearWeight(f32: values, out: out, in: inF)),
                ("LinearWeight q8_0", q8),
                ("NF4", NF4Linear(quantizing: values, out: out, in: inF))]
    }

    func testInputGradientSplitByOutputRangesMatchesTheWhole() {
        let out = 300, inF = 64, n = 5, ldy = out + 7   // dY rows wider than the weight: ldy is honoured
        var rng = SplitMix64(seed: 4)
        let dy = (0..<(n * ldy)).map { _ in rng.nextFloat() - 0.5 }
        var packed = [Float](repeating: 0, count: n * out)
        for i in 0..<n { for j in 0..<out { packed[i * out + j] = dy[i * ldy + j] } }
        for (name, w) in Self.weights(out: out, in: inF) {
            var whole = [Float](repeating: 0, count: n * inF)
            packed.withUnsafeBufferPointer { p in whole.withUnsafeMutableBufferPointer { d in
                w.backwardInput(p.baseAddress!, rows: n, into: d.baseAddress!, accumulate: false)
            } }
            var split = [Float](repeating: 7, count: n * inF)   // overwritten by the first range
            dy.withUnsafeBufferPointer { p in split.withUnsafeMutableBufferPointer { d in
                for (k, (lo, hi)) in [(0, 0), (0, 100), (100, 257), (257, 300)].enumerated() {
                    w.backwardInput(p.baseAddress!, ldy: ldy, rows: n, outputs: lo, hi, into: d.baseAddress!, accumulate: k > 0)
                }
            } }
            let scale = whole.map { abs($0) }.max() ?? 0
            XCTAssertGreaterThan(scale, 0, name)
            for (a, b) in zip(whole, split) { XCTAssertEqual(a, b, accuracy: 1e-5 * scale, name) }
        }
    }
}
