import Foundation

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
        sgemm(false, true, n, outFeatures, inFeatures, 1, x, inFeatures, w.p, inFeatures, accumulate ? 1 : 0, y, outFeatures)
    }
    public func backwardInput(_ dy: UnsafePointer<Float>, rows n: Int, into dx: UnsafeMutablePointer<Float>, accumulate: Bool) {
        sgemm(false, false, n, inFeatures, outFeatures, 1, dy, outFeatures, w.p, inFeatures, accumulate ? 1 : 0, dx, inFeatures)
    }
    public func dequantized() -> [Float] { w.array }
}
