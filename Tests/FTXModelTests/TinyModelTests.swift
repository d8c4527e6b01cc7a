import FTXCore
import XCTest
@testable import FTXModel
import FTXTensor

/// Properties of the forward pass and generation on a tiny in-process model.
final class TinyModelTests: XCTestCase {
    let tok = Tokenizer.tinyByteLevel()
    lazy var model = LlamaModel.random(config: .tiny(), seed: 7, tokenizer: tok)

    func logitsAll(_ m: LlamaModel, _ ids: [Int]) throws -> [Float] {
        try m.forward([ForwardSegment(cache: KVCache(config: m.config), tokens: ids)], logits: .all)
    }

    func assertClose(_ a: [Float], _ b: [Float], _ tol: Float, _ msg: String = "", file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, msg, file: file, line: line)
        var m: Float = 0
        for i in 0..<min(a.count, b.count) { m = max(m, abs(a[i] - b[i])) }
        XCTAssertLessThan(m, tol, msg, file: file, line: line)
    }

    /// A direct, loop-by-loop f64 implementation of the same Llama forward, as an independent reference.
    func referenceLogits(_ m: LlamaModel, _ ids: [Int]) -> [Double] {
        let c = m.config, H = c.hiddenSize, hd = c.headDim, T = ids.count
        let W = m.weights
        func mat(_ w: LinearWeight) -> [Double] { w.dequantized().map(Double.init) }
        func matvec(_ w: [Double], _ x: [Double], out: Int) -> [Double] {
            (0..<out).map { r in (0..<x.count).reduce(0.0) { $0 + w[r * x.count + $1] * x[$1] } }
        }
        func rms(_ x: [Double], _ g: [Float]) -> [Double] {
            let s = (x.reduce(0) { $0 + $1 * $1 } / Double(x.count) + Double(c.rmsNormEps)).squareRoot()
            return x.indices.map { x[$0] / s * Double(g[$0]) }
        }
        func rope(_ v: inout [Double], pos: Int, heads: Int) {
            for h in 0..<heads { for i in 0..<(hd / 2) {
                let th = Double(pos) * pow(Double(c.ropeTheta), -2.0 * Double(i) / Double(hd))
                let a = v[h * hd + 2 * i], b = v[h * hd + 2 * i + 1]
                v[h * hd + 2 * i] = a * cos(th) - b * sin(th); v[h * hd + 2 * i + 1] = a * sin(th) + b * cos(th)
            } }
        }
        let emb = mat(W.tokenEmbedding)
        var xs = ids.map { Array(emb[($0 * H)..<(($0 + 1) * H)]) }
        for L in W.layers {
            let (wq, wk, wv, wo, wg, wu, wd) = (mat(L.q), mat(L.k), mat(L.v), mat(L.o), mat(L.gate), mat(L.up), mat(L.down))
            var qs: [[Double]] = [], ks: [[Double]] = [], vs: [[Double]] = []
            for t in 0..<T {
                let n = rms(xs[t], L.attnNorm)
                var q = matvec(wq, n, out: c.qDim), k = matvec(wk, n, out: c.kvDim)
                rope(&q, pos: t, heads: c.numHeads); rope(&k, pos: t, heads: c.numKVHeads)
                qs.append(q); ks.append(k); vs.append(matvec(wv, n, out: c.kvDim))
            }
            for t in 0..<T {
                var att = [Double](repeating: 0, count: c.qDim)
                for h in 0..<c.numHeads {
                    let kh = h / (c.numHeads / c.numKVHeads)
                    var s = (0...t).map { j in (0..<hd).reduce(0.0) { $0 + qs[t][h * hd + $1] * ks[j][kh * hd + $1] } / Double(hd).squareRoot() }
                    let mx = s.max()!
                    s = s.map { exp($0 - mx) }
                    let z = s.reduce(0, +)
                    for j in 0...t { for d in 0..<hd { att[h * hd + d] += s[j] / z * vs[j][kh * hd + d] } }
                }
                let o = matvec(wo, att, out: H)
                for i in 0..<H { xs[t][i] += o[i] }
                let n = rms(xs[t], L.ffnNorm)
                let g = matvec(wg, n, out: c.intermediateSize), u = matvec(wu, n, out: c.intermediateSize)
                let a = g.indices.map { g[$0] / (1 + exp(-g[$0])) * u[$0] }
                let d = matvec(wd, a, out: H)
                for i in 0..<H { xs[t][i] += d[i] }
            }
        }
        let out = mat(W.output)
        return xs.flatMap { matvec(out, rms($0, W.outputNorm), out: c.vocabSize) }
    }

    func testForwardMatchesIndependentReference() throws {
        let ids = Array(tok.encode("Hello, tiny world!").prefix(12))
        let got = try logitsAll(model, ids)
        let ref = referenceLogits(model, ids)
        assertClose(got, ref.map(Float.init), 1e-3, "forward vs f64 reference")
    }

    func testKVCacheDecodeEqualsFullRecompute() throws {
        let ids = tok.encode("The cache must not change anything.")
        let full = try logitsAll(model, ids)
        let V = model.config.vocabSize
        let cache = KVCache(config: model.config)
        var stepwise: [Float] = []
        // A 5-token prefill, then one token at a time.
        stepwise += try model.forward([ForwardSegment(cache: cache, tokens: Array(ids[0..<5]))], logits: .all)
        for t in 5..<ids.count {
            stepwise += try model.forward([ForwardSegment(cache: cache, tokens: [ids[t]])], logits: .last)
        }
        XCTAssertEqual(cache.length, ids.count)
        assertClose(stepwise, full, 1e-4, "cached decode vs recompute (\(V) vocab)")
    }

    func testBatchedDecodeEqualsOneByOne() throws {
        let prompts = ["first prompt", "a second, longer prompt here", "3rd"].map { tok.encode($0) }
        let params = GenerationParams(maxTokens: 12, stopAtEOS: false)
        let batched = try model.generate(prompts: prompts, params: params)
        for (i, p) in prompts.enumerated() {
            let single = try model.generate(prompts: [p], params: params)[0]
            XCTAssertEqual(batched[i].tokenIDs, single.tokenIDs, "prompt \(i)")
            XCTAssertEqual(batched[i].text, single.text)
            XCTAssertEqual(batched[i].promptTokens, p.count)
            XCTAssertEqual(batched[i].finishReason, "length")
        }
        // Batched segments in one forward give the same logits as separate forwards.
        let caches = prompts.map { _ in KVCache(config: model.config) }
        let together = try model.forward(zip(caches, prompts).map { ForwardSegment(cache: $0, tokens: $1) }, logits: .last)
        var apart: [Float] = []
        for p in prompts { apart += try model.forward([ForwardSegment(cache: KVCache(config: model.config), tokens: p)], logits: .last) }
        assertClose(together, apart, 1e-4)
    }

    func testSharedPromptPrefixRunsOnceAndChangesNothing() throws {
        // Prompts sharing a long prefix (as an eval suite's system prompt): batched generation runs
        // the prefix once; each result must equal the prompt generated alone (no sharing there).
        let head = "system: answer with one word, please. user: "
        let prompts = ["first prompt", "a second, longer prompt here", "3rd"].map { tok.encode(head + $0) }
        XCTAssertGreaterThanOrEqual(model.sharedPrefix(prompts.map { ($0, $0.count - 1) }), 4, "the test needs a shared prefix")
        for matmuls in [MatmulMode.int8, .exact] {
            let params = GenerationParams(maxTokens: 10, stopAtEOS: false, matmuls: matmuls)
            let batched = try model.generate(prompts: prompts, params: params)
            for (i, p) in prompts.enumerated() {
                let single = try model.generate(prompts: [p], params: params)[0]
                XCTAssertEqual(batched[i].tokenIDs, single.tokenIDs, "prompt \(i), \(matmuls)")
                XCTAssertEqual(batched[i].promptTokens, p.count)
            }
        }
        // Identical prompts share all but their last token.
        let same = try model.generate(prompts: [prompts[1], prompts[1]], params: GenerationParams(maxTokens: 6, stopAtEOS: false))
        XCTAssertEqual(same[0].tokenIDs, same[1].tokenIDs)
        XCTAssertEqual(same[0].tokenIDs, try model.generate(prompts: [prompts[1]], params: GenerationParams(maxTokens: 6, stopAtEOS: false))[0].tokenIDs)
    }

    func testLoRAUnmergedEqualsMergedWeights() throws {
        let c = model.config
        var rng = SplitMix64(seed: 3)
        var layers: [[Projection: LoRAPair]] = []
        for _ in 0..<c.numLayers {
            var d: [Projection: LoRAPair] = [:]
            for p in Projection.allCases {
                let r = 4, inF = c.inFeatures(p), outF = c.outFeatures(p)
                d[p] = LoRAPair(a: (0..<(r * inF)).map { _ in rng.nextFloat() - 0.5 },
                                b: (0..<(outF * r)).map { _ in (rng.nextFloat() - 0.5) * 0.2 },
                                rank: r, inFeatures: inF, outFeatures: outF, scale: 2)
            }
            layers.append(d)
        }
        let adapter = LoRAWeights(layers: layers)
        let adapted = LlamaModel.random(config: c, seed: 7, tokenizer: tok)
        adapted.adapter = adapter
        // Merged: W' = W + scale·B·A, as plain f32 weights.
        func merge(_ w: LinearWeight, _ p: LoRAPair) -> LinearWeight {
            var m = w.dequantized()
            for o in 0..<p.outFeatures { for i in 0..<p.inFeatures {
                var s: Float = 0
                for k in 0..<p.rank { s += p.b[o * p.rank + k] * p.a[k * p.inFeatures + i] }
                m[o * p.inFeatures + i] += p.scale * s
            } }
            return LinearWeight(f32: m, out: p.outFeatures, in: p.inFeatures)
        }
        let base = LlamaModel.random(config: c, seed: 7, tokenizer: tok)
        for l in 0..<c.numLayers {
            let L = base.weights.layers[l], A = adapter.layers[l]
            base.weights.layers[l] = LlamaLayerWeights(
                attnNorm: L.attnNorm, q: merge(L.q, A[.q]!), k: merge(L.k, A[.k]!), v: merge(L.v, A[.v]!), o: merge(L.o, A[.o]!),
                ffnNorm: L.ffnNorm, gate: merge(L.gate, A[.gate]!), up: merge(L.up, A[.up]!), down: merge(L.down, A[.down]!))
        }
        let ids = tok.encode("adapters apply unmerged")
        let a = try logitsAll(adapted, ids), b = try logitsAll(base, ids)
        assertClose(a, b, 1e-3, "unmerged LoRA vs merged weights")
        let plain = try logitsAll(LlamaModel.random(config: c, seed: 7, tokenizer: tok), ids)
        XCTAssertGreaterThan(zip(a, plain).map { abs($0 - $1) }.max()!, 1e-2, "the adapter must change the output")
    }

    func testSamplingIsSeededAndStopsOnStrings() throws {
        let p = [tok.encode("Once upon")]
        let params = GenerationParams(maxTokens: 20, temperature: 1.5, topK: 100, topP: 0.98, repetitionPenalty: 1.1, seed: 42, stopAtEOS: false)
        let a = try model.generate(prompts: p, params: params)[0]
        let b = try model.generate(prompts: p, params: params)[0]
        XCTAssertEqual(a.tokenIDs, b.tokenIDs)
        var other = params; other.seed = 43
        let c = try model.generate(prompts: p, params: other)[0]
        XCTAssertNotEqual(a.tokenIDs, c.tokenIDs, "a different seed should give a different draw")
        // Stop strings: cut at the first occurrence of a piece of the unconstrained text.
        let greedy = try model.generate(prompts: p, params: GenerationParams(maxTokens: 20, stopAtEOS: false))[0]
        let chars = Array(greedy.text)
        guard chars.count >= 6 else { return }
        let stop = String(chars[3..<5])
        var streamed = ""
        let s = try model.generate(prompts: p, params: GenerationParams(maxTokens: 20, stop: [stop], stopAtEOS: false)) { _, piece in streamed += piece }[0]
        XCTAssertEqual(s.finishReason, "stop")
        XCTAssertEqual(s.text, String(greedy.text[..<greedy.text.range(of: stop)!.lowerBound]))
        XCTAssertEqual(streamed, s.text)
    }

    func testScoreMatchesLogSoftmax() throws {
        let ids = tok.encode("score me")
        let logits = try logitsAll(model, ids)
        let V = model.config.vocabSize
        var ref = 0.0
        for t in 1..<ids.count {
            let row = logits[((t - 1) * V)..<(t * V)].map(Double.init)
            let m = row.max()!
            ref += m + log(row.reduce(0) { $0 + exp($1 - m) }) - row[ids[t]]
        }
        let (nll, n) = try model.score(tokens: ids, targetMask: ids.indices.map { $0 > 0 })
        XCTAssertEqual(n, ids.count - 1)
        XCTAssertEqual(nll, ref, accuracy: 1e-3)
        let (half, k) = try model.score(tokens: ids, targetMask: ids.indices.map { $0 >= 4 })
        XCTAssertEqual(k, ids.count - 4)
        XCTAssertLessThan(half, nll)
    }

    func testQuantizedBackwardInputMatchesDequantizedMatmul() throws {
        // A Q8_0 weight: backwardInput and forward equal f32 math on its dequantized values.
        let out = 70, inF = 64
        var rng = SplitMix64(seed: 1)
        let w = LinearWeight.randomQ8_0(out: out, in: inF, rng: &rng)
        let f = LinearWeight(f32: w.dequantized(), out: out, in: inF)
        for n in [1, 3, 9, 40] {
            let x = (0..<(n * inF)).map { _ in rng.nextFloat() - 0.5 }
            let dy = (0..<(n * out)).map { _ in rng.nextFloat() - 0.5 }
            var y1 = [Float](repeating: 0, count: n * out), y2 = y1
            var d1 = [Float](repeating: 1, count: n * inF), d2 = d1
            w.forward(x, rows: n, into: &y1, accumulate: false)
            f.forward(x, rows: n, into: &y2, accumulate: false)
            w.backwardInput(dy, rows: n, into: &d1, accumulate: true)
            f.backwardInput(dy, rows: n, into: &d2, accumulate: true)
            assertClose(y1, y2, 1e-4, "forward n=\(n)")
            assertClose(d1, d2, 1e-4, "backwardInput n=\(n)")
        }
    }

    /// Many activation rows go through dequantized tiles + sgemm; tiles of every size the policy picks
    /// (threads sharing rows, one serial thread, a wide weight cut into ragged tiles) give f32's result.
    func testTiledQuantizedForwardMatchesDequantizedMatmul() throws {
        var rng = SplitMix64(seed: 2)
        for (out, inF) in [(70, 64), (300, 8192)] {
            let w = LinearWeight.randomQ8_0(out: out, in: inF, rng: &rng)
            let f = LinearWeight(f32: w.dequantized(), out: out, in: inF)
            let n = 100
            let x = (0..<(n * inF)).map { _ in rng.nextFloat() - 0.5 }
            var want = [Float](repeating: 0, count: n * out)
            f.forward(x, rows: n, into: &want, accumulate: false)
            for serial in [false, true] {
                var got = [Float](repeating: 0, count: n * out)
                if serial { Threads.serial { w.forward(x, rows: n, into: &got, accumulate: false) } }
                else { w.forward(x, rows: n, into: &got, accumulate: false) }
                assertClose(got, want, 1e-4 * Float(inF / 64), "\(out)×\(inF), serial \(serial)")
            }
        }
        XCTAssertLessThan(DequantTiles.rows(out: 300, cols: 8192, minimum: 64), 300)   // so the wide case is ragged
    }
}
