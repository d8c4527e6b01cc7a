import Foundation
import FTXCore
import FTXModel
import FTXTensor

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
    /// The sliding-window layers' rotation (nil without them).
    let localRope: RoPETable?
    /// Per row, the first key a sliding-window layer may see: keyStart narrowed to the window
    /// (set by each forward pass; empty without sliding windows).
    var slidingKeyStart: [Int32] = []
    let inputs: [FloatBuffer]           // block l input [N×C], l = 0...L (L = final hidden)
    let acts: [BlockActivations]        // one per block, or a single reused one with recompute
    let xf: FloatBuffer, rstdF: FloatBuffer, dxf: FloatBuffer
    let scratch: BackwardScratch
    // Rows per head chunk: each chunk streams the whole (possibly quantized) vocab×hidden head once.
    let headChunk: Int
    let headScratch: FloatBuffer
    /// LoRA gradients of data-parallel workers 1… (worker 0 accumulates into `lora.grads`).
    var workerGrads: [FloatBuffer] = []
    /// Backward stops at the lowest adapted block: nothing below it has a trainable parameter.
    let lowestAdaptedLayer: Int

    public init(base: TrainBase, lora: LoRAParameters, maxBatch: Int, maxSeqLen: Int, recompute: Bool = false) {
        self.base = base; self.lora = lora; self.dims = base.dims; self.recompute = recompute
        self.maxBatch = maxBatch
        let d = base.dims, n = maxBatch * maxSeqLen
        maxRows = n
        precondition(base.layers.allSatisfy { ($0.qNorm != nil) == d.architecture.qkNorm }, "q/k norms and architecture disagree")
        rope = d.ropeTable(positions: maxSeqLen)
        localRope = d.slidingWindow?.ropeTable(headDim: d.headDim, style: d.architecture.ropeStyle, positions: maxSeqLen)
        inputs = (0...d.numLayers).map { _ in FloatBuffer(n * d.hiddenSize) }
        let blocks = recompute ? 1 : d.numLayers
        acts = (0..<blocks).map { _ in
            BlockActivations(dims: d, rows: n, batch: maxBatch, seqLen: maxSeqLen, rank: lora.spec.rank,
                             targets: lora.spec.targets.flatMap { d.architecture.loraGroup($0) })
        }
        xf = FloatBuffer(n * d.hiddenSize); rstdF = FloatBuffer(n); dxf = FloatBuffer(n * d.hiddenSize)
        scratch = BackwardScratch(dims: d, rows: n, rank: lora.spec.rank, dropout: lora.spec.dropout > 0)
        headChunk = min(256, n)
        headScratch = FloatBuffer(headChunk * (d.hiddenSize + d.vocabSize))
        lowestAdaptedLayer = lora.entries.map { $0.layer }.min() ?? d.numLayers
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

    func slices(_ b: TokenBatch) -> [RowSlice] {
        BatchWorkers.slices(batch: b.batch, seqLen: b.seqLen, threads: Threads.usable)
    }

    func check(_ b: TokenBatch) throws {
        let n = b.rows
        // A row may be longer than the RoPE table when it holds several examples (their positions
        // restart at each one, checked below); the buffers only need the rows to fit.
        guard b.batch <= maxBatch, n <= maxRows, b.tokens.count == n, b.targets.count == n,
              b.positions.count == n, b.keyStart.count == n else {
            throw TrainError.model("batch \(b.batch)×\(b.seqLen) does not fit the model's buffers (\(maxBatch) sequences, \(maxRows) rows)")
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

    /// The mask of (layer, target) for the rows of slice `s` (input width `width`); the parts of a
    /// fused module share its mask (PEFT drops the module's one input).
    func dropout(_ l: Int, _ t: Projection, _ s: RowSlice, width: Int) -> DropoutMask? {
        guard training, lora.spec.dropout > 0 else { return nil }
        let module = dims.architecture.loraLeader(t)
        var h = TrainRNG(seed: dropoutSeed ^ (dropoutStep &* 0x1000_0000_01B3) ^ UInt64(l * 8 + module.order) << 48)
        return DropoutMask(p: lora.spec.dropout, seed: h.next(), offset: s.row0 * width)
    }

    func forwardBlocks(_ b: TokenBatch) {
        b.tokens.withUnsafeBufferPointer { tok in
            base.embedding.lookup(tok.baseAddress!, count: b.rows, into: inputs[0].p)
        }
        if dims.architecture.scalesEmbedding {
            // The embedding is frozen: nothing flows back through the scale.
            let scale = Float(dims.hiddenSize).squareRoot(), x = inputs[0].p
            for i in 0..<(b.rows * dims.hiddenSize) { x[i] *= scale }
        }
        if let w = dims.slidingWindow?.size {
            // Refilled in place: the array keeps its capacity from step to step (no allocation per step).
            slidingKeyStart.removeAll(keepingCapacity: true)
            for r in 0..<b.rows { slidingKeyStart.append(max(b.keyStart[r], Int32(max(0, r % b.seqLen - w + 1)))) }
        }
        BatchWorkers.run(slices(b)) { _, s in
            for l in 0..<dims.numLayers { forwardBlock(l, b, s) }
        }
    }

    /// Block l over the rows of slice `s` (every buffer below is offset to the slice's first row).
    func forwardBlock(_ l: Int, _ b: TokenBatch, _ s: RowSlice) {
        let d = dims, n = s.rows, r0 = s.row0, w = base.layers[l], a = blockActs(l)
        let c = d.hiddenSize, iw = d.intermediateSize
        let x = inputs[l].p + r0 * c, out = inputs[l + 1].p + r0 * c
        let tmp = scratch.tmp.map { $0.p + r0 * scratch.tmpWidth }
        func lin(_ t: Projection, _ y: UnsafeMutablePointer<Float>, _ xin: UnsafePointer<Float>) {
            let base = w.weight(t)
            LoRALinear.forward(y, xin, rows: n, base: base, lora: lora.view(layer: l, target: t),
                               u: a.loraU[t].map { $0.p + r0 * lora.spec.rank }, dropout: dropout(l, t, s, width: base.inFeatures), tmp: tmp)
        }
        let xn = scratch.xn.p + r0 * c, h = scratch.h.p + r0 * iw
        let q = a.q.p + r0 * d.qWidth, k = a.k.p + r0 * d.kvWidth, v = a.v.p + r0 * d.kvWidth
        let ao = a.ao.p + r0 * d.qWidth, x2 = a.x2.p + r0 * c, g = a.g.p + r0 * iw, up = a.up.p + r0 * iw
        RMSNorm.forward(xn, a.rstd1.p + r0, x, w.attnNorm.p, rows: n, cols: c, eps: d.rmsNormEps)
        lin(.q, q, xn); lin(.k, k, xn); lin(.v, v, xn)
        func addBias(_ t: Projection, _ y: UnsafeMutablePointer<Float>) {
            if let bias = w.bias(t) { VectorOps.addRowBias(bias.p, into: y, rows: n, n: d.shape(of: t).out) }
        }
        addBias(.q, q); addBias(.k, k); addBias(.v, v)
        if let qn = w.qNorm, let kn = w.kNorm, let saved = a.qkNorm {
            // Per-head RMSNorm before RoPE; the pre-norm values stay for backward.
            let qPre = saved.qPre.p + r0 * d.qWidth, kPre = saved.kPre.p + r0 * d.kvWidth
            qPre.update(from: q, count: n * d.qWidth); kPre.update(from: k, count: n * d.kvWidth)
            RMSNorm.forward(q, saved.rstdQ.p + r0 * d.numHeads, qPre, qn.p, rows: n * d.numHeads, cols: d.headDim, eps: d.rmsNormEps)
            RMSNorm.forward(k, saved.rstdK.p + r0 * d.numKVHeads, kPre, kn.p, rows: n * d.numKVHeads, cols: d.headDim, eps: d.rmsNormEps)
        }
        b.positions.withUnsafeBufferPointer { pos in
            RoPE.forward(q, pos.baseAddress! + r0, rows: n, heads: d.numHeads, table: ropeTable(l))
            RoPE.forward(k, pos.baseAddress! + r0, rows: n, heads: d.numKVHeads, table: ropeTable(l))
        }
        keyStart(l, b) { ks in
            Attention.forward(ao, a.lse.p + s.b0 * d.numHeads * b.seqLen, q, k, v, keyStart: ks + r0, shape: attnShape(b, s))
        }
        // With post-norms the attention and MLP outputs are kept apart (for backward), normed, then added.
        func projectNormed(_ t: Projection, _ y: UnsafeMutablePointer<Float>, _ xin: UnsafePointer<Float>,
                           _ norm: FloatBuffer?, _ saved: FloatBuffer?, _ rstd: FloatBuffer?) {
            guard let norm, let saved, let rstd else { lin(t, y, xin); return }
            let pre = saved.p + r0 * c
            lin(t, pre, xin)
            RMSNorm.forward(y, rstd.p + r0, pre, norm.p, rows: n, cols: c, eps: d.rmsNormEps)
        }
        projectNormed(.o, x2, ao, w.postAttnNorm, a.post?.attn, a.post?.rstdAttn)
        addInPlace(x2, x, n * c)
        RMSNorm.forward(xn, a.rstd2.p + r0, x2, w.ffnNorm.p, rows: n, cols: c, eps: d.rmsNormEps)
        lin(.gate, g, xn); lin(.up, up, xn)
        gated(h, g, up, count: n * iw)
        projectNormed(.down, out, h, w.postFFNNorm, a.post?.mlp, a.post?.rstdMLP)
        addInPlace(out, x2, n * c)
    }

    func attnShape(_ b: TokenBatch, _ s: RowSlice) -> AttentionShape {
        AttentionShape(batch: s.batch, seqLen: b.seqLen, heads: dims.numHeads, kvHeads: dims.numKVHeads, headDim: dims.headDim,
                       scale: dims.attentionScale)
    }

    /// The rotation of block l: the local one on a sliding-window layer.
    func ropeTable(_ l: Int) -> RoPETable {
        dims.slidingWindow?.isSliding(l) == true ? localRope! : rope
    }

    /// The first key each row may see in block l (the window's on a sliding-window layer).
    func keyStart(_ l: Int, _ b: TokenBatch, _ body: (UnsafePointer<Int32>) -> Void) {
        if dims.slidingWindow?.isSliding(l) == true {
            slidingKeyStart.withUnsafeBufferPointer { body($0.baseAddress!) }
        } else {
            b.keyStart.withUnsafeBufferPointer { body($0.baseAddress!) }
        }
    }

    /// h = act(g)·up with the family's activation.
    func gated(_ h: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ up: UnsafePointer<Float>, count: Int) {
        switch dims.architecture.activation {
        case .silu: SwiGLU.forward(h, g, up, count: count)
        case .geluTanh: GeGLU.forward(h, g, up, count: count)
        }
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

    func backwardBlocks(_ b: TokenBatch) {
        guard lowestAdaptedLayer < dims.numLayers else { return }
        let parts = slices(b)
        while workerGrads.count < parts.count - 1 { workerGrads.append(FloatBuffer(lora.count)) }
        BatchWorkers.run(parts) { wi, s in
            let grads = wi == 0 ? lora.grads.p : workerGrads[wi - 1].p
            if wi > 0 { grads.update(repeating: 0, count: lora.count) }
            for l in stride(from: dims.numLayers - 1, through: lowestAdaptedLayer, by: -1) {
                // The last block's activations are still in the shared buffers from the forward pass.
                if recompute && l != dims.numLayers - 1 { forwardBlock(l, b, s) }
                backwardBlock(l, b, s, grads: grads)
            }
        }
        guard parts.count > 1 else { return }
        let g = lora.grads.p, extra = workerGrads[0..<(parts.count - 1)].map { $0.p }
        Threads.parallelFor(lora.count, minChunk: 4096) { lo, hi in   // fixed order: worker 1, 2, …
            for w in extra { for i in lo..<hi { g[i] += w[i] } }
        }
    }

    /// scratch.dres holds ∂L/∂(block output) on entry and ∂L/∂(block input) on exit (rows of `sl`).
    func backwardBlock(_ l: Int, _ b: TokenBatch, _ sl: RowSlice, grads: UnsafeMutablePointer<Float>) {
        let d = dims, n = sl.rows, r0 = sl.row0, w = base.layers[l], a = blockActs(l), s = scratch
        let c = d.hiddenSize, iw = d.intermediateSize, rank = lora.spec.rank
        let x = inputs[l].p + r0 * c, tmp = s.tmp.map { $0.p + r0 * s.tmpWidth }
        let needInput = l > lowestAdaptedLayer   // no gradient is needed below the lowest adapter
        func back(_ t: Projection, _ dx: UnsafeMutablePointer<Float>?, _ dy: UnsafePointer<Float>, _ xin: UnsafePointer<Float>) {
            let base = w.weight(t)
            LoRALinear.backward(dx, dy, xin, rows: n, base: base, lora: lora.view(layer: l, target: t, grads: grads),
                                u: a.loraU[t].map { UnsafePointer($0.p + r0 * rank) }, dropout: dropout(l, t, sl, width: base.inFeatures),
                                du: s.du.p + r0 * rank, tmp: tmp)
        }
        let g = a.g.p + r0 * iw, up = a.up.p + r0 * iw, x2 = a.x2.p + r0 * c, ao = a.ao.p + r0 * d.qWidth
        let q = a.q.p + r0 * d.qWidth, k = a.k.p + r0 * d.kvWidth, v = a.v.p + r0 * d.kvWidth
        let h = s.h.p + r0 * iw, dh = s.dh.p + r0 * iw, dg = s.dg.p + r0 * iw, dup = s.dup.p + r0 * iw
        let dres = s.dres.p + r0 * c, dxnP = s.dxn.p + r0 * c, xn = s.xn.p + r0 * c, dao = s.dao.p + r0 * d.qWidth
        let dq = s.dq.p + r0 * d.qWidth, dk = s.dk.p + r0 * d.kvWidth, dv = s.dv.p + r0 * d.kvWidth
        let lse = a.lse.p + sl.b0 * d.numHeads * b.seqLen
        gated(h, g, up, count: n * iw)   // recomputed: down's input
        dh.update(repeating: 0, count: n * iw)
        // Through a post-norm: dres is the gradient of its output; dpost becomes its input's.
        func throughPost(_ norm: FloatBuffer?, _ out: FloatBuffer?, _ rstd: FloatBuffer?) -> UnsafePointer<Float> {
            guard let norm, let out, let rstd else { return UnsafePointer(dres) }
            let dp = s.dpost.p + r0 * c
            dp.update(repeating: 0, count: n * c)
            RMSNorm.backward(dp, dres, out.p + r0 * c, norm.p, rstd.p + r0, rows: n, cols: c)
            return UnsafePointer(dp)
        }
        back(.down, dh, throughPost(w.postFFNNorm, a.post?.mlp, a.post?.rstdMLP), h)
        switch d.architecture.activation {
        case .silu: SwiGLU.backward(dg, dup, dh, g, up, count: n * iw)
        case .geluTanh: GeGLU.backward(dg, dup, dh, g, up, count: n * iw)
        }
        RMSNorm.forward(xn, a.rstd2.p + r0, x2, w.ffnNorm.p, rows: n, cols: c, eps: d.rmsNormEps)
        dxnP.update(repeating: 0, count: n * c)
        back(.gate, dxnP, dg, xn)
        back(.up, dxnP, dup, xn)
        RMSNorm.backward(dres, dxnP, x2, w.ffnNorm.p, a.rstd2.p + r0, rows: n, cols: c)
        dao.update(repeating: 0, count: n * d.qWidth)
        back(.o, dao, throughPost(w.postAttnNorm, a.post?.attn, a.post?.rstdAttn), ao)
        dq.update(repeating: 0, count: n * d.qWidth)
        dk.update(repeating: 0, count: n * d.kvWidth)
        dv.update(repeating: 0, count: n * d.kvWidth)
        keyStart(l, b) { ks in
            Attention.backward(dq, dk, dv, dao, q, k, v, lse, keyStart: ks + r0, shape: attnShape(b, sl))
        }
        b.positions.withUnsafeBufferPointer { pos in
            RoPE.backward(dq, pos.baseAddress! + r0, rows: n, heads: d.numHeads, table: ropeTable(l))
            RoPE.backward(dk, pos.baseAddress! + r0, rows: n, heads: d.numKVHeads, table: ropeTable(l))
        }
        if let qn = w.qNorm, let kn = w.kNorm, let saved = a.qkNorm {
            // Through the per-head norms: dq, dk become gradients of the pre-norm q, k.
            let dqn = s.dqNormed.p + r0 * d.qWidth, dkn = s.dkNormed.p + r0 * d.kvWidth
            dqn.update(from: dq, count: n * d.qWidth); dkn.update(from: dk, count: n * d.kvWidth)
            dq.update(repeating: 0, count: n * d.qWidth); dk.update(repeating: 0, count: n * d.kvWidth)
            RMSNorm.backward(dq, dqn, saved.qPre.p + r0 * d.qWidth, qn.p, saved.rstdQ.p + r0 * d.numHeads,
                             rows: n * d.numHeads, cols: d.headDim)
            RMSNorm.backward(dk, dkn, saved.kPre.p + r0 * d.kvWidth, kn.p, saved.rstdK.p + r0 * d.numKVHeads,
                             rows: n * d.numKVHeads, cols: d.headDim)
        }
        let dxn: UnsafeMutablePointer<Float>? = needInput ? dxnP : nil
        if needInput { dxnP.update(repeating: 0, count: n * c) }
        RMSNorm.forward(xn, a.rstd1.p + r0, x, w.attnNorm.p, rows: n, cols: c, eps: d.rmsNormEps)
        back(.q, dxn, dq, xn)
        back(.k, dxn, dk, xn)
        back(.v, dxn, dv, xn)
        if needInput {
            RMSNorm.backward(dres, dxnP, x, w.attnNorm.p, a.rstd1.p + r0, rows: n, cols: c)
        }
    }

    /// Hidden-state gradient w.r.t. the embedding output is not needed; expose the last block-input
    /// gradient for tests of the full backward (computed only down to block 1's input).
    public func zeroGrads() { lora.grads.zero() }
}

@inline(__always)
func addInPlace(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int) {
    Threads.parallelFor(n, minChunk: 8192) { lo, hi in for i in lo..<hi { y[i] += x[i] } }
}
