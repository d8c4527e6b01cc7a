import Foundation
import FTXModel

/// A Llama with a frozen base and trainable LoRA adapters: forward, loss and backward over a micro-batch.
/// Buffers are sized once for `maxRows` = micro_batch × max_seq_length; no allocation per step except
/// attention scratch.
public final class TrainableLlama {
    public let base: TrainBase
    public let lora: LoRAParameters
    public let dims: ModelDims
    public let maxRows: Int
    public let maxBatch: Int
    /// Keep only block inputs and recompute each block's activations during backward.
    public let recompute: Bool
    /// Dropout masks are a function of (seed, dropoutStep, block, target); the trainer advances dropoutStep.
    public var dropoutSeed: UInt64 = 0
    public var dropoutStep: UInt64 = 0
    /// Dropout is applied only in training passes.
    public var training = true

    let rope: RoPETable
    let inputs: [FloatBuffer]           // block l input [N×C], l = 0...L (L = final hidden)
    let acts: [BlockActivations]        // one per block, or a single reused one with recompute
    let xf: FloatBuffer, rstdF: FloatBuffer, dxf: FloatBuffer
    let scratch: BackwardScratch
    // Rows per head chunk: each chunk streams the whole (possibly quantized) vocab×hidden head once.
    let headChunk: Int
    let headScratch: FloatBuffer

    public init(base: TrainBase, lora: LoRAParameters, maxBatch: Int, maxSeqLen: Int, recompute: Bool = false) {
        self.base = base; self.lora = lora; self.dims = base.dims; self.recompute = recompute
        self.maxBatch = maxBatch
        let d = base.dims, n = maxBatch * maxSeqLen
        maxRows = n
        rope = RoPETable(headDim: d.headDim, maxPositions: maxSeqLen, theta: d.ropeTheta)
        inputs = (0...d.numLayers).map { _ in FloatBuffer(n * d.hiddenSize) }
        let blocks = recompute ? 1 : d.numLayers
        acts = (0..<blocks).map { _ in
            BlockActivations(dims: d, rows: n, batch: maxBatch, seqLen: maxSeqLen, rank: lora.spec.rank, targets: lora.spec.targets)
        }
        xf = FloatBuffer(n * d.hiddenSize); rstdF = FloatBuffer(n); dxf = FloatBuffer(n * d.hiddenSize)
        scratch = BackwardScratch(dims: d, rows: n, rank: lora.spec.rank, dropout: lora.spec.dropout > 0)
        headChunk = min(256, n)
        headScratch = FloatBuffer(headChunk * (d.hiddenSize + d.vocabSize))
    }

    /// Σ −log p over the batch's targets (forward only, no dropout).
    public func loss(_ batch: TokenBatch) throws -> Double {
        try check(batch)
        let wasTraining = training
        training = false
        defer { training = wasTraining }
        forwardBlocks(batch)
        return head(batch, lossScale: 0, backward: false)
    }

    /// Forward + backward: grads += ∂(lossScale · Σ −log p)/∂params. Returns Σ −log p.
    /// The trainer passes lossScale = 1 / (targets in the whole accumulated step).
    @discardableResult
    public func forwardBackward(_ batch: TokenBatch, lossScale: Float) throws -> Double {
        try check(batch)
        forwardBlocks(batch)
        let total = head(batch, lossScale: lossScale, backward: true)
        backwardBlocks(batch)
        return total
    }

    func check(_ b: TokenBatch) throws {
        let n = b.rows
        guard b.batch <= maxBatch, n <= maxRows, b.seqLen <= rope.maxPositions, b.tokens.count == n, b.targets.count == n,
              b.positions.count == n, b.keyStart.count == n else {
            throw TrainError.model("batch \(b.batch)×\(b.seqLen) does not fit the model's buffers (\(maxBatch) × \(rope.maxPositions))")
        }
        for r in 0..<n {
            let t = r % b.seqLen
            guard b.tokens[r] >= 0, Int(b.tokens[r]) < dims.vocabSize, Int(b.targets[r]) < dims.vocabSize,
                  b.keyStart[r] >= 0, Int(b.keyStart[r]) <= t, b.positions[r] >= 0, Int(b.positions[r]) < rope.maxPositions else {
                throw TrainError.model("batch row \(r): token, target, position or key start out of range")
            }
        }
    }

    func blockActs(_ l: Int) -> BlockActivations { recompute ? acts[0] : acts[l] }

    func dropout(_ l: Int, _ t: Projection) -> DropoutMask? {
        guard training, lora.spec.dropout > 0 else { return nil }
        var h = TrainRNG(seed: dropoutSeed ^ (dropoutStep &* 0x1000_0000_01B3) ^ UInt64(l * 8 + t.order) << 48)
        return DropoutMask(p: lora.spec.dropout, seed: h.next())
    }

    func forwardBlocks(_ b: TokenBatch) {
        b.tokens.withUnsafeBufferPointer { tok in
            base.embedding.lookup(tok.baseAddress!, count: b.rows, into: inputs[0].p)
        }
        for l in 0..<dims.numLayers { forwardBlock(l, b) }
    }

    func forwardBlock(_ l: Int, _ b: TokenBatch) {
        let d = dims, n = b.rows, w = base.layers[l], a = blockActs(l)
        let x = inputs[l].p, out = inputs[l + 1].p
        let tmp = scratch.tmp?.p
        func lin(_ t: Projection, _ y: UnsafeMutablePointer<Float>, _ xin: UnsafePointer<Float>) {
            LoRALinear.forward(y, xin, rows: n, base: w.linear(t), lora: lora.view(layer: l, target: t),
                               u: a.loraU[t]?.p, dropout: dropout(l, t), tmp: tmp)
        }
        let xn = scratch.xn.p, h = scratch.h.p
        RMSNorm.forward(xn, a.rstd1.p, x, w.attnNorm.p, rows: n, cols: d.hiddenSize, eps: d.rmsNormEps)
        lin(.q, a.q.p, xn); lin(.k, a.k.p, xn); lin(.v, a.v.p, xn)
        b.positions.withUnsafeBufferPointer { pos in
            RoPE.forward(a.q.p, pos.baseAddress!, rows: n, heads: d.numHeads, table: rope)
            RoPE.forward(a.k.p, pos.baseAddress!, rows: n, heads: d.numKVHeads, table: rope)
        }
        b.keyStart.withUnsafeBufferPointer { ks in
            Attention.forward(a.ao.p, a.lse.p, a.q.p, a.k.p, a.v.p, keyStart: ks.baseAddress!, shape: attnShape(b))
        }
        lin(.o, a.x2.p, a.ao.p)
        addInPlace(a.x2.p, x, n * d.hiddenSize)
        RMSNorm.forward(xn, a.rstd2.p, a.x2.p, w.ffnNorm.p, rows: n, cols: d.hiddenSize, eps: d.rmsNormEps)
        lin(.gate, a.g.p, xn); lin(.up, a.up.p, xn)
        SwiGLU.forward(h, a.g.p, a.up.p, count: n * d.intermediateSize)
        lin(.down, out, h)
        addInPlace(out, a.x2.p, n * d.hiddenSize)
    }

    func attnShape(_ b: TokenBatch) -> AttentionShape {
        AttentionShape(batch: b.batch, seqLen: b.seqLen, heads: dims.numHeads, kvHeads: dims.numKVHeads, headDim: dims.headDim)
    }

    /// Final norm + head + loss; with backward, leaves ∂L/∂(last block output) in scratch.dres.
    func head(_ b: TokenBatch, lossScale: Float, backward: Bool) -> Double {
        let n = b.rows, c = dims.hiddenSize
        RMSNorm.forward(xf.p, rstdF.p, inputs[dims.numLayers].p, base.outputNorm.p, rows: n, cols: c, eps: dims.rmsNormEps)
        if backward { dxf.zero() }
        let total = b.targets.withUnsafeBufferPointer { tg in
            CrossEntropyHead.forwardBackward(x: xf.p, targets: tg.baseAddress!, rows: n, head: base.output, lossScale: lossScale,
                                             dx: backward ? dxf.p : nil, chunk: headChunk, scratch: headScratch.p)
        }
        if backward {
            scratch.dres.zero()
            RMSNorm.backward(scratch.dres.p, dxf.p, inputs[dims.numLayers].p, base.outputNorm.p, rstdF.p, rows: n, cols: c)
        }
        return total
    }

    /// Backward stops at the lowest adapted block: nothing below it has a trainable parameter.
    lazy var lowestAdaptedLayer: Int = lora.entries.map { $0.layer }.min() ?? dims.numLayers

    func backwardBlocks(_ b: TokenBatch) {
        guard lowestAdaptedLayer < dims.numLayers else { return }
        for l in stride(from: dims.numLayers - 1, through: lowestAdaptedLayer, by: -1) {
            // The last block's activations are still in the shared buffers from the forward pass.
            if recompute && l != dims.numLayers - 1 { forwardBlock(l, b) }
            backwardBlock(l, b)
        }
    }

    /// scratch.dres holds ∂L/∂(block output) on entry and ∂L/∂(block input) on exit.
    func backwardBlock(_ l: Int, _ b: TokenBatch) {
        let d = dims, n = b.rows, w = base.layers[l], a = blockActs(l), s = scratch
        let x = inputs[l].p, tmp = s.tmp?.p
        let needInput = l > lowestAdaptedLayer   // no gradient is needed below the lowest adapter
        func back(_ t: Projection, _ dx: UnsafeMutablePointer<Float>?, _ dy: UnsafePointer<Float>, _ xin: UnsafePointer<Float>) {
            LoRALinear.backward(dx, dy, xin, rows: n, base: w.linear(t), lora: lora.view(layer: l, target: t),
                                u: a.loraU[t].map { UnsafePointer($0.p) }, dropout: dropout(l, t), du: s.du.p, tmp: tmp)
        }
        let ni = n * d.intermediateSize
        SwiGLU.forward(s.h.p, a.g.p, a.up.p, count: ni)   // recomputed: down's input
        s.dh.p.update(repeating: 0, count: ni)
        back(.down, s.dh.p, s.dres.p, s.h.p)
        SwiGLU.backward(s.dg.p, s.dup.p, s.dh.p, a.g.p, a.up.p, count: ni)
        RMSNorm.forward(s.xn.p, a.rstd2.p, a.x2.p, w.ffnNorm.p, rows: n, cols: d.hiddenSize, eps: d.rmsNormEps)
        s.dxn.p.update(repeating: 0, count: n * d.hiddenSize)
        back(.gate, s.dxn.p, s.dg.p, s.xn.p)
        back(.up, s.dxn.p, s.dup.p, s.xn.p)
        RMSNorm.backward(s.dres.p, s.dxn.p, a.x2.p, w.ffnNorm.p, a.rstd2.p, rows: n, cols: d.hiddenSize)
        s.dao.p.update(repeating: 0, count: n * d.qWidth)
        back(.o, s.dao.p, s.dres.p, a.ao.p)
        s.dq.p.update(repeating: 0, count: n * d.qWidth)
        s.dk.p.update(repeating: 0, count: n * d.kvWidth)
        s.dv.p.update(repeating: 0, count: n * d.kvWidth)
        b.keyStart.withUnsafeBufferPointer { ks in
            Attention.backward(s.dq.p, s.dk.p, s.dv.p, s.dao.p, a.q.p, a.k.p, a.v.p, a.lse.p, keyStart: ks.baseAddress!, shape: attnShape(b))
        }
        b.positions.withUnsafeBufferPointer { pos in
            RoPE.backward(s.dq.p, pos.baseAddress!, rows: n, heads: d.numHeads, table: rope)
            RoPE.backward(s.dk.p, pos.baseAddress!, rows: n, heads: d.numKVHeads, table: rope)
        }
        let dxn: UnsafeMutablePointer<Float>? = needInput ? s.dxn.p : nil
        if needInput { s.dxn.p.update(repeating: 0, count: n * d.hiddenSize) }
        RMSNorm.forward(s.xn.p, a.rstd1.p, x, w.attnNorm.p, rows: n, cols: d.hiddenSize, eps: d.rmsNormEps)
        back(.q, dxn, s.dq.p, s.xn.p)
        back(.k, dxn, s.dk.p, s.xn.p)
        back(.v, dxn, s.dv.p, s.xn.p)
        if needInput {
            RMSNorm.backward(s.dres.p, s.dxn.p, x, w.attnNorm.p, a.rstd1.p, rows: n, cols: d.hiddenSize)
        }
    }

    /// Hidden-state gradient w.r.t. the embedding output is not needed; expose the last block-input
    /// gradient for tests of the full backward (computed only down to block 1's input).
    public func zeroGrads() { lora.grads.zero() }
}

@inline(__always)
func addInPlace(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int) {
    Parallel.rows(n, minChunk: 8192) { lo, hi in for i in lo..<hi { y[i] += x[i] } }
}
