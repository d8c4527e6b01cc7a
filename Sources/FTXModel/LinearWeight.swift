import FTXCore
import FTXTensor

/// A frozen (out × in) weight, f32 or quantized blocks as loaded. Quantized weights stay in blocks:
/// a few rows of activations go through the direct-on-blocks kernel; larger batches dequantize
/// tiles of rows into scratch f32 and run OpenBLAS sgemm on them.
public final class LinearWeight: @unchecked Sendable {
    public let outFeatures: Int, inFeatures: Int
    public let type: QuantType
    /// Row 0 of the weight; rows are `rowBytes` apart.
    public let data: UnsafeRawPointer
    public let rowBytes: Int
    private let owner: AnyObject?
    private let ownedF32: UnsafeMutablePointer<Float>?

    /// Activation rows up to which the direct quantized kernel is used (above it: tiles + sgemm).
    public static var directKernelMaxRows = 64
    /// Least weight rows per dequantized tile (`DequantTiles` picks larger ones when it can).
    public static var tileRows = 64

    public init(f32 data: [Float], out: Int, in: Int) {
        precondition(data.count == out * `in`, "LinearWeight: \(data.count) values for \(out)×\(`in`)")
        outFeatures = out; inFeatures = `in`; type = .f32; rowBytes = 4 * `in`
        let p = UnsafeMutablePointer<Float>.allocate(capacity: max(1, data.count))
        p.initialize(from: data, count: data.count)
        ownedF32 = p
        self.data = UnsafeRawPointer(p)
        owner = nil
    }

    /// A view of blocks owned by `owner` (a mapped GGUF file or a byte buffer).
    public init(type: QuantType, data: UnsafeRawPointer, out: Int, in: Int, owner: AnyObject) {
        outFeatures = out; inFeatures = `in`; self.type = type
        rowBytes = type.rowBytes(`in`) ?? 0
        self.data = data; self.owner = owner; ownedF32 = nil
    }

    deinit { ownedF32?.deallocate() }

    /// Rows lo..<lo+count as a weight of their own, sharing this one's memory (rows are whole
    /// blocks, so a fused matrix splits without a copy); the view keeps this weight alive.
    public func rows(_ lo: Int, count: Int) -> LinearWeight {
        precondition(lo >= 0 && count > 0 && lo + count <= outFeatures, "LinearWeight.rows: \(lo)+\(count) of \(outFeatures)")
        return LinearWeight(type: type, data: data + lo * rowBytes, out: count, in: inFeatures, owner: self)
    }

    var f32: UnsafePointer<Float> { data.assumingMemoryBound(to: Float.self) }

    /// Y[n×out] (+)= X[n×in] · Wᵀ
    public func forward(_ x: UnsafePointer<Float>, rows n: Int, into y: UnsafeMutablePointer<Float>, accumulate: Bool) {
        guard n > 0, outFeatures > 0 else { return }
        let beta: Float = accumulate ? 1 : 0
        if type == .f32 {
            BLAS.sgemm(m: n, n: outFeatures, k: inFeatures, a: x, lda: inFeatures, b: f32, ldb: inFeatures,
                       transB: true, beta: beta, c: y, ldc: outFeatures)
            return
        }
        let out = outFeatures, cols = inFeatures, rb = rowBytes, t = type, w = data
        if n <= Self.directKernelMaxRows {
            Threads.parallelFor(out, granularity: 16) { s, e in
                quantMatVecRows(t, w: w, rowBytes: rb, cols: cols, rowStart: s, rowEnd: e,
                                x: x, ldx: cols, nVec: n, y: y, ldy: out, accumulate: accumulate)
            }
            return
        }
        DequantTiles.forward(out: out, cols: cols, minimumTile: Self.tileRows, x, rows: n, into: y, accumulate: accumulate) { r, row in
            dequantizeRow(t, w + r * rb, row, count: cols)
        }
    }

    /// Several weights reading the same input (q/k/v, gate/up): Y_i[n×out_i] = X·W_iᵀ. For a few rows
    /// of quantized weights they share one parallel region (one dispatch instead of one per weight).
    public static func forward(_ weights: [LinearWeight], _ x: UnsafePointer<Float>, rows n: Int,
                               into ys: [UnsafeMutablePointer<Float>]) {
        let direct = n <= directKernelMaxRows && weights.allSatisfy { $0.type.isQuantized && $0.inFeatures == weights[0].inFeatures }
        guard direct, n > 0 else {
            for (w, y) in zip(weights, ys) { w.forward(x, rows: n, into: y, accumulate: false) }
            return
        }
        stackedRows(weights) { i, w, lo, hi in
            quantMatVecRows(w.type, w: w.data, rowBytes: w.rowBytes, cols: w.inFeatures, rowStart: lo, rowEnd: hi,
                            x: x, ldx: w.inFeatures, nVec: n, y: ys[i], ldy: w.outFeatures, accumulate: false)
        }
    }

    /// The output rows of several weights stacked into one range and split across threads in one
    /// parallel region: `body(weightIndex, weight, rowStart, rowEnd)` for each piece.
    static func stackedRows(_ weights: [LinearWeight], _ body: (Int, LinearWeight, Int, Int) -> Void) {
        var starts: [Int] = []
        var total = 0
        for w in weights { starts.append(total); total += w.outFeatures }
        Threads.parallelFor(total, granularity: 16) { s, e in
            for (i, w) in weights.enumerated() {
                let lo = max(s, starts[i]), hi = min(e, starts[i] + w.outFeatures)
                if lo < hi { body(i, w, lo - starts[i], hi - starts[i]) }
            }
        }
    }

    /// Whether the integer kernel of this weight's type can read `x`: one exists, and `x` has this
    /// weight's input width in the layout the kernel reads.
    func readsIntegerKernel(_ x: Q8Rows) -> Bool {
        type.hasQ8Kernel && x.cols == inFeatures && x.layouts.contains(type.q8Layout)
    }

    /// Y[n×out] (+)= X·Wᵀ with the activations given as 8-bit blocks (`x` holds the n rows,
    /// quantized from `xf32` in the layout its type reads), through the integer kernel when this
    /// weight's type has one; otherwise (f32, f16, bf16, Q2_K/Q3_K) the exact path on `xf32`.
    public func forward(_ xf32: UnsafePointer<Float>, q8 x: Q8Rows, rows n: Int, into y: UnsafeMutablePointer<Float>, accumulate: Bool) {
        guard readsIntegerKernel(x), x.rows == n else {
            forward(xf32, rows: n, into: y, accumulate: accumulate); return
        }
        guard n > 0, outFeatures > 0 else { return }
        let out = outFeatures, rb = rowBytes, t = type, w = data
        Threads.parallelFor(out, granularity: 16) { s, e in
            q8MatVecRows(t, w: w, rowBytes: rb, rowStart: s, rowEnd: e, x: x, nVec: n, y: y, ldy: out, accumulate: accumulate)
        }
    }

    /// `forward(_:q8:...)` for several weights reading the same input, in one parallel region.
    public static func forward(_ weights: [LinearWeight], _ xf32: UnsafePointer<Float>, q8 x: Q8Rows, rows n: Int,
                               into ys: [UnsafeMutablePointer<Float>]) {
        guard n > 0, weights.allSatisfy({ $0.readsIntegerKernel(x) }), x.rows == n else {
            for (w, y) in zip(weights, ys) { w.forward(xf32, q8: x, rows: n, into: y, accumulate: false) }
            return
        }
        stackedRows(weights) { i, w, lo, hi in
            q8MatVecRows(w.type, w: w.data, rowBytes: w.rowBytes, rowStart: lo, rowEnd: hi,
                         x: x, nVec: n, y: ys[i], ldy: w.outFeatures, accumulate: false)
        }
    }

    /// dX[n×in] (+)= dY[n×out] · W
    public func backwardInput(_ dy: UnsafePointer<Float>, rows n: Int, into dx: UnsafeMutablePointer<Float>, accumulate: Bool) {
        guard n > 0, inFeatures > 0 else { return }
        let beta: Float = accumulate ? 1 : 0
        if type == .f32 {
            BLAS.sgemm(m: n, n: inFeatures, k: outFeatures, a: dy, lda: outFeatures, b: f32, ldb: inFeatures,
                       transB: false, beta: beta, c: dx, ldc: inFeatures)
            return
        }
        let rb = rowBytes, t = type, w = data, bs = t.blockSize
        DequantTiles.backwardInput(out: outFeatures, cols: inFeatures, columnGranularity: max(bs, 32), dy, rows: n,
                                   into: dx, accumulate: accumulate) { r, c0, c1, row in
            dequantizeRow(t, w + r * rb + (c0 / bs) * t.blockBytes, row, count: c1 - c0)
        }
    }

    /// Row `r` as f32 (embedding lookup).
    public func row(_ r: Int, into out: UnsafeMutablePointer<Float>) {
        dequantizeRow(type, data + r * rowBytes, out, count: inFeatures)
    }

    /// out×in row-major f32 copy, for tests and export.
    public func dequantized() -> [Float] {
        var out = [Float](repeating: 0, count: outFeatures * inFeatures)
        out.withUnsafeMutableBufferPointer { b in
            guard let base = b.baseAddress else { return }
            for r in 0..<outFeatures { row(r, into: base + r * inFeatures) }
        }
        return out
    }
}
