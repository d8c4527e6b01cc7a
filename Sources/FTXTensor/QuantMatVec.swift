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
    case .q4_0, .q4_1, .q8_0:
        var v = 0
        while v < nVec {
            let g = min(4, nVec - v)
            for r in rowStart..<rowEnd {
                let row = w + r * rowBytes
                let xs = x + v * ldx, ys = y + v * ldy + r
                switch g {
                case 4: dot4(type, row, cols, xs, ldx, ys, ldy, accumulate)
                case 1: dot1(type, row, cols, xs, ys, accumulate)
                default:
                    for u in 0..<g { dot1(type, row, cols, xs + u * ldx, ys + u * ldy, accumulate) }
                }
            }
            v += g
        }
    default:
        // Other block layouts: dequantize the row once, then f32 dots for every vector.
        let tmp = UnsafeMutablePointer<Float>.allocate(capacity: cols)
        defer { tmp.deallocate() }
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

@inline(__always) func loadX(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

@inline(__always) private func dot1(_ type: QuantType, _ row: UnsafeRawPointer, _ cols: Int,
                                    _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ acc0: Bool) {
    let bb = type.blockBytes, nb = cols / 32
    var a = SIMD16<Float>(), b = SIMD16<Float>()
    var blk = 0
    while blk < nb {
        let (lo, hi) = decodeBlock32(type, row + blk * bb)
        let xp = x + blk * 32
        a = a.addingProduct(lo, loadX(xp))
        b = b.addingProduct(hi, loadX(xp + 16))
        blk += 1
    }
    let s = (a + b).sum()
    y.pointee = acc0 ? y.pointee + s : s
}

@inline(__always) private func dot4(_ type: QuantType, _ row: UnsafeRawPointer, _ cols: Int,
                                    _ x: UnsafePointer<Float>, _ ldx: Int,
                                    _ y: UnsafeMutablePointer<Float>, _ ldy: Int, _ acc0: Bool) {
    let bb = type.blockBytes, nb = cols / 32
    var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
    let x0 = x, x1 = x + ldx, x2 = x + 2 * ldx, x3 = x + 3 * ldx
    var blk = 0
    while blk < nb {
        let (lo, hi) = decodeBlock32(type, row + blk * bb)
        let o = blk * 32
        a0 = a0.addingProduct(lo, loadX(x0 + o)).addingProduct(hi, loadX(x0 + o + 16))
        a1 = a1.addingProduct(lo, loadX(x1 + o)).addingProduct(hi, loadX(x1 + o + 16))
        a2 = a2.addingProduct(lo, loadX(x2 + o)).addingProduct(hi, loadX(x2 + o + 16))
        a3 = a3.addingProduct(lo, loadX(x3 + o)).addingProduct(hi, loadX(x3 + o + 16))
        blk += 1
    }
    let s0 = a0.sum(), s1 = a1.sum(), s2 = a2.sum(), s3 = a3.sum()
    if acc0 {
        y[0] += s0; y[ldy] += s1; y[2 * ldy] += s2; y[3 * ldy] += s3
    } else {
        y[0] = s0; y[ldy] = s1; y[2 * ldy] = s2; y[3 * ldy] = s3
    }
}

/// f32 dot product, 16 lanes at a time, fixed order.
@inline(__always) public func dotF32(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = SIMD16<Float>()
    var i = 0
    while i + 16 <= n {
        acc = acc.addingProduct(loadX(a + i), loadX(b + i))
        i += 16
    }
    var s = acc.sum()
    while i < n { s += a[i] * b[i]; i += 1 }
    return s
}
