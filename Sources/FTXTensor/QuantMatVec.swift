// Y[v, r] (+)= Σ_i W[r, i] · X[v, i] for a few activation vectors, reading the quantized blocks
// directly: each 32-block is decoded once into registers and used for up to four vectors.
// Activations stay f32 (no activation quantization), so results match an f32 reference to ~1e-6.

import _Builtin_intrinsics.intel

/// Computes rows `rowStart..<rowEnd` of Y = X·Wᵀ for `nVec` vectors (X is nVec×cols, stride ldx;
/// Y is nVec×outStride). `w` points at row 0 of the weight; rows are `rowBytes` apart.
public func quantMatVecRows(_ type: QuantType, w: UnsafeRawPointer, rowBytes: Int, cols: Int,
                            rowStart: Int, rowEnd: Int,
                            x: UnsafePointer<Float>, ldx: Int, nVec: Int,
                            y: UnsafeMutablePointer<Float>, ldy: Int, accumulate: Bool) {
    switch type {
    case .q4_1:
        matVecRows32(BlockQ4_1.self, w: w, rowBytes: rowBytes, cols: cols, rs: rowStart, re: rowEnd,
                     x: x, ldx: ldx, nVec: nVec, y: y, ldy: ldy, accumulate: accumulate)
    case .q4_0:
        matVecRows32(BlockQ4_0.self, w: w, rowBytes: rowBytes, cols: cols, rs: rowStart, re: rowEnd,
                     x: x, ldx: ldx, nVec: nVec, y: y, ldy: ldy, accumulate: accumulate)
    case .q8_0:
        matVecRows32(BlockQ8_0.self, w: w, rowBytes: rowBytes, cols: cols, rs: rowStart, re: rowEnd,
                     x: x, ldx: ldx, nVec: nVec, y: y, ldy: ldy, accumulate: accumulate)
    default:
        // Other block layouts: dequantize the row once, then f32 dots for every vector.
        let tmp = ThreadScratch.buffer(.matmul, cols, as: Float.self)
        for r in rowStart..<rowEnd {
            dequantizeRow(type, w + r * rowBytes, tmp, count: cols)
            for v in 0..<nVec {
                let s = dotF32(tmp, x + v * ldx, cols)
                let p = y + v * ldy + r
                p.pointee = accumulate ? p.pointee + s : s
            }
        }
    }
}

@usableFromInline @inline(__always) func loadX(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

/// f32 dot product in a fixed order: 16 lanes fused chunk after chunk, the lanes summed by
/// `treeSum`, then the remainder one by one. Attention's scores use it too (`CausalAttention`), so a
/// score has one arithmetic wherever it is computed.
@inlinable @inline(__always) public func dotF32(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = SIMD16<Float>()
    var i = 0
    while i + 16 <= n {
        acc = acc.addingProduct(loadX(a + i), loadX(b + i))
        i += 16
    }
    var s = treeSum(acc)
    while i < n { s += a[i] * b[i]; i += 1 }
    return s
}

/// The lanes' sum in a fixed tree order: 8 + 8, 4 + 4, 2 + 2, 1 + 1. (`SIMD.sum()` adds the 16 lanes
/// one after another: 15 dependent adds, which cost more than the products of a 64-wide dot.)
@inlinable @inline(__always) public func treeSum(_ v: SIMD16<Float>) -> Float {
    let h = v.lowHalf + v.highHalf, q = h.lowHalf + h.highHalf, p = q.lowHalf + q.highHalf
    return p[0] + p[1]
}

/// `treeSum` of four vectors at once, the same additions in the same pairs (so the same bits), with
/// the lanes of two or four vectors side by side in each step instead of one vector's lanes narrowing.
@inline(__always) func treeSums4(_ a: SIMD16<Float>, _ b: SIMD16<Float>, _ c: SIMD16<Float>, _ d: SIMD16<Float>) -> SIMD4<Float> {
    let ha = a.lowHalf + a.highHalf, hb = b.lowHalf + b.highHalf, hc = c.lowHalf + c.highHalf, hd = d.lowHalf + d.highHalf
    // [q_a | q_b]: lane i + lane i + 4 of each.
    let qab = SIMD8(lowHalf: ha.lowHalf, highHalf: hb.lowHalf) + SIMD8(lowHalf: ha.highHalf, highHalf: hb.highHalf)
    let qcd = SIMD8(lowHalf: hc.lowHalf, highHalf: hd.lowHalf) + SIMD8(lowHalf: hc.highHalf, highHalf: hd.highHalf)
    // [p_a0 p_a1 p_c0 p_c1 | p_b0 p_b1 p_d0 p_d1]: lane i + lane i + 2.
    let x = _mm256_castps_pd(qab), y = _mm256_castps_pd(qcd)
    let p = _mm256_castpd_ps(_mm256_unpacklo_pd(x, y)) + _mm256_castpd_ps(_mm256_unpackhi_pd(x, y))
    // Lanes 0, 4, 2, 6: p0 + p1 of a, b, c, d.
    let s = p + _mm256_movehdup_ps(p)
    return SIMD4(s[0], s[4], s[2], s[6])
}
