import FTXCore
import XCTest
@testable import FTXTrain

/// The data-parallel split of a micro-batch: which sequences each worker owns, and that the split
/// changes nothing but the rounding of the gradient sums (dropout masks, packing and recomputation
/// included).
final class BatchWorkersTests: XCTestCase {
    override func tearDown() { Threads.count = 2 }

    func testSlicesAreContiguousAndEvenOrOneWhenThreadsWouldIdle() {
        func sizes(_ batch: Int, _ threads: Int) -> [Int] {
            let s = BatchWorkers.slices(batch: batch, seqLen: 4, threads: threads)
            XCTAssertEqual(s.first?.b0, 0)
            XCTAssertEqual(s.last?.b1, batch)
            for (a, b) in zip(s, s.dropFirst()) { XCTAssertEqual(a.b1, b.b0) }
            return s.map { $0.batch }
        }
        XCTAssertEqual(sizes(8, 2), [4, 4])
        XCTAssertEqual(sizes(6, 3), [2, 2, 2])
        XCTAssertEqual(sizes(10, 3), [4, 3, 3])
        XCTAssertEqual(sizes(8, 3), [8])      // 3/3/2 would leave a thread idle a third of the time
        XCTAssertEqual(sizes(3, 2), [3])
        XCTAssertEqual(sizes(1, 2), [1])
        XCTAssertEqual(sizes(8, 1), [8])
        let s = BatchWorkers.slices(batch: 6, seqLen: 5, threads: 3)[1]
        XCTAssertEqual([s.row0, s.rows], [10, 10])
    }

    /// Loss and every gradient with the blocks split across `threads` workers.
    func lossAndGrads(threads: Int, batch b: Int, dropout: Float, recompute: Bool) throws -> (Double, [Float]) {
        Threads.count = threads
        let dims = ModelGradientTests.dims, t = 8
        let base = TrainBase.random(dims: dims, seed: 5)
        let lora = LoRAParameters(dims: dims, spec: LoRASpec(rank: 3, alpha: 6, dropout: dropout))
        lora.initialize(seed: 9)
        var rng = TrainRNG(seed: 10)
        for e in lora.entries { lora.setB(e, (0..<(3 * e.outFeatures)).map { _ in rng.uniform(-0.3, 0.3) }) }
        let model = TrainableLlama(base: base, lora: lora, maxBatch: b, maxSeqLen: t, recompute: recompute)
        model.dropoutSeed = 77
        let tokens = (0..<(b * t)).map { _ in Int32(rng.below(dims.vocabSize)) }
        var targets = [Int32](repeating: -1, count: b * t)
        for r in 0..<(b * t) where r % t >= 1 && r % t < t - 1 { targets[r] = tokens[r + 1] }
        var pos = (0..<(b * t)).map { Int32($0 % t) }, ks = [Int32](repeating: 0, count: b * t)
        for r in (b - 1) * t + 4..<(b * t) { pos[r] -= 4; ks[r] = 4 }   // the last sequence is packed
        let batch = TokenBatch(batch: b, seqLen: t, tokens: tokens, targets: targets, positions: pos, keyStart: ks)
        model.zeroGrads()
        let loss = try model.forwardBackward(batch, lossScale: 0.1)
        try model.forwardBackward(batch, lossScale: 0.1)   // accumulation across micro-batches
        return (loss, lora.grads.array)
    }

    func testSplitMatchesOneWorker() throws {
        for (threads, batch) in [(2, 4), (3, 6)] {
            for (dropout, recompute) in [(Float(0), false), (0.3, true)] {
                let one = try lossAndGrads(threads: 1, batch: batch, dropout: dropout, recompute: recompute)
                let split = try lossAndGrads(threads: threads, batch: batch, dropout: dropout, recompute: recompute)
                XCTAssertGreaterThan(BatchWorkers.slices(batch: batch, seqLen: 8, threads: threads).count, 1)
                XCTAssertEqual(one.0, split.0, accuracy: 1e-6 * abs(one.0), "loss, \(threads) threads, dropout \(dropout)")
                let scale = one.1.map { abs($0) }.max() ?? 0
                XCTAssertGreaterThan(scale, 0)
                var worst: Float = 0
                for (a, b) in zip(one.1, split.1) { worst = max(worst, abs(a - b)) }
                XCTAssertLessThan(worst, 1e-5 * scale, "grads, \(threads) threads, dropout \(dropout), recompute \(recompute)")
            }
        }
    }

    func testSameThreadCountGivesIdenticalBytes() throws {
        let a = try lossAndGrads(threads: 2, batch: 4, dropout: 0.3, recompute: false)
        let b = try lossAndGrads(threads: 2, batch: 4, dropout: 0.3, recompute: false)
        XCTAssertEqual(a.0, b.0)
        XCTAssertEqual(a.1, b.1)
    }
}
