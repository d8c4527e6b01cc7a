import _Builtin_intrinsics.intel

/// Vectorized exp (Cephes-style range reduction + degree-6 polynomial; ~1 ulp over the range used by
/// softmax and SiLU). Inputs below -87.3 give 0, above 88.3 saturate, NaN stays NaN.
/// The float→int steps use intrinsics: Swift's generic SIMD conversions are scalar loops.
@inline(__always) func simdExp8(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let lo = SIMD8<Float>(repeating: -87.3), hi = SIMD8<Float>(repeating: 88.3)
    let nan = x .!= x
    var v = x.replacing(with: lo, where: x .< lo).replacing(with: hi, where: x .> hi).replacing(with: 0, where: nan)
    let ni = _mm256_cvtps_epi32(v * SIMD8<Float>(repeating: 1.442_695_04))   // round to nearest even
    let n = _mm256_cvtepi32_ps(ni)
    v = v.addingProduct(n, SIMD8<Float>(repeating: -0.693_359_375))
    v = v.addingProduct(n, SIMD8<Float>(repeating: 2.121_944_4e-4))
    var p = SIMD8<Float>(repeating: 1.987_569_1e-4)
    p = p * v + SIMD8<Float>(repeating: 1.398_199_9e-3)
    p = p * v + SIMD8<Float>(repeating: 8.333_452e-3)
    p = p * v + SIMD8<Float>(repeating: 4.166_579_6e-2)
    p = p * v + SIMD8<Float>(repeating: 1.666_666_5e-1)
    p = p * v + SIMD8<Float>(repeating: 0.5)
    p = p * (v * v) + v + SIMD8<Float>(repeating: 1)
    let bits = _mm256_slli_epi32(_mm256_add_epi32(ni, _mm256_set1_epi32(127)), 23)
    var r = p * _mm256_castsi256_ps(bits)
    r = r.replacing(with: 0, where: x .< lo)
    return r.replacing(with: .nan, where: nan)
}

@inline(__always) public func simdExp(_ x: SIMD16<Float>) -> SIMD16<Float> {
    let a = simdExp8(x.lowHalf), b = simdExp8(x.highHalf)
    return SIMD16(lowHalf: a, highHalf: b)
}
