import FTXCore
import Foundation
import FTXTensor

/// Which positions' logits a forward pass returns.
public enum LogitRows: Sendable {
    case none, last, all
    /// Specific rows of the flattened batch (segment after segment), in the order given.
    case rows([Int])
}

/// How matmuls against quantized weights treat their activations.
public enum MatmulMode: Sendable {
    /// f32 activations against the weight blocks: the reference numerics (scoring, prefill, training).
    case exact
    /// Activations quantized to 8-bit blocks of 32 and integer dot products, as llama.cpp decodes
    /// (types with `hasQ8Kernel`; other types stay exact). Logits move by ~1e-2 on SmolLM2.
    case int8
}

/// One sequence's part of a batched forward: its cache, the new tokens appended to it, and the
/// adapter its rows use (several adapters on one base share a pass; see `RowAdapter`).
public struct ForwardSegment {
    public let cache: KVCache
    public let tokens: [Int]
    public let adapter: RowAdapter
    public init(cache: KVCache, tokens: [Int], adapter: RowAdapter = .model) {
        self.cache = cache; self.tokens = tokens; self.adapter = adapter
    }
}

/// Which LoRA adapter a segment's rows go through, applied unmerged per row: the base projections
/// run once for the whole batch, each adapter's low-rank product only on its own rows. A serving
/// process keeps one base and any number of adapters and mixes their requests in one pass.
public enum RowAdapter: Sendable {
    /// The model's own `adapter` (none when it is nil): what every caller got before adapters mixed.
    case model
    /// The base alone, whatever `model.adapter` holds.
    case base
    /// This adapter, whatever `model.adapter` holds.
    case lora(SharedAdapter)
}

/// An adapter loaded once and shared by the segments that use it. A reference, so consecutive
/// segments with the same one are recognised (`===`) and go through one low-rank matmul.
public final class SharedAdapter: Sendable {
    public let weights: LoRAWeights
    public init(_ weights: LoRAWeights) { self.weights = weights }
}

extension LlamaModel {
    /// Runs the new tokens of every segment through the model in one batch (all matmuls see every
    /// row; attention is per sequence against its own cache), appends their keys/values to the
    /// caches, and returns logits: for `.last`, one row per segment; for `.all`, every new token.
    /// `observe(stage, x, rows)` sees the residual stream: 0 = embeddings, l+1 after block l,
    /// numLayers+1 = after the final norm (all rows). `matmuls` picks the numerics of quantized matmuls.
    public func forward(_ segments: [ForwardSegment], logits which: LogitRows, matmuls: MatmulMode = .exact,
                        observe: ((Int, UnsafePointer<Float>, Int) -> Void)? = nil) throws -> [Float] {
        // The logits live in the scratch: it must outlive the copy.
        let scratch = ForwardScratch()
        return try withExtendedLifetime(scratch) {
            Array(try forward(segments, logits: which, matmuls: matmuls, scratch: scratch, observe: observe))
        }
    }

    /// `forward` with every buffer taken from `scratch`; the logits returned live in it until its
    /// next use. A loop that keeps one scratch (generation, scoring) allocates no buffers per pass.
    public func forward(_ segments: [ForwardSegment], logits which: LogitRows, matmuls: MatmulMode = .exact,
                        scratch: ForwardScratch,
                        observe: ((Int, UnsafePointer<Float>, Int) -> Void)? = nil) throws -> UnsafeMutableBufferPointer<Float> {
        let c = config
        let rows = segments.reduce(0) { $0 + $1.tokens.count }
        guard rows > 0 else { return UnsafeMutableBufferPointer(start: scratch.logits.p, count: 0) }
        for s in segments {
            for t in s.tokens where t < 0 || t >= c.vocabSize {
                throw ModelError.generation("token id \(t) is outside the vocabulary (\(c.vocabSize))")
            }
            guard s.cache.length + s.tokens.count <= s.cache.maxLength else {
                throw ModelError.generation("sequence of \(s.cache.length + s.tokens.count) tokens exceeds the context length \(s.cache.maxLength)")
            }
        }
        let H = c.hiddenSize, qD = c.qDim, kvD = c.kvDim, F = c.intermediateSize
        // Row bookkeeping: start row and position of each segment, each row's position and token.
        scratch.segStart.removeAll(keepingCapacity: true); scratch.segPos.removeAll(keepingCapacity: true)
        scratch.positions.removeAll(keepingCapacity: true); scratch.tokens.removeAll(keepingCapacity: true)
        var r0 = 0, maxPosition = 0
        for s in segments {
            scratch.segStart.append(r0); scratch.segPos.append(s.cache.length)
            s.cache.ensure(s.cache.length + s.tokens.count)
            for j in 0..<s.tokens.count { scratch.positions.append(Int32(s.cache.length + j)) }
            scratch.tokens += s.tokens
            r0 += s.tokens.count
            maxPosition = max(maxPosition, s.cache.length + s.tokens.count)
        }
        let segStart = scratch.segStart, segPos = scratch.segPos
        let x = scratch.x.reserve(rows * H), xn = scratch.xn.reserve(rows * H)
        let q = scratch.q.reserve(rows * qD), k = scratch.k.reserve(rows * kvD), v = scratch.v.reserve(rows * kvD)
        let att = scratch.att.reserve(rows * qD)
        let gate = scratch.gate.reserve(rows * F), up = scratch.up.reserve(rows * F)
        let rope = scratch.rope(c, positions: maxPosition), localRope = scratch.localRope(c, positions: maxPosition)
        // A post-normed block output is computed apart from the residual stream, then added.
        let post: UnsafeMutablePointer<Float>? = c.architecture.postNorms ? scratch.post.reserve(rows * H) : nil
        // One 8-bit copy of the current matmul input, shared by the weights that read it.
        let q8store: Q8Rows? = matmuls == .int8 ? scratch.q8 : nil
        func q8(_ src: UnsafePointer<Float>, rows n: Int, cols: Int, for ws: [LinearWeight]) -> Q8Rows? {
            let layouts = ws.reduce(into: Q8Rows.Layouts()) { if $1.type.hasQ8Kernel { $0.formUnion($1.type.q8Layout) } }
            guard let q8store, cols % 32 == 0, !layouts.isEmpty else { return nil }
            q8store.quantize(src, rows: n, cols: cols, ldx: cols, layouts: layouts)
            return q8store
        }

        // Embeddings.
        let emb = weights.tokenEmbedding
        scratch.tokens.withUnsafeBufferPointer { flat in
            Threads.parallelFor(rows, maxChunks: rows < 8 ? 1 : nil) { s, e in
                for r in s..<e { emb.row(flat[r], into: x + r * H) }
            }
        }
        if c.architecture.scalesEmbedding {
            let scale = Float(H).squareRoot()
            for i in 0..<(rows * H) { x[i] *= scale }
        }
        observe?(0, x, rows)

        let groups = adapterGroups(segments, segStart: segStart)
        scratch.positions.withUnsafeBufferPointer { pos in
            for (l, layer) in weights.layers.enumerated() {
                let ad = LayerAdapters(groups: groups, layer: l)
                layer.attnNorm.withUnsafeBufferPointer { VectorOps.rmsNormRows(x, $0.baseAddress!, rows: rows, n: H, eps: c.rmsNormEps, into: xn) }
                if let xq = q8(xn, rows: rows, cols: H, for: [layer.q, layer.k, layer.v]) {
                    LinearWeight.forward([layer.q, layer.k, layer.v], xn, q8: xq, rows: rows, into: [q, k, v])
                } else {
                    LinearWeight.forward([layer.q, layer.k, layer.v], xn, rows: rows, into: [q, k, v])
                }
                addLoRA(ad, .q, xn, q, scratch); addLoRA(ad, .k, xn, k, scratch); addLoRA(ad, .v, xn, v, scratch)
                qkvFeatures(layer, q: q, k: k, v: v, rows: rows)
                let table = c.slidingWindow?.isSliding(l) == true ? localRope! : rope
                RoPE.forward(q, pos.baseAddress!, rows: rows, heads: c.numHeads, table: table)
                RoPE.forward(k, pos.baseAddress!, rows: rows, heads: c.numKVHeads, table: table)
                for (si, s) in segments.enumerated() {
                    let n = s.tokens.count, p0 = segPos[si], rs = segStart[si]
                    (s.cache.keys[l] + p0 * kvD).update(from: k + rs * kvD, count: n * kvD)
                    (s.cache.values[l] + p0 * kvD).update(from: v + rs * kvD, count: n * kvD)
                }
                attention(segments: segments, layer: l, segStart: segStart, segPos: segPos, q: q, out: att)
                project(layer.o, ad, .o, att, rows, post ?? x, q8: q8(att, rows: rows, cols: qD, for: [layer.o]), accumulate: post == nil, scratch)
                addPostNormed(post, layer.postAttnNorm, into: x, rows: rows)
                layer.ffnNorm.withUnsafeBufferPointer { VectorOps.rmsNormRows(x, $0.baseAddress!, rows: rows, n: H, eps: c.rmsNormEps, into: xn) }
                if let xq = q8(xn, rows: rows, cols: H, for: [layer.gate, layer.up]) {
                    LinearWeight.forward([layer.gate, layer.up], xn, q8: xq, rows: rows, into: [gate, up])
                } else {
                    LinearWeight.forward([layer.gate, layer.up], xn, rows: rows, into: [gate, up])
                }
                addLoRA(ad, .gate, xn, gate, scratch); addLoRA(ad, .up, xn, up, scratch)
                c.architecture.activation.apply(gate, up, count: rows * F)
                project(layer.down, ad, .down, gate, rows, post ?? x, q8: q8(gate, rows: rows, cols: F, for: [layer.down]), accumulate: post == nil, scratch)
                addPostNormed(post, layer.postFFNNorm, into: x, rows: rows)
                observe?(l + 1, x, rows)
            }
        }
        for s in segments { s.cache.length += s.tokens.count }

        // Final norm and output head on the requested rows only.
        scratch.selected.removeAll(keepingCapacity: true)
        switch which {
        case .none: break
        case .last: for i in segments.indices { scratch.selected.append(segStart[i] + segments[i].tokens.count - 1) }
        case .all: scratch.selected += 0..<rows
        case .rows(let r):
            for i in r where i < 0 || i >= rows { throw ModelError.generation("logit row \(i) outside the batch of \(rows)") }
            scratch.selected += r
        }
        if let observe {
            weights.outputNorm.withUnsafeBufferPointer { VectorOps.rmsNormRows(x, $0.baseAddress!, rows: rows, n: H, eps: c.rmsNormEps, into: xn) }
            observe(c.numLayers + 1, xn, rows)
        }
        let sel = scratch.selected
        let logits = scratch.logits.reserve(sel.count * c.vocabSize)
        guard !sel.isEmpty else { return UnsafeMutableBufferPointer(start: logits, count: 0) }
        let picked = scratch.picked.reserve(sel.count * H)
        weights.outputNorm.withUnsafeBufferPointer { w in
            for (i, r) in sel.enumerated() { VectorOps.rmsNorm(x + r * H, w.baseAddress!, H, eps: c.rmsNormEps, into: picked + i * H) }
        }
        let head = weights.output
        if let pq = q8(picked, rows: sel.count, cols: H, for: [head]) {
            head.forward(picked, q8: pq, rows: sel.count, into: logits, accumulate: false)
        } else {
            head.forward(picked, rows: sel.count, into: logits, accumulate: false)
        }
        return UnsafeMutableBufferPointer(start: logits, count: sel.count * c.vocabSize)
    }

    /// The family's block features between the q/k/v projections and RoPE: biases, then the
    /// per-head q/k norms (in place; RMSNorm reads a row before writing it).
    func qkvFeatures(_ layer: LlamaLayerWeights, q: UnsafeMutablePointer<Float>, k: UnsafeMutablePointer<Float>,
                     v: UnsafeMutablePointer<Float>, rows: Int) {
        let c = config
        func addBias(_ bias: [Float]?, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
            bias?.withUnsafeBufferPointer { VectorOps.addRowBias($0.baseAddress!, into: y, rows: rows, n: n) }
        }
        func headNorm(_ norm: [Float]?, _ y: UnsafeMutablePointer<Float>, _ heads: Int) {
            norm?.withUnsafeBufferPointer {
                VectorOps.rmsNormRows(y, $0.baseAddress!, rows: rows * heads, n: c.headDim, eps: c.rmsNormEps, into: y)
            }
        }
        addBias(layer.qBias, q, c.qDim); addBias(layer.kBias, k, c.kvDim); addBias(layer.vBias, v, c.kvDim)
        headNorm(layer.qNorm, q, c.numHeads); headNorm(layer.kNorm, k, c.numKVHeads)
    }

    /// x += RMSNorm(y)·w, when the block has post-norms (y is the attention or MLP output).
    func addPostNormed(_ y: UnsafeMutablePointer<Float>?, _ norm: [Float]?, into x: UnsafeMutablePointer<Float>, rows: Int) {
        guard let y, let norm else { return }
        let H = config.hiddenSize
        norm.withUnsafeBufferPointer { VectorOps.rmsNormRows(y, $0.baseAddress!, rows: rows, n: H, eps: config.rmsNormEps, into: y) }
        VectorOps.add(y, into: x, count: rows * H)
    }

    /// y (+)= x·Wᵀ, plus each row's adapter product for projection `p`.
    func project(_ w: LinearWeight, _ ad: LayerAdapters, _ p: Projection, _ x: UnsafePointer<Float>, _ rows: Int,
                 _ y: UnsafeMutablePointer<Float>, q8: Q8Rows? = nil, accumulate: Bool, _ scratch: ForwardScratch) {
        if let q8 { w.forward(x, q8: q8, rows: rows, into: y, accumulate: accumulate) }
        else { w.forward(x, rows: rows, into: y, accumulate: accumulate) }
        addLoRA(ad, p, x, y, scratch)
    }

    /// Runs of consecutive rows that use one adapter: (first row, row count, adapter or nil for
    /// none). Consecutive segments with the same adapter form one run, so a batch sorted by adapter
    /// does one low-rank matmul per adapter and projection.
    func adapterGroups(_ segments: [ForwardSegment], segStart: [Int]) -> [(row: Int, count: Int, weights: LoRAWeights?)] {
        var groups: [(row: Int, count: Int, weights: LoRAWeights?)] = []
        var lastKey: ObjectIdentifier?? = nil   // outer nil: no run yet; inner nil: the base
        let own = adapter
        for (i, s) in segments.enumerated() {
            let w: LoRAWeights?, key: ObjectIdentifier?
            switch s.adapter {
            case .model: w = own; key = own == nil ? nil : ObjectIdentifier(LlamaModel.self)
            case .base: w = nil; key = nil
            case .lora(let a): w = a.weights; key = ObjectIdentifier(a)
            }
            if let last = lastKey, last == key { groups[groups.count - 1].count += s.tokens.count; continue }
            groups.append((segStart[i], s.tokens.count, w))
            lastKey = .some(key)
        }
        return groups
    }

    /// The adapter runs of a batch at one layer.
    struct LayerAdapters {
        let groups: [(row: Int, count: Int, weights: LoRAWeights?)]
        let layer: Int
    }

    /// y += scale·(x·Aᵀ)·Bᵀ on each run of rows, with that run's adapter pair for projection `p`.
    func addLoRA(_ ad: LayerAdapters, _ p: Projection, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                 _ scratch: ForwardScratch) {
        for g in ad.groups {
            guard let w = g.weights, ad.layer < w.layers.count, let pair = w.layers[ad.layer][p] else { continue }
            addLoRA(pair, x + g.row * pair.inFeatures, g.count, y + g.row * pair.outFeatures, scratch)
        }
    }

    /// y += scale·(x·Aᵀ)·Bᵀ
    func addLoRA(_ pair: LoRAPair?, _ x: UnsafePointer<Float>, _ rows: Int, _ y: UnsafeMutablePointer<Float>,
                 _ scratch: ForwardScratch) {
        guard let p = pair, p.rank > 0 else { return }
        let tmp = scratch.loraTmp.reserve(rows * p.rank)
        p.a.withUnsafeBufferPointer { a in
            BLAS.sgemm(m: rows, n: p.rank, k: p.inFeatures, a: x, lda: p.inFeatures, b: a.baseAddress!, ldb: p.inFeatures,
                       transB: true, beta: 0, c: tmp, ldc: p.rank)
        }
        p.b.withUnsafeBufferPointer { b in
            BLAS.sgemm(m: rows, n: p.outFeatures, k: p.rank, alpha: p.scale, a: tmp, lda: p.rank, b: b.baseAddress!, ldb: p.rank,
                       transB: true, beta: 1, c: y, ldc: p.outFeatures)
        }
    }

    /// Causal grouped-query attention of each segment's new queries against its cache (which already
    /// holds the new keys/values); on a sliding-window layer a query sees only the last `size`
    /// positions (its own included). Parallel over (segment, head); every score and output element
    /// has one arithmetic however the rows are batched (`CausalAttention`), so a prompt's generation
    /// does not depend on the other prompts, its batch or a reused prefix.
    func attention(segments: [ForwardSegment], layer l: Int, segStart: [Int], segPos: [Int],
                   q: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>) {
        let c = config, hd = c.headDim, qD = c.qDim, kvD = c.kvDim
        let heads = c.numHeads, group = c.numHeads / c.numKVHeads
        let scale = c.attentionScaleOrDefault
        let window = c.slidingWindow.flatMap { $0.isSliding(l) ? $0.size : nil }
        let tasks = segments.count * heads
        var work = 0
        for (si, s) in segments.enumerated() { work += s.tokens.count * (segPos[si] + s.tokens.count) }
        Threads.parallelFor(tasks, maxChunks: work * heads * hd < 1 << 16 ? 1 : nil) { ts, te in
            for task in ts..<te {
                let si = task / heads, h = task % heads
                let seg = segments[si]
                let n = seg.tokens.count, p0 = segPos[si], total = p0 + n
                let kvh = h / group
                let K = UnsafePointer(seg.cache.keys[l]) + kvh * hd
                let V = UnsafePointer(seg.cache.values[l]) + kvh * hd
                let Q = UnsafePointer(q) + segStart[si] * qD + h * hd
                let O = out + segStart[si] * qD + h * hd
                let S = ThreadScratch.buffer(.attention, n * total, as: Float.self)
                CausalAttention.attend(q: Q, ldq: qD, rows: n, p0: p0, keys: K, values: V, ldkv: kvD, headDim: hd,
                                       window: window, scale: scale, out: O, ldo: qD, scores: S)
            }
        }
    }
}
