import _Builtin_intrinsics.intel

// AVX2 decoders of the 32-element block formats. Each turns one block into four 8-float vectors
// (elements 0–7, 8–15, 16–23, 24–31) with exact values: q·d (+ m) rounds once, as the reference does.
// Swift's generic SIMD integer→float conversions are scalar loops, so the widening goes through
// the x86 intrinsics (vpmovzxbd / vpmovsxbd / vcvtdq2ps).

typealias F8 = SIMD8<Float>

protocol Block32 {
    static var blockBytes: Int { get }
    /// Whether blocks carry a min (w = q·d + m) as well as a scale.
    static var hasMin: Bool { get }
    static func decode(_ b: UnsafeRawPointer) -> (F8, F8, F8, F8)
    /// The raw quants as floats (w = q·d + m), for kernels that apply d and m after the dot product.
    static func decodeRaw(_ b: UnsafeRawPointer) -> (F8, F8, F8, F8, d: Float, m: Float)
}

@inline(__always) func splitNibbles(_ p: UnsafeRawPointer) -> (lo: __m128i, hi: __m128i) {
    let v = _mm_loadu_si128(p.assumingMemoryBound(to: __m128i.self))
    let mask = _mm_set1_epi8(0x0F)
    return (_mm_and_si128(v, mask), _mm_and_si128(_mm_srli_epi16(v, 4), mask))
}

/// 8 unsigned bytes (the low 8 of `v`) → 8 floats; then the high 8.
@inline(__always) func u8ToF8(_ v: __m128i) -> (F8, F8) {
    (_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(v)), _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_unpackhi_epi64(v, v))))
}
@inline(__always) func i8ToF8(_ v: __m128i) -> (F8, F8) {
    (_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(v)), _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_unpackhi_epi64(v, v))))
}

struct BlockQ4_1: Block32 {
    static var blockBytes: Int { 20 }
    static var hasMin: Bool { true }
    @inline(__always) static func decodeRaw(_ b: UnsafeRawPointer) -> (F8, F8, F8, F8, d: Float, m: Float) {
        let (lo, hi) = splitNibbles(b + 4)
        let (a0, a1) = u8ToF8(lo), (b0, b1) = u8ToF8(hi)
        return (a0, a1, b0, b1, halfToFloat(loadU16(b, 0)), halfToFloat(loadU16(b, 2)))
    }
    @inline(__always) static func decode(_ b: UnsafeRawPointer) -> (F8, F8, F8, F8) {
        let d = F8(repeating: halfToFloat(loadU16(b, 0))), m = F8(repeating: halfToFloat(loadU16(b, 2)))
        let (lo, hi) = splitNibbles(b + 4)
        let (a0, a1) = u8ToF8(lo), (b0, b1) = u8ToF8(hi)
        return (m.addingProduct(a0, d), m.addingProduct(a1, d), m.addingProduct(b0, d), m.addingProduct(b1, d))
    }
}

struct BlockQ4_0: Block32 {
    static var blockBytes: Int { 18 }
    static var hasMin: Bool { false }
    @inline(__always) static func decodeRaw(_ b: UnsafeRawPointer) -> (F8, F8, F8, F8, d: Float, m: Float) {
        let (lo, hi) = splitNibbles(b + 2)
        let eight = _mm_set1_epi8(8)
        let (a0, a1) = i8ToF8(_mm_sub_epi8(lo, eight)), (b0, b1) = i8ToF8(_mm_sub_epi8(hi, eight))
        return (a0, a1, b0, b1, halfToFloat(loadU16(b, 0)), 0)
    }
    @inline(__always) static func decode(_ b: UnsafeRawPointer) -> (F8, F8, F8, F8) {
        let d = F8(repeating: halfToFloat(loadU16(b, 0)))
        let (lo, hi) = splitNibbles(b + 2)
        let eight = _mm_set1_epi8(8)
        let (a0, a1) = i8ToF8(_mm_sub_epi8(lo, eight)), (b0, b1) = i8ToF8(_mm_sub_epi8(hi, eight))
        return (a0 * d, a1 * d, b0 * d, b1 * d)
    }
}

struct BlockQ8_0: Block32 {
    static var blockBytes: Int { 34 }
    static var hasMin: Bool { false }
    @inline(__always) static func decodeRaw(_ b: UnsafeRawPointer) -> (F8, F8, F8, F8, d: Float, m: Float) {
        let (a0, a1) = i8ToF8(_mm_loadu_si128((b + 2).assumingMemoryBound(to: __m128i.self)))
        let (b0, b1) = i8ToF8(_mm_loadu_si128((b + 18).assumingMemoryBound(to: __m128i.self)))
        return (a0, a1, b0, b1, halfToFloat(loadU16(b, 0)), 0)
    }
    @inline(__always) static func decode(_ b: UnsafeRawPointer) -> (F8, F8, F8, F8) {
        let d = F8(repeating: halfToFloat(loadU16(b, 0)))
        let (a0, a1) = i8ToF8(_mm_loadu_si128((b + 2).assumingMemoryBound(to: __m128i.self)))
        let (b0, b1) = i8ToF8(_mm_loadu_si128((b + 18).assumingMemoryBound(to: __m128i.self)))
        return (a0 * d, a1 * d, b0 * d, b1 * d)
    }
}

@inline(__always) func load8(_ p: UnsafePointer<Float>) -> F8 { UnsafeRawPointer(p).loadUnaligned(as: F8.self) }
@inline(__always) func store8(_ v: F8, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: F8.self) }

@inline(__always) func dequantRow32<B: Block32>(_: B.Type, _ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
    for blk in 0..<(count / 32) {
        let (w0, w1, w2, w3) = B.decode(src + blk * B.blockBytes)
        let o = dst + blk * 32
        store8(w0, o); store8(w1, o + 8); store8(w2, o + 16); store8(w3, o + 24)
    }
}

/// Y[v, r] (+)= row r · X[v] for rows [rs, re) and `nVec` vectors; blocks decoded once per row and
/// shared by up to four vectors.
@inline(__always) func matVecRows32<B: Block32>(_: B.Type, w: UnsafeRawPointer, rowBytes: Int, cols: Int, rs: Int, re: Int,
                                                 x: UnsafePointer<Float>, ldx: Int, nVec: Int,
                                                 y: UnsafeMutablePointer<Float>, ldy: Int, accumulate: Bool) {
    // With more than one group of vectors, walk the weights in small row tiles so each tile is
    // reused from L1 by every group instead of streaming the whole matrix once per group.
    if nVec <= 4 {
        matVecTile32(B.self, w: w, rowBytes: rowBytes, cols: cols, rs: rs, re: re, x: x, ldx: ldx, nVec: nVec,
                     y: y, ldy: ldy, accumulate: accumulate)
        return
    }
    // Results of the whole row range go to a [row][vector] scratch (one contiguous stream) and are
    // transposed into Y at the end, so the compute loop never writes nVec far-apart rows of Y.
    let n = re - rs
    let tmp = ThreadScratch.buffer(.matmul, n * nVec, as: Float.self)
    let tile = max(8, 16 * 1024 / max(1, rowBytes))
    var r0 = 0
    while r0 < n {
        let r1 = min(n, r0 + tile)
        matVecTile32(B.self, w: w + rs * rowBytes, rowBytes: rowBytes, cols: cols, rs: r0, re: r1, x: x, ldx: ldx, nVec: nVec,
                     y: tmp, ldy: 1, rowStride: nVec, accumulate: false)
        r0 = r1
    }
    for v in 0..<nVec {
        let yr = y + v * ldy + rs
        if accumulate { for r in 0..<n { yr[r] += tmp[r * nVec + v] } }
        else { for r in 0..<n { yr[r] = tmp[r * nVec + v] } }
    }
}

@inline(__always) func matVecTile32<B: Block32>(_: B.Type, w: UnsafeRawPointer, rowBytes: Int, cols: Int, rs: Int, re: Int,
                                                 x: UnsafePointer<Float>, ldx: Int, nVec: Int,
                                                 y: UnsafeMutablePointer<Float>, ldy: Int, rowStride: Int = 1, accumulate: Bool) {
    let nb = cols / 32
    var v = 0
    while v < nVec {
        let g = nVec - v >= 8 ? 8 : min(4, nVec - v)
        let x0 = x + v * ldx
        if g == 8 {
            // Eight vectors per decoded block: 8 accumulators + 4 weight registers stay in ymm.
            // Results go to a row-major scratch first: eight output rows `ldy` apart written in
            // lock step alias in the cache when ldy is a multiple of 1024 (the vocab head).
            let tmp = ThreadScratch.buffer(.tile, 8 * (re - rs), as: Float.self)
            for r in rs..<re {
                let row = w + r * rowBytes
                var a0 = F8(), a1 = F8(), a2 = F8(), a3 = F8(), a4 = F8(), a5 = F8(), a6 = F8(), a7 = F8()
                for blk in 0..<nb {
                    let (w0, w1, w2, w3) = B.decode(row + blk * B.blockBytes)
                    let o = blk * 32
                    var xp = x0 + o
                    a0 = a0.addingProduct(w0, load8(xp)).addingProduct(w1, load8(xp + 8)).addingProduct(w2, load8(xp + 16)).addingProduct(w3, load8(xp + 24)); xp += ldx
                    a1 = a1.addingProduct(w0, load8(xp)).addingProduct(w1, load8(xp + 8)).addingProduct(w2, load8(xp + 16)).addingProduct(w3, load8(xp + 24)); xp += ldx
                    a2 = a2.addingProduct(w0, load8(xp)).addingProduct(w1, load8(xp + 8)).addingProduct(w2, load8(xp + 16)).addingProduct(w3, load8(xp + 24)); xp += ldx
                    a3 = a3.addingProduct(w0, load8(xp)).addingProduct(w1, load8(xp + 8)).addingProduct(w2, load8(xp + 16)).addingProduct(w3, load8(xp + 24)); xp += ldx
                    a4 = a4.addingProduct(w0, load8(xp)).addingProduct(w1, load8(xp + 8)).addingProduct(w2, load8(xp + 16)).addingProduct(w3, load8(xp + 24)); xp += ldx
                    a5 = a5.addingProduct(w0, load8(xp)).addingProduct(w1, load8(xp + 8)).addingProduct(w2, load8(xp + 16)).addingProduct(w3, load8(xp + 24)); xp += ldx
                    a6 = a6.addingProduct(w0, load8(xp)).addingProduct(w1, load8(xp + 8)).addingProduct(w2, load8(xp + 16)).addingProduct(w3, load8(xp + 24)); xp += ldx
                    a7 = a7.addingProduct(w0, load8(xp)).addingProduct(w1, load8(xp + 8)).addingProduct(w2, load8(xp + 16)).addingProduct(w3, load8(xp + 24))
                }
                let t = tmp + (r - rs) * 8
                t[0] = a0.sum(); t[1] = a1.sum(); t[2] = a2.sum(); t[3] = a3.sum()
                t[4] = a4.sum(); t[5] = a5.sum(); t[6] = a6.sum(); t[7] = a7.sum()
            }
            for u in 0..<8 {
                let yr = y + (v + u) * ldy
                for r in rs..<re { yr[r * rowStride] = accumulate ? yr[r * rowStride] + tmp[(r - rs) * 8 + u] : tmp[(r - rs) * 8 + u] }
            }
        } else if g == 4 {
            let x1 = x0 + ldx, x2 = x1 + ldx, x3 = x2 + ldx
            let tmp = ThreadScratch.buffer(.tile, 4 * (re - rs), as: Float.self)
            for r in rs..<re {
                let row = w + r * rowBytes
                var a0 = F8(), a1 = F8(), a2 = F8(), a3 = F8()
                var c0 = F8(), c1 = F8(), c2 = F8(), c3 = F8()
                for blk in 0..<nb {
                    let (w0, w1, w2, w3) = B.decode(row + blk * B.blockBytes)
                    let o = blk * 32
                    a0 = a0.addingProduct(w0, load8(x0 + o)).addingProduct(w1, load8(x0 + o + 8))
                    c0 = c0.addingProduct(w2, load8(x0 + o + 16)).addingProduct(w3, load8(x0 + o + 24))
                    a1 = a1.addingProduct(w0, load8(x1 + o)).addingProduct(w1, load8(x1 + o + 8))
                    c1 = c1.addingProduct(w2, load8(x1 + o + 16)).addingProduct(w3, load8(x1 + o + 24))
                    a2 = a2.addingProduct(w0, load8(x2 + o)).addingProduct(w1, load8(x2 + o + 8))
                    c2 = c2.addingProduct(w2, load8(x2 + o + 16)).addingProduct(w3, load8(x2 + o + 24))
                    a3 = a3.addingProduct(w0, load8(x3 + o)).addingProduct(w1, load8(x3 + o + 8))
                    c3 = c3.addingProduct(w2, load8(x3 + o + 16)).addingProduct(w3, load8(x3 + o + 24))
                }
                let t = tmp + (r - rs) * 4
                t[0] = (a0 + c0).sum(); t[1] = (a1 + c1).sum(); t[2] = (a2 + c2).sum(); t[3] = (a3 + c3).sum()
            }
            for u in 0..<4 {
                let yr = y + (v + u) * ldy
                for r in rs..<re { yr[r * rowStride] = accumulate ? yr[r * rowStride] + tmp[(r - rs) * 4 + u] : tmp[(r - rs) * 4 + u] }
            }
        } else {
            if !QuantKernelTuning.rawDot {
                for u in 0..<g {
                    let xu = x0 + u * ldx
                    for r in rs..<re {
                        let row = w + r * rowBytes
                        var a = F8(), b = F8(), c = F8(), d = F8()
                        for blk in 0..<nb {
                            let (w0, w1, w2, w3) = B.decode(row + blk * B.blockBytes)
                            let o = blk * 32
                            a = a.addingProduct(w0, load8(xu + o))
                            b = b.addingProduct(w1, load8(xu + o + 8))
                            c = c.addingProduct(w2, load8(xu + o + 16))
                            d = d.addingProduct(w3, load8(xu + o + 24))
                        }
                        let s = ((a + b) + (c + d)).sum()
                        let yr = y + (v + u) * ldy + r * rowStride
                        yr.pointee = accumulate ? yr.pointee + s : s
                    }
                }
                v += g
                continue
            }
            // One vector at a time: dot the raw quants, then scale by d once per block and add
            // m·Σx (block sums of x precomputed), instead of dequantizing every weight.
            for u in 0..<g {
                let xu = x0 + u * ldx
                // Per-block partial sums of x, kept as 8 lanes so the m term is one vector FMA.
                let xs = ThreadScratch.buffer(.tile, nb, as: F8.self)
                do {
                    if B.hasMin {
                        for blk in 0..<nb {
                            let o = xu + blk * 32
                            xs[blk] = (load8(o) + load8(o + 8)) + (load8(o + 16) + load8(o + 24))
                        }
                    }
                    for r in rs..<re {
                        let row = w + r * rowBytes
                        var acc = F8(), acc2 = F8(), macc = F8()
                        var blk = 0
                        while blk + 2 <= nb {
                            let (q0, q1, q2, q3, d, m) = B.decodeRaw(row + blk * B.blockBytes)
                            let (p0, p1, p2, p3, e, n) = B.decodeRaw(row + (blk + 1) * B.blockBytes)
                            let o = xu + blk * 32
                            let t = (q0 * load8(o)).addingProduct(q1, load8(o + 8)).addingProduct(q2, load8(o + 16)).addingProduct(q3, load8(o + 24))
                            let t2 = (p0 * load8(o + 32)).addingProduct(p1, load8(o + 40)).addingProduct(p2, load8(o + 48)).addingProduct(p3, load8(o + 56))
                            acc = acc.addingProduct(t, F8(repeating: d))
                            acc2 = acc2.addingProduct(t2, F8(repeating: e))
                            if B.hasMin { macc = macc.addingProduct(xs[blk], F8(repeating: m)).addingProduct(xs[blk + 1], F8(repeating: n)) }
                            blk += 2
                        }
                        if blk < nb {
                            let (q0, q1, q2, q3, d, m) = B.decodeRaw(row + blk * B.blockBytes)
                            let o = xu + blk * 32
                            let t = (q0 * load8(o)).addingProduct(q1, load8(o + 8)).addingProduct(q2, load8(o + 16)).addingProduct(q3, load8(o + 24))
                            acc = acc.addingProduct(t, F8(repeating: d))
                            if B.hasMin { macc = macc.addingProduct(xs[blk], F8(repeating: m)) }
                        }
                        let s = ((acc + acc2) + macc).sum()
                        let yr = y + (v + u) * ldy + r * rowStride
                        yr.pointee = accumulate ? yr.pointee + s : s
                    }
                }
            }
        }
        v += g
    }
}

/// Kernel variant switches (measured by `ftx model bench --kernels`).
public enum QuantKernelTuning {
    nonisolated(unsafe) public static var rawDot = true
}
