import FTXCore
import FTXTensor
import XCTest
@testable import FTXTrain

/// Every layer's input gradient (and LoRA parameter gradients) against finite differences of a random
/// linear functional of its output.
final class LayerGradientTests: XCTestCase {
    override func setUp() { Threads.count = 2 }

    func testRMSNorm() {
        var rng = TrainRNG(seed: 3)
        let n = 3, c = 16
        let x = FloatBuffer(GradCheck.random(n * c, &rng)), w = FloatBuffer(GradCheck.random(c, &rng))
        let wy = GradCheck.random(n * c, &rng)
        let y = FloatBuffer(n * c), r = FloatBuffer(n), dx = FloatBuffer(n * c)
        func f() -> Double { RMSNorm.forward(y.p, r.p, x.p, w.p, rows: n, cols: c, eps: 1e-5); return GradCheck.dot(y.p, wy) }
        _ = f()
        RMSNorm.backward(dx.p, wy, x.p, w.p, r.p, rows: n, cols: c)
        GradCheck.check("rmsnorm.dx", x: x.p, count: n * c, analytic: dx.array, f)
    }

    func testRoPEIsOrthogonalAndMatchesPairs() {
        var rng = TrainRNG(seed: 4)
        let n = 5, heads = 2, hd = 8
        let table = RoPETable(headDim: hd, maxPositions: 16, theta: 10000)
        let pos: [Int32] = [0, 3, 7, 1, 15]
        let x = FloatBuffer(GradCheck.random(n * heads * hd, &rng)), y = FloatBuffer(n * heads * hd)
        let wy = GradCheck.random(n * heads * hd, &rng)
        // Hand value: row 1 (pos 3), head 0, pair 1 rotates by 3·10000^(−2/8).
        let orig = x.array
        RoPE.forward(x.p, pos, rows: n, heads: heads, table: table)
        let ang = 3 * pow(10000.0, -2.0 / 8.0)
        let x0 = Double(orig[16 + 2]), x1 = Double(orig[16 + 3])
        XCTAssertEqual(Double(x.p[16 + 2]), x0 * cos(ang) - x1 * sin(ang), accuracy: 1e-5)
        XCTAssertEqual(Double(x.p[16 + 3]), x0 * sin(ang) + x1 * cos(ang), accuracy: 1e-5)
        x.p.update(from: orig, count: orig.count)
        func f() -> Double {
            y.p.update(from: x.p, count: x.count)
            RoPE.forward(y.p, pos, rows: n, heads: heads, table: table)
            return GradCheck.dot(y.p, wy)
        }
        let dx = FloatBuffer(wy)
        RoPE.backward(dx.p, pos, rows: n, heads: heads, table: table)
        GradCheck.check("rope.dx", x: x.p, count: x.count, analytic: dx.array, f)
    }

    func testSwiGLU() {
        var rng = TrainRNG(seed: 5)
        let n = 40
        let g = FloatBuffer(GradCheck.random(n, &rng, 3)), u = FloatBuffer(GradCheck.random(n, &rng, 2))
        let wy = GradCheck.random(n, &rng), h = FloatBuffer(n), dg = FloatBuffer(n), du = FloatBuffer(n)
        func f() -> Double { SwiGLU.forward(h.p, g.p, u.p, count: n); return GradCheck.dot(h.p, wy) }
        SwiGLU.backward(dg.p, du.p, wy, g.p, u.p, count: n)
        GradCheck.check("swiglu.dg", x: g.p, count: n, analytic: dg.array, f)
        GradCheck.check("swiglu.du", x: u.p, count: n, analytic: du.array, f)
        XCTAssertEqual(Double(h.p[0]), Double(g.p[0]) / (1 + exp(-Double(g.p[0]))) * Double(u.p[0]), accuracy: 1e-5)
    }

    func checkAttention(packed: Bool) {
        var rng = TrainRNG(seed: packed ? 7 : 6)
        let s = AttentionShape(batch: 2, seqLen: 6, heads: 4, kvHeads: 2, headDim: 4)
        let n = s.batch * s.seqLen
        let q = FloatBuffer(GradCheck.random(n * s.qWidth, &rng)), k = FloatBuffer(GradCheck.random(n * s.kvWidth, &rng))
        let v = FloatBuffer(GradCheck.random(n * s.kvWidth, &rng))
        let ks: [Int32] = packed ? [0, 0, 0, 3, 3, 3, 0, 0, 2, 2, 2, 2] : [Int32](repeating: 0, count: n)
        let out = FloatBuffer(n * s.qWidth), lse = FloatBuffer(s.batch * s.heads * s.seqLen)
        let wy = GradCheck.random(n * s.qWidth, &rng)
        func f() -> Double { Attention.forward(out.p, lse.p, q.p, k.p, v.p, keyStart: ks, shape: s); return GradCheck.dot(out.p, wy) }
        _ = f()
        // Causality and segments: the first row of each segment copies its own value row.
        for h in 0..<s.heads {
            XCTAssertEqual(out.p[h * 4], v.p[(h / 2) * 4], accuracy: 1e-6)
            if packed { XCTAssertEqual(out.p[3 * s.qWidth + h * 4], v.p[3 * s.kvWidth + (h / 2) * 4], accuracy: 1e-6) }
        }
        let dq = FloatBuffer(q.count), dk = FloatBuffer(k.count), dv = FloatBuffer(v.count)
        Attention.backward(dq.p, dk.p, dv.p, wy, q.p, k.p, v.p, lse.p, keyStart: ks, shape: s)
        GradCheck.check("attn.dq", x: q.p, count: q.count, analytic: dq.array, f)
        GradCheck.check("attn.dk", x: k.p, count: k.count, analytic: dk.array, f)
        GradCheck.check("attn.dv", x: v.p, count: v.count, analytic: dv.array, f)
    }

    func testAttentionCausalGQA() { checkAttention(packed: false) }
    func testAttentionPackedSegments() { checkAttention(packed: true) }
    /// Sequences of 6 in causal blocks of 4 (one full, one ragged): the blocked products still give
    /// the exact gradients, with and without packed segments.
    func testAttentionCausalBlocks() {
        let saved = Attention.causalBlock
        Attention.causalBlock = 4
        defer { Attention.causalBlock = saved }
        checkAttention(packed: false)
        checkAttention(packed: true)
    }

    func checkLoRA(dropout: Float) {
        var rng = TrainRNG(seed: 8)
        let n = 5, inF = 12, outF = 10, r = 3
        let base = DenseLinear(GradCheck.random(outF * inF, &rng), out: outF, in: inF)
        let x = FloatBuffer(GradCheck.random(n * inF, &rng))
        let a = FloatBuffer(GradCheck.random(r * inF, &rng)), b = FloatBuffer(GradCheck.random(outF * r, &rng))
        let da = FloatBuffer(a.count), db = FloatBuffer(b.count), dx = FloatBuffer(x.count)
        let view = LoRAView(a: a.p, b: b.p, da: da.p, db: db.p, rank: r, inFeatures: inF, outFeatures: outF, scale: 2)
        let y = FloatBuffer(n * outF), u = FloatBuffer(n * r), du = FloatBuffer(n * r), tmp = FloatBuffer(n * inF)
        let mask: DropoutMask? = dropout > 0 ? DropoutMask(p: dropout, seed: 99) : nil
        let wy = GradCheck.random(n * outF, &rng)
        func f() -> Double {
            LoRALinear.forward(y.p, x.p, rows: n, base: base, lora: view, u: u.p, dropout: mask, tmp: tmp.p)
            return GradCheck.dot(y.p, wy)
        }
        _ = f()
        LoRALinear.backward(dx.p, wy, x.p, rows: n, base: base, lora: view, u: u.p, dropout: mask, du: du.p, tmp: tmp.p)
        GradCheck.check("lora.dx", x: x.p, count: x.count, analytic: dx.array, f)
        GradCheck.check("lora.dA", x: a.p, count: a.count, analytic: da.array, f)
        GradCheck.check("lora.dB", x: b.p, count: b.count, analytic: db.array, f)
        // Forward against the formula y = W·x + s·B·A·x (no dropout).
        if dropout == 0 {
            _ = f()
            let w = base.dequantized()
            for i in 0..<n { for o in 0..<outF {
                var ref = 0.0
                for j in 0..<inF { ref += Double(w[o * inF + j]) * Double(x.p[i * inF + j]) }
                for q in 0..<r {
                    var ax = 0.0
                    for j in 0..<inF { ax += Double(a.p[q * inF + j]) * Double(x.p[i * inF + j]) }
                    ref += 2 * Double(b.p[o * r + q]) * ax
                }
                XCTAssertEqual(Double(y.p[i * outF + o]), ref, accuracy: 1e-4)
            } }
        }
    }

    func testLoRALinear() { checkLoRA(dropout: 0) }
    func testLoRALinearWithDropout() { checkLoRA(dropout: 0.3) }

    func testCrossEntropyHead() {
        var rng = TrainRNG(seed: 9)
        let n = 7, c = 8, v = 11
        let head = DenseLinear(GradCheck.random(v * c, &rng), out: v, in: c)
        let x = FloatBuffer(GradCheck.random(n * c, &rng, 2))
        let targets: [Int32] = [3, -1, 0, 10, -1, 5, 5]
        let scratch = FloatBuffer(4 * (c + v)), dx = FloatBuffer(n * c)
        func f() -> Double {
            CrossEntropyHead.forwardBackward(x: x.p, targets: targets, rows: n, head: head, lossScale: 1, dx: nil, chunk: 4, scratch: scratch.p)
        }
        // Hand reference for the loss.
        let w = head.dequantized()
        var ref = 0.0
        for i in 0..<n where targets[i] >= 0 {
            var logits = [Double](repeating: 0, count: v)
            for o in 0..<v { for j in 0..<c { logits[o] += Double(w[o * c + j]) * Double(x.p[i * c + j]) } }
            let m = logits.max()!
            let lse = m + log(logits.map { exp($0 - m) }.reduce(0, +))
            ref += lse - logits[Int(targets[i])]
        }
        XCTAssertEqual(f(), ref, accuracy: 1e-4)
        _ = CrossEntropyHead.forwardBackward(x: x.p, targets: targets, rows: n, head: head, lossScale: 1, dx: dx.p, chunk: 4, scratch: scratch.p)
        GradCheck.check("ce.dx", x: x.p, count: x.count, analytic: dx.array, f)
        for j in 0..<c { XCTAssertEqual(dx.p[1 * c + j], 0) }   // masked row gets no gradient
    }
}
