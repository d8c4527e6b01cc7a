/// Vectorized exp for 16 lanes (Cephes-style range reduction + degree-6 polynomial; ~1 ulp over
/// the range used by softmax and SiLU). Inputs below -87 give 0, above 88 saturate.
@inline(__always) public func simdExp(_ x: SIMD16<Float>) -> SIMD16<Float> {
    let lo = SIMD16<Float>(repeating: -87.3), hi = SIMD16<Float>(repeating: 88.3)
    let nan = x .!= x   // NaN lanes stay NaN (and never reach the float→int conversion)
    var v = x.replacing(with: lo, where: x .< lo).replacing(with: hi, where: x .> hi).replacing(with: 0, where: nan)
    let log2e = SIMD16<Float>(repeating: 1.442_695_04)
    let n = (v * log2e).rounded(.toNearestOrEven)
    v = v.addingProduct(n, SIMD16<Float>(repeating: -0.693_359_375))
    v = v.addingProduct(n, SIMD16<Float>(repeating: 2.121_944_4e-4))
    var p = SIMD16<Float>(repeating: 1.987_569_1e-4)
    p = p * v + SIMD16<Float>(repeating: 1.398_199_9e-3)
    p = p * v + SIMD16<Float>(repeating: 8.333_452e-3)
    p = p * v + SIMD16<Float>(repeating: 4.166_579_6e-2)
    p = p * v + SIMD16<Float>(repeating: 1.666_666_5e-1)
    p = p * v + SIMD16<Float>(repeating: 0.5)
    p = p * (v * v) + v + SIMD16<Float>(repeating: 1)
    let e = SIMD16<Int32>(n) &+ 127
    let scale = unsafeBitCast(SIMD16<UInt32>(truncatingIfNeeded: e) &<< 23, to: SIMD16<Float>.self)
    var r = p * scale
    r = r.replacing(with: 0, where: x .< lo)
    return r.replacing(with: .nan, where: nan)
}
