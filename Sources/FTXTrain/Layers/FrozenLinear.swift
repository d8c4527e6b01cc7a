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
    public func dequantized() -> [Float] { w.array }
}

/// FTXModel's frozen weights (f32 or GGUF blocks, dequantized tile by tile) already have this shape.
extension LinearWeight: FrozenLinear {}

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
