// Exact dequantization of one row of blocks into f32 (ggml's reference formulas):
//   Q4_0: w = (q - 8)·d      Q4_1: w = q·d + m      Q8_0: w = q·d
//   Q5_0: w = (q - 16)·d     Q5_1: w = q·d + m      (q's fifth bit from the block's 32-bit qh)
// with the low nibble of byte j giving element j and the high nibble element j+16 of a 32-block.
// K-quants (256-element super-blocks) scale 16- or 32-element groups: w = (d·scale)·q - dmin·min,
// each product rounded in f32 in gguf-py's order, so results match it bit for bit.
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
    case .q5_0:
        for blk in 0..<(count / 32) { dequantQ5(src + blk * 22, dst + blk * 32, hasMin: false) }
    case .q5_1:
        for blk in 0..<(count / 32) { dequantQ5(src + blk * 24, dst + blk * 32, hasMin: true) }
    case .q2_K:
        for blk in 0..<(count / 256) { dequantQ2K(src + blk * 84, dst + blk * 256) }
    case .q3_K:
        for blk in 0..<(count / 256) { dequantQ3K(src + blk * 110, dst + blk * 256) }
    case .q4_K:
        for blk in 0..<(count / 256) { dequantQ4K(src + blk * 144, dst + blk * 256) }
    case .q5_K:
        for blk in 0..<(count / 256) { dequantQ5K(src + blk * 176, dst + blk * 256) }
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

/// Q5_0 (d, qh, qs) and Q5_1 (d, m, qh, qs): a nibble plus the fifth bit j of the 32-bit qh.
private func dequantQ5(_ b: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, hasMin: Bool) {
    let d = halfToFloat(loadU16(b, 0))
    let m = hasMin ? halfToFloat(loadU16(b, 2)) : 0
    let at = hasMin ? 4 : 2
    let qh = b.loadUnaligned(fromByteOffset: at, as: UInt32.self).littleEndian
    let qs = (b + at + 4).assumingMemoryBound(to: UInt8.self)
    for j in 0..<16 {
        let lo = Int(qs[j] & 0xF) | Int((qh >> UInt32(j)) & 1) << 4
        let hi = Int(qs[j] >> 4) | Int((qh >> UInt32(j + 16)) & 1) << 4
        if hasMin {
            y[j] = d * Float(lo) + m
            y[j + 16] = d * Float(hi) + m
        } else {
            y[j] = d * Float(lo - 16)
            y[j + 16] = d * Float(hi - 16)
        }
    }
}

/// Q2_K (scales[16], qs[64], d, dmin): 2-bit q; element h·128 + k·32 + l is bits 2k of
/// qs[h·32 + l]; group e/16 has scale (low nibble) and min (high nibble) of scales[e/16].
private func dequantQ2K(_ b: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
    let scales = b.assumingMemoryBound(to: UInt8.self)
    let qs = (b + 16).assumingMemoryBound(to: UInt8.self)
    let d = halfToFloat(loadU16(b, 80)), dmin = halfToFloat(loadU16(b, 82))
    for e in 0..<256 {
        let h = e / 128, k = (e / 32) % 4, l = e % 32
        let q = Float((qs[h * 32 + l] >> UInt8(2 * k)) & 3)
        let sc = scales[e / 16]
        let dl = d * Float(sc & 0xF), ml = dmin * Float(sc >> 4)
        y[e] = dl * q - ml
    }
}

/// Q3_K (hmask[32], qs[64], scales[12], d): 2 low bits as Q2_K, the third from hmask (set = no
/// offset, clear = minus 4); sixteen 6-bit signed scales packed as 4 low bits + 2 high bits.
private func dequantQ3K(_ b: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
    let hmask = b.assumingMemoryBound(to: UInt8.self)
    let qs = (b + 32).assumingMemoryBound(to: UInt8.self)
    let packed = (b + 96).assumingMemoryBound(to: UInt8.self)
    let d = halfToFloat(loadU16(b, 108))
    for g in 0..<16 {
        let low = (packed[g % 8] >> UInt8(4 * (g / 8))) & 0xF
        let high = (packed[8 + g % 4] >> UInt8(2 * (g / 4))) & 3
        let dl = d * Float(Int(low | high << 4) - 32)
        for e in (g * 16)..<(g * 16 + 16) {
            let h = e / 128, k = (e / 32) % 4, l = e % 32
            let q = Int((qs[h * 32 + l] >> UInt8(2 * k)) & 3)
            let bit = Int((hmask[l] >> UInt8(e / 32)) & 1)
            y[e] = dl * Float(q - (bit ^ 1) * 4)
        }
    }
}

/// Q5_K (d, dmin, scales[12], qh[32], qs[128]): Q4_K's scales and nibbles (element h·64 + t·32 + l
/// is nibble t of qs[h·32 + l]), plus bit e/32 of qh[l] as the fifth bit.
private func dequantQ5K(_ b: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
    let d = halfToFloat(loadU16(b, 0)), dmin = halfToFloat(loadU16(b, 2))
    let scales = (b + 4).assumingMemoryBound(to: UInt8.self)
    let qh = (b + 16).assumingMemoryBound(to: UInt8.self)
    let qs = (b + 48).assumingMemoryBound(to: UInt8.self)
    for g in 0..<8 {
        let (s, m) = scaleMinK4(g, scales)
        let dg = d * s, mg = dmin * m
        let h = g / 2, t = g % 2
        for l in 0..<32 {
            let q = Int((qs[h * 32 + l] >> UInt8(4 * t)) & 0xF) | Int((qh[l] >> UInt8(g)) & 1) << 4
            y[g * 32 + l] = dg * Float(q) - mg
        }
    }
}
