import Foundation

/// What a training run would do, for `--dry-run`: data sizes, the step plan and its tokens, and a
/// time estimate from one measured step (the first step's forward + backward passes, timed on
/// this machine; no optimizer update, nothing written). The estimate is the measured seconds per
/// token times the tokens of all steps, so it leaves out validation passes and checkpoint writes.
public struct TrainEstimate: Sendable {
    public var trainExamples: Int
    public var validExamples: Int
    /// Examples dropped by long_sequences: skip.
    public var skippedExamples: Int
    public var steps: Int
    public var epochs: Int
    /// Tokens (padding included) fed through forward + backward over all steps.
    public var tokens: Int
    public var measuredStepTokens: Int
    public var measuredStepSeconds: Double
    public var estimatedSeconds: Double

    /// How the estimate was made, in words.
    public var basis: String {
        String(format: "one measured step: %d tokens in %.2f s, times %d tokens over %d steps; validation passes not included",
               measuredStepTokens, measuredStepSeconds, tokens, steps)
    }
}

extension Trainer {
    /// The plan of `run()` and a measured first step; leaves the adapter's parameters unchanged.
    public func estimate() throws -> TrainEstimate {
        var tokens = 0, epochs = 0
        var cache: (epoch: Int, batches: [TokenBatch])?
        var firstStep: [TokenBatch] = []
        for (i, s) in stepPlan.enumerated() {
            if cache?.epoch != s.epoch {
                cache = (s.epoch, batcher.microBatches(data.train, order: data.order(epoch: s.epoch, seed: config.seed, shuffle: config.shuffle)))
                epochs += 1
            }
            let micros = cache!.batches[s.firstMicro..<(s.firstMicro + s.micros)]
            tokens += micros.reduce(0) { $0 + $1.tokens.count }
            if i == 0 { firstStep = Array(micros) }
        }
        let count = firstStep.reduce(0) { $0 + $1.targetCount }
        let t0 = Date()
        for mb in firstStep where count > 0 { _ = try model.forwardBackward(mb, lossScale: 1 / Float(count)) }
        let seconds = Date().timeIntervalSince(t0)
        lora.grads.zero()
        let measured = firstStep.reduce(0) { $0 + $1.tokens.count }
        let perToken = measured > 0 ? seconds / Double(measured) : 0
        return TrainEstimate(trainExamples: data.train.count, validExamples: data.valid.count, skippedExamples: data.skipped,
                             steps: stepPlan.count, epochs: epochs, tokens: tokens, measuredStepTokens: measured,
                             measuredStepSeconds: seconds, estimatedSeconds: perToken * Double(tokens))
    }
}
