import XCTest
import FTXTestSupport
@testable import FTXTrain

/// AdamW against torch.optim.AdamW; schedules and clipping against values computed by hand (and
/// PyTorch's formulas).
final class OptimizerTests: XCTestCase {
    struct TorchRuns: Decodable {
        struct Run: Decodable {
            struct Step: Decodable { let lr: Float; let grad: [Float]; let params: [Float] }
            let betas: [Float], eps: Float, weight_decay: Float, initial: [Float], steps: [Step]
        }
        let torch: String, runs: [Run]
    }

    /// torch.optim.AdamW's parameter trajectory over 20 recorded gradients (zero, huge and
    /// sign-flipping ones among them), weight decay on, a rate that changes each step
    /// (Fixtures/adamw, written by scripts/adamw_reference.py). Both run in float32 with different
    /// operation orders, so they agree to a few ulps of the parameters, while any change to the
    /// algorithm (decay coupled to the gradient, a bias correction off by a step, eps inside the
    /// square root) moves them by 1e-4 or more.
    func testAdamWMatchesTorch() throws {
        let url = TestSupport.fixture("FTXTrainTests/Fixtures/adamw/adamw.json")
        let ref = try JSONDecoder().decode(TorchRuns.self, from: Data(contentsOf: url))
        XCTAssertEqual(ref.runs.count, 2)
        for (r, run) in ref.runs.enumerated() {
            let n = run.initial.count
            let p = FloatBuffer(run.initial), g = FloatBuffer(n)
            let opt = AdamW(count: n, config: AdamWConfig(beta1: run.betas[0], beta2: run.betas[1], eps: run.eps, weightDecay: run.weight_decay))
            var worst: Float = 0
            for (t, step) in run.steps.enumerated() {
                for i in 0..<n { g.p[i] = step.grad[i] }
                opt.step(params: p.p, grads: g.p, count: n, lr: step.lr)
                for i in 0..<n {
                    worst = max(worst, abs(p.p[i] - step.params[i]))
                    XCTAssertEqual(p.p[i], step.params[i], accuracy: 1e-6 * max(1, abs(step.params[i])), "run \(r) step \(t + 1) param \(i)")
                }
            }
            XCTAssertEqual(opt.t, run.steps.count)
            print("AdamW run \(r): max |ftx − torch \(ref.torch)| = \(worst)")
        }
    }

    func testAdamWTwoStepsByHand() {
        let p = FloatBuffer([1.0, -2.0]), g = FloatBuffer([0.5, 0.1])
        let opt = AdamW(count: 2, config: AdamWConfig(beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1))
        opt.step(params: p.p, grads: g.p, count: 2, lr: 0.01)
        // Step 1: decay 1 → 0.999; m̂ = g, v̂ = g² → update = lr·sign(g) (up to eps).
        XCTAssertEqual(Double(p.p[0]), 1 * (1 - 0.001) - 0.01, accuracy: 1e-6)
        XCTAssertEqual(Double(p.p[1]), -2 * (1 - 0.001) - 0.01, accuracy: 1e-6)
        g.p[0] = -0.25
        opt.step(params: p.p, grads: g.p, count: 2, lr: 0.01)
        // Step 2 by hand for p0.
        var p0 = 0.989
        p0 -= 0.01 * 0.1 * p0
        let m = 0.9 * 0.05 + 0.1 * -0.25, v = 0.999 * 0.00025 + 0.001 * 0.0625
        p0 -= 0.01 * (m / (1 - 0.81)) / ((v / (1 - 0.999 * 0.999)).squareRoot() + 1e-8)
        XCTAssertEqual(Double(p.p[0]), p0, accuracy: 1e-6)
        XCTAssertEqual(opt.t, 2)
    }

    func testSchedules() {
        let cos = LRSchedule(kind: .cosine, peak: 1e-3, warmupSteps: 10, totalSteps: 110)
        XCTAssertEqual(cos.lr(0), 0)
        XCTAssertEqual(cos.lr(5), 5e-4, accuracy: 1e-9)
        XCTAssertEqual(cos.lr(10), 1e-3, accuracy: 1e-9)
        XCTAssertEqual(cos.lr(60), 5e-4, accuracy: 1e-9)           // halfway: cos(π/2)
        XCTAssertEqual(cos.lr(35), Float(1e-3 * 0.5 * (1 + Foundation.cos(Double.pi * 0.25))), accuracy: 1e-9)
        XCTAssertEqual(cos.lr(110), 0, accuracy: 1e-12)
        let lin = LRSchedule(kind: .linear, peak: 2e-4, warmupSteps: 0, totalSteps: 4)
        for (s, want) in zip([0, 1, 2, 3], [2e-4, 1.5e-4, 1e-4, 0.5e-4] as [Float]) { XCTAssertEqual(lin.lr(s), want, accuracy: 1e-10) }
        let con = LRSchedule(kind: .constant, peak: 3e-4, warmupSteps: 2, totalSteps: 10)
        XCTAssertEqual([0, 1, 2, 9].map { con.lr($0) }, [0, 1.5e-4, 3e-4, 3e-4])
    }

    func testClipping() {
        let g = FloatBuffer([3, 4])
        XCTAssertEqual(GradClip.clip(g.p, count: 2, maxNorm: 10), 5)
        XCTAssertEqual(g.array, [3, 4])                    // below the limit: untouched
        XCTAssertEqual(GradClip.clip(g.p, count: 2, maxNorm: 1), 5)
        XCTAssertEqual(Double(g.p[0]), 3 / (5 + 1e-6), accuracy: 1e-6)
        XCTAssertEqual(Double(g.p[1]), 4 / (5 + 1e-6), accuracy: 1e-6)
    }
}
