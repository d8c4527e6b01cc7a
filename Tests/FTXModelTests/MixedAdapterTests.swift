import XCTest
@testable import FTXModel

/// Several adapters in one batch (`ForwardSegment.adapter`): each row must get exactly what it gets
/// when its sequence runs alone with its adapter set as the model's own (the path every adapter
/// took before rows could differ; TinyModelTests checks that path against merged weights).
final class MixedAdapterTests: XCTestCase {
    /// A random adapter on every projection of every block (B non-zero so it changes the output).
    static func randomAdapter(_ c: LlamaConfig, seed: UInt64, rank: Int = 4) -> LoRAWeights {
        var rng = SplitMix64(seed: seed)
        return LoRAWeights(layers: (0..<c.numLayers).map { _ in
            var d: [Projection: LoRAPair] = [:]
            for p in Projection.allCases {
                let inF = c.inFeatures(p), outF = c.outFeatures(p)
                d[p] = LoRAPair(a: (0..<(rank * inF)).map { _ in rng.nextFloat() - 0.5 },
                                b: (0..<(outF * rank)).map { _ in (rng.nextFloat() - 0.5) * 0.2 },
                                rank: rank, inFeatures: inF, outFeatures: outF, scale: 2)
            }
            return d
        })
    }

    /// Prefill and then greedy decode, step by step: all sequences together in one forward per step
    /// (each with its adapter), against each alone with `model.adapter` set to its adapter.
    /// `tolerance` is relative to the largest logit: 0 (bit-exact) for int8, where the low-rank
    /// product is the only f32 BLAS call; the f32 path lets BLAS block rows differently for a
    /// different row count, which changes the summation order (~1e-6).
    func checkMixed(_ model: LlamaModel, matmuls: MatmulMode, tolerance: Float = 0,
                    file: StaticString = #filePath, line: UInt = #line) throws {
        let c = model.config
        let a = Self.randomAdapter(c, seed: 11), b = Self.randomAdapter(c, seed: 12)
        let shared = (SharedAdapter(a), SharedAdapter(b))
        let tok = model.tokenizer
        let prompts = ["first prompt", "a second, longer prompt here", "3rd", "four four"].map { tok.encode($0) }
        // Rows: A, B, base, A (the two A rows are not adjacent; a run of A rows follows below).
        let kinds: [RowAdapter] = [.lora(shared.0), .lora(shared.1), .base, .lora(shared.0)]
        let own: [LoRAWeights?] = [a, b, nil, a]
        let V = c.vocabSize, steps = 6

        // Together.
        let caches = prompts.map { KVCache(config: c, maxLength: $0.count + steps) }
        var logits = try model.forward(prompts.indices.map { ForwardSegment(cache: caches[$0], tokens: prompts[$0], adapter: kinds[$0]) },
                                       logits: .last, matmuls: matmuls)
        var together: [[Float]] = [logits]
        for _ in 0..<steps {
            let next = prompts.indices.map { i in argmax(logits, row: i, V) }
            // Reordered so A rows are adjacent (one low-rank matmul for both).
            let order = [0, 3, 1, 2]
            let out = try model.forward(order.map { ForwardSegment(cache: caches[$0], tokens: [next[$0]], adapter: kinds[$0]) },
                                        logits: .last, matmuls: matmuls)
            logits = [Float](repeating: 0, count: prompts.count * V)
            for (j, i) in order.enumerated() { logits.replaceSubrange((i * V)..<((i + 1) * V), with: out[(j * V)..<((j + 1) * V)]) }
            together.append(logits)
        }

        // Alone, with the model's own adapter.
        for (i, p) in prompts.enumerated() {
            model.adapter = own[i]
            defer { model.adapter = nil }
            let cache = KVCache(config: c, maxLength: p.count + steps)
            var l = try model.forward([ForwardSegment(cache: cache, tokens: p)], logits: .last, matmuls: matmuls)
            for s in 0...steps {
                let mixed = Array(together[s][(i * V)..<((i + 1) * V)])
                if tolerance == 0 {
                    XCTAssertEqual(l, mixed, "sequence \(i), step \(s), \(matmuls)", file: file, line: line)
                } else {
                    let scale = l.map(abs).max()!, diff = zip(l, mixed).map { abs($0 - $1) }.max()!
                    XCTAssertLessThanOrEqual(diff, tolerance * scale, "sequence \(i), step \(s), \(matmuls)", file: file, line: line)
                }
                if s == steps { break }
                l = try model.forward([ForwardSegment(cache: cache, tokens: [argmax(l, row: 0, V)])], logits: .last, matmuls: matmuls)
            }
        }
        // The adapters matter: A's row differs from the same prompt on the base.
        let base = try model.forward([ForwardSegment(cache: KVCache(config: c), tokens: prompts[0], adapter: .base)], logits: .last)
        let withA = try model.forward([ForwardSegment(cache: KVCache(config: c), tokens: prompts[0], adapter: kinds[0])], logits: .last)
        XCTAssertGreaterThan(zip(base, withA).map { abs($0 - $1) }.max()!, 1e-2, file: file, line: line)
    }

    func argmax(_ l: [Float], row: Int, _ V: Int) -> Int {
        var best = 0
        for t in 1..<V where l[row * V + t] > l[row * V + best] { best = t }
        return best
    }

    func testMixedAdaptersQuantizedInt8() throws {
        try checkMixed(Int8MatmulTests.quantizedTinyModel(), matmuls: .int8)
    }

    func testMixedAdaptersF32() throws {
        try checkMixed(LlamaModel.random(config: .tiny(), seed: 7, tokenizer: .tinyByteLevel()), matmuls: .exact, tolerance: 1e-5)
    }

    /// `.base` ignores the model's own adapter; `.model` (the default) uses it.
    func testBaseAndModelRows() throws {
        let m = LlamaModel.random(config: .tiny(), seed: 7, tokenizer: .tinyByteLevel())
        let ids = m.tokenizer.encode("which adapter?")
        let plain = try m.forward([ForwardSegment(cache: KVCache(config: m.config), tokens: ids)], logits: .last)
        m.adapter = Self.randomAdapter(m.config, seed: 5)
        let own = try m.forward([ForwardSegment(cache: KVCache(config: m.config), tokens: ids)], logits: .last)
        let base = try m.forward([ForwardSegment(cache: KVCache(config: m.config), tokens: ids, adapter: .base)], logits: .last)
        XCTAssertEqual(base, plain)
        XCTAssertNotEqual(own, plain)
    }
}
