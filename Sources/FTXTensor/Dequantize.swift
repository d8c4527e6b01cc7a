// Exact dequantization of one row of blocks into f32 (ggml's reference formulas):
//   Q4_0: w = (q - 8)·d      Q4_1: w = q·d + m      Q8_0: w = q·d
// with the low nibble of byte j giving element j and the high nibble element j+16 of a 32-block.
// q·d is exact in f32 (≤ 8-bit × 11-bit mantissas), so each value rounds once, like a float64 reference.

/// Dequantizes `count` elements (a whole number of blocks) starting at `src` into `dst`.
public func dequantizeRow(_ type: QuantType, _ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, count: Int) {
    switch type {
    case .f32:
        dst.update(from: src.assumingMemoryBound(to: Float.self), count: count)
    case .f16:
        for i in 0..<count { dst[i] = halfToFloat(loadU16(src, 2 * i)) }
    case .bf16:
        for i in 0..<count { dst[i] = bf16ToFloat(loadU16(src, 2 * i)) }
    case .q4_0: dequantRow32(BlockQ4_0.self, src, dst, count)
    case .q4_1: dequantRow32(BlockQ4_1.self, src, dst, count)
    case .q8_0: dequantRow32(BlockQ8_0.self, src, dst, count)
    case .q4_K:
        for blk in 0..<(count / 256) { dequantQ4K(src + blk * 144, dst + blk * 256) }
    case .q6_K:
        for blk in 0..<(count / 256) { dequantQ6K(src + blk * 210, dst + blk * 256) }
    }
}

@inline(__always) private func scaleMinK4(_ j: Int, _ q: UnsafePointer<UInt8>) -> (Float, Float) {
    if j < 4 { return (Float(q[j] & 63), Float(q[j + 4] & 63)) }
    let d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4)
    let m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4)
    return (Float(d), Float(m))
}

private func dequantQ4K(_ b: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
    let d = halfToFloat(loadU16(b, 0)), dmin = halfToFloat(loadU16(b, 2))
    let scales = (b + 4).assumingMemoryBound(to: UInt8.self)
    var q = (b + 16).assumingMemoryBound(to: UInt8.self)
    var out = y, isc = 0
    for _ in 0..<4 {
        let (s1, m1) = scaleMinK4(isc, scales), (s2, m2) = scaleMinK4(isc + 1, scales)
        let d1 = d * s1, mm1 = dmin * m1, d2 = d * s2, mm2 = dmin * m2
        for l in 0..<32 { out[l] = d1 * Float(q[l] & 0xF) - mm1 }
        for l in 0..<32 { out[32 + l] = d2 * Float(q[l] >> 4) - mm2 }
        out += 64; q += 32; isc += 2
    }
}

private func dequantQ6K(_ b: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
    var ql = b.assumingMemoryBound(to: UInt8.self)
    var qh = (b + 128).assumingMemoryBound(to: UInt8.self)
    var sc = (b + 192).assumingMemoryBound(to: Int8.self)
    let d = halfToFloat(loadU16(b, 208))
    var out = y
    for _ in 0..<2 {
        for l in 0..<32 {
            let isc = l / 16
            let q1 = Int(Int8(bitPattern: (ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4))) - 32
            let q2 = Int(Int8(bitPattern: (ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4))) - 32
            let q3 = Int(Int8(bitPattern: (ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4))) - 32
            let q4 = Int(Int8(bitPattern: (ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4))) - 32
            out[l] = d * Float(sc[isc]) * Float(q1)
            out[l + 32] = d * Float(sc[isc + 2]) * Float(q2)
            out[l + 64] = d * Float(sc[isc + 4]) * Float(q3)
            out[l + 96] = d * Float(sc[isc + 6]) * Float(q4)
        }
        out += 128; ql += 64; qh += 32; sc += 8
    }
}
