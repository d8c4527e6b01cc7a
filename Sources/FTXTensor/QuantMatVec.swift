// Y[v, r] (+)= Σ_i W[r, i] · X[v, i] for a few activation vectors, reading the quantized blocks
// directly: each 32-block is decoded once into registers and used for up to four vectors.
// Activations stay f32 (no activation quantization), so results match an f32 reference to ~1e-6.

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
