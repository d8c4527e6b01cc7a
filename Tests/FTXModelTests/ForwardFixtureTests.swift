import XCTest
import FTXTestSupport
@testable import FTXModel

/// The forward pass against float64 reference logits and hidden states of SmolLM2.
final class ForwardFixtureTests: XCTestCase {
    func testEnglishLogitsEveryPosition() throws {
        let model = try SmolLM2.model()
        let (fx, ids, ref) = try SmolLM2.english()
        let V = model.config.vocabSize
        XCTAssertEqual(ref.count, ids.count * V)
        let cache = KVCache(config: model.config)
        let logits = try model.forward([ForwardSegment(cache: cache, tokens: ids)], logits: .all)
        var maxErr: Float = 0
        let argmaxRef = fx["argmax_per_position"] as! [Int]
        for t in 0..<ids.count {
            var best = 0
            for j in 0..<V {
                maxErr = max(maxErr, abs(logits[t * V + j] - ref[t * V + j]))
                if logits[t * V + j] > logits[t * V + best] { best = j }
            }
            XCTAssertEqual(best, argmaxRef[t], "argmax at position \(t)")
        }
        XCTAssertLessThan(maxErr, 2e-3, "max |logit - reference|")
        print("english max logit error \(maxErr)")
        // Mean cross-entropy.
        var nll = 0.0
        for t in 0..<(ids.count - 1) {
            let row = Array(logits[(t * V)..<((t + 1) * V)])
            let m = row.max()!
            let lse = Double(m) + log(row.reduce(0.0) { $0 + exp(Double($1 - m)) })
            nll += lse - Double(row[ids[t + 1]])
        }
        let mean = nll / Double(ids.count - 1)
        XCTAssertEqual(mean, fx["mean_cross_entropy_nats"] as! Double, accuracy: 1e-3)
    }

    func testHiddenStatesLayerByLayer() throws {
        let model = try SmolLM2.model()
        let ids = try SmolLM2.json("english.json")["ids"] as! [Int]
        let ref = try SmolLM2.floats("english_hidden_states.bin")
        let H = model.config.hiddenSize, T = ids.count
        var worst: [Float] = []
        _ = try model.forward([ForwardSegment(cache: KVCache(config: model.config), tokens: ids)], logits: .none) { stage, x, rows in
            // The residual stream reaches ~2e4 in a few channels: compare relative to the stage's scale.
            var m: Float = 0, scale: Float = 0
            for i in 0..<(rows * H) {
                m = max(m, abs(x[i] - ref[stage * T * H + i]))
                scale = max(scale, abs(ref[stage * T * H + i]))
            }
            worst.append(m / max(1, scale))
        }
        XCTAssertEqual(worst.count, 32)
        for (stage, e) in worst.enumerated() {
            XCTAssertLessThan(e, 2e-5, "hidden state stage \(stage): max error relative to the largest value")
        }
        print("hidden state max errors", worst)
    }
}
