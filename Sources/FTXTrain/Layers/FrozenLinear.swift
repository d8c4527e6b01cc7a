import Foundation
import FTXModel
import FTXTensor

/// A frozen (out × in) base weight: the engine needs only Y = X·Wᵀ and dX = dY·W (no weight gradient).
/// FTXModel.LinearWeight (f32 or GGUF blocks dequantized tile by tile), `DenseLinear` and `NF4Linear`
/// conform.
public protocol FrozenLinear: AnyObject {
    var outFeatures: Int { get }
    var inFeatures: Int { get }
    /// Y[n×out] (+)= X[n×in] · Wᵀ
    func forward(_ x: UnsafePointer<Float>, rows n: Int, into y: UnsafeMutablePointer<Float>, accumulate: Bool)
    /// dX[n×in] (+)= dY[n×out] · W
    func backwardInput(_ dy: UnsafePointer<Float>, rows n: Int, into dx: UnsafeMutablePointer<Float>, accumulate: Bool)
    /// dX[n×in] (+)= dY[:, lo..<hi] · W[lo..<hi, :], single-threaded; dY rows are `ldy` apart. One
    /// thread's share when threads split the output features (the reduction) instead of the inputs.
    func backwardInput(_ dy: UnsafePointer<Float>, ldy: Int, rows n: Int, outputs lo: Int, _ hi: Int,
                       into dx: UnsafeMutablePointer<Float>, accumulate: Bool)
    /// out×in row-major f32 copy (merging, tests).
    func dequantized() -> [Float]
}

/// Plain f32 weight, row-major out×in.
public final class DenseLinear: FrozenLinear, @unchecked Sendable {
    public let outFeatures: Int, inFeatures: Int
    public let w: FloatBuffer
    public init(_ data: [Float], out: Int, in inF: Int) {
        precondition(data.count == out * inF, "DenseLinear: \(data.count) values for \(out)×\(inF)")
        outFeatures = out; inFeatures = inF; w = FloatBuffer(data)
    }
    public func forward(_ x: UnsafePointer<Float>, rows n: Int, into y: UnsafeMutablePointer<Float>, accumulate: Bool) {
        BLAS.sgemm(m: n, n: outFeatures, k: inFeatures, a: x, lda: inFeatures, b: w.p, ldb: inFeatures, transB: true,
                   beta: accumulate ? 1 : 0, c: y, ldc: outFeatures)
    }
    public func backwardInput(_ dy: UnsafePointer<Float>, rows n: Int, into dx: UnsafeMutablePointer<Float>, accumulate: Bool) {
        BLAS.sgemm(m: n, n: inFeatures, k: outFeatures, a: dy, lda: outFeatures, b: w.p, ldb: inFeatures, transB: false,
                   beta: accumulate ? 1 : 0, c: dx, ldc: inFeatures)
    }
    public func backwardInput(_ dy: UnsafePointer<Float>, ldy: Int, rows n: Int, outputs lo: Int, _ hi: Int,
                              into dx: UnsafeMutablePointer<Float>, accumulate: Bool) {
        if hi <= lo { if !accumulate { dx.update(repeating: 0, count: n * inFeatures) }; return }
        BLAS.sgemm(m: n, n: inFeatures, k: hi - lo, a: dy + lo, lda: ldy, b: w.p + lo * inFeatures, ldb: inFeatures, transB: false,
                   beta: accumulate ? 1 : 0, c: dx, ldc: inFeatures, parallel: false)
    }
    public func dequantized() -> [Float] { w.array }
}

/// FTXModel's frozen weights (f32 or GGUF blocks, dequantized tile by tile) already have this shape.
extension LinearWeight: FrozenLinear {
    public func backwardInput(_ dy: UnsafePointer<Float>, ldy: Int, rows n: Int, outputs lo: Int, _ hi: Int,
                              into dx: UnsafeMutablePointer<Float>, accumulate: Bool) {
        let cols = inFeatures
        if type == .f32 {
            if hi <= lo { if !accumulate { dx.update(repeating: 0, count: n * cols) }; return }
            let w = data.assumingMemoryBound(to: Float.self)
            BLAS.sgemm(m: n, n: cols, k: hi - lo, a: dy + lo, lda: ldy, b: w + lo * cols, ldb: cols, transB: false,
                       beta: accumulate ? 1 : 0, c: dx, ldc: cols, parallel: false)
            return
        }
        DequantTiles.backwardInput(outputs: lo, hi, cols: cols, dy, ldy: ldy, rows: n, into: dx, accumulate: accumulate) { r, out in
            row(r, into: out)
        }
    }
}

/// Embedding rows straight from FTXModel's (possibly quantized) table.
public final class LinearWeightEmbedding: EmbeddingTable, @unchecked Sendable {
    public let weight: LinearWeight
    public var vocabSize: Int { weight.outFeatures }
    public var width: Int { weight.inFeatures }
    public init(_ w: LinearWeight) { weight = w }
    public func lookup(_ tokens: UnsafePointer<Int32>, count n: Int, into out: UnsafeMutablePointer<Float>) {
        for i in 0..<n { weight.row(Int(tokens[i]), into: out + i * width) }
    }
}
