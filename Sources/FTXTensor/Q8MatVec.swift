import _Builtin_intrinsics.intel

// Integer dot products of 32-element weight blocks with 8-bit activation blocks (Q8Rows), as
// llama.cpp computes decode matvecs on AVX2: vpmaddubsw multiplies unsigned weight bytes by signed
// activation bytes into 16-bit pair sums (no overflow: 2·15·127 or 2·128·127 < 2¹⁵), vpmaddwd widens
// them to eight 32-bit sums, and each block adds (Σ q_w·q_x)·d_w·d_x in f32. For w = q·d + m the min
// term m·d_x·Σq_x comes from the activation's precomputed block sum.
// Error against f32 activations: each activation is rounded to 1/254 of its block's max |x|.

protocol Q8DotBlock {
    static var blockBytes: Int { get }
    static var hasMin: Bool { get }
    /// The 32 quants as the first operand of `mul`, the scale d and the min m (w = q·d + m).
    static func load(_ b: UnsafeRawPointer) -> (q: __m256i, d: Float, m: Float)
    /// Sixteen 16-bit sums of adjacent products q·x.
    static func mul(_ q: __m256i, _ x: __m256i) -> __m256i
}

@inline(__always) func nibbles32(_ p: UnsafeRawPointer) -> __m256i {
    // Low nibbles are elements 0–15, high nibbles 16–31.
    let v = _mm_loadu_si128(p.assumingMemoryBound(to: __m128i.self))
    return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(v, 4), v), _mm256_set1_epi8(0x0F))
}

struct Q8DotQ4_1: Q8DotBlock {
    static var blockBytes: Int { 20 }
    static var hasMin: Bool { true }
    @inline(__always) static func load(_ b: UnsafeRawPointer) -> (q: __m256i, d: Float, m: Float) {
        (nibbles32(b + 4), halfToFloat(loadU16(b, 0)), halfToFloat(loadU16(b, 2)))
    }
    @inline(__always) static func mul(_ q: __m256i, _ x: __m256i) -> __m256i { _mm256_maddubs_epi16(q, x) }
}

/// Q4_0 as unsigned nibbles with min −8·d: w = (q − 8)·d = q·d + (−8d).
struct Q8DotQ4_0: Q8DotBlock {
    static var blockBytes: Int { 18 }
    static var hasMin: Bool { true }
    @inline(__always) static func load(_ b: UnsafeRawPointer) -> (q: __m256i, d: Float, m: Float) {
        let d = halfToFloat(loadU16(b, 0))
        return (nibbles32(b + 2), d, -8 * d)
    }
    @inline(__always) static func mul(_ q: __m256i, _ x: __m256i) -> __m256i { _mm256_maddubs_epi16(q, x) }
}

/// Signed × signed via |q| and x with q's sign (vpmaddubsw needs one unsigned operand).
struct Q8DotQ8_0: Q8DotBlock {
    static var blockBytes: Int { 34 }
    static var hasMin: Bool { false }
    @inline(__always) static func load(_ b: UnsafeRawPointer) -> (q: __m256i, d: Float, m: Float) {
        (_mm256_loadu_si256((b + 2).assumingMemoryBound(to: __m256i.self)), halfToFloat(loadU16(b, 0)), 0)
    }
    @inline(__always) static func mul(_ q: __m256i, _ x: __m256i) -> __m256i {
        _mm256_maddubs_epi16(_mm256_sign_epi8(q, q), _mm256_sign_epi8(x, q))
    }
}

extension QuantType {
    /// Whether `q8MatVecRows` has an integer kernel for this weight type.
    public var hasQ8Kernel: Bool { self == .q4_0 || self == .q4_1 || self == .q8_0 }
}

/// Rows `rowStart..<rowEnd` of Y = X·Wᵀ for the `nVec` quantized activation rows of `x`, starting at
/// row `xRow` (Y is nVec×ldy). Only for types with `hasQ8Kernel`.
public func q8MatVecRows(_ type: QuantType, w: UnsafeRawPointer, rowBytes: Int, rowStart: Int, rowEnd: Int,
                         x: Q8Rows, xRow: Int = 0, nVec: Int,
                         y: UnsafeMutablePointer<Float>, ldy: Int, accumulate: Bool) {
    let nb = x.blocksPerRow
    let xq = UnsafePointer(x.qs + xRow * x.cols), xd = UnsafePointer(x.d + xRow * nb), xs = UnsafePointer(x.s + xRow * nb)
    switch type {
    case .q4_1:
        q8Rows(Q8DotQ4_1.self, w: w, rowBytes: rowBytes, nb: nb, rs: rowStart, re: rowEnd, xq: xq, xd: xd, xs: xs,
               nVec: nVec, y: y, ldy: ldy, accumulate: accumulate)
    case .q4_0:
        q8Rows(Q8DotQ4_0.self, w: w, rowBytes: rowBytes, nb: nb, rs: rowStart, re: rowEnd, xq: xq, xd: xd, xs: xs,
               nVec: nVec, y: y, ldy: ldy, accumulate: accumulate)
    case .q8_0:
        q8Rows(Q8DotQ8_0.self, w: w, rowBytes: rowBytes, nb: nb, rs: rowStart, re: rowEnd, xq: xq, xd: xd, xs: xs,
               nVec: nVec, y: y, ldy: ldy, accumulate: accumulate)
    default:
        preconditionFailure("q8MatVecRows: no integer kernel for \(type)")
    }
}

/// LLVM's prefetch intrinsic (the C `_mm_prefetch` is a macro Swift cannot import): read, keep in all
/// cache levels, data. Rows walked in lock step defeat the hardware stream prefetcher, so the
/// kernels prefetch the rows they will read next.
@_silgen_name("llvm.prefetch.p0")
func llvmPrefetch(_ p: UnsafeRawPointer, _ rw: Int32, _ locality: Int32, _ cacheType: Int32)

@inline(__always) func prefetch(_ p: UnsafeRawPointer) { llvmPrefetch(p, 0, 3, 1) }

@inline(__always) func loadQ(_ p: UnsafePointer<Int8>) -> __m256i {
    _mm256_loadu_si256(UnsafeRawPointer(p).assumingMemoryBound(to: __m256i.self))
}

@inline(__always) func store(_ y: UnsafeMutablePointer<Float>, _ v: Float, _ accumulate: Bool) {
    y.pointee = accumulate ? y.pointee + v : v
}

@inline(__always) func q8Rows<B: Q8DotBlock>(_: B.Type, w: UnsafeRawPointer, rowBytes: Int, nb: Int, rs: Int, re: Int,
                                             xq: UnsafePointer<Int8>, xd: UnsafePointer<Float>, xs: UnsafePointer<Float>,
                                             nVec: Int, y: UnsafeMutablePointer<Float>, ldy: Int, accumulate: Bool) {
    // Every path does the same operations in the same order for each (row, activation row) — fused
    // multiply-adds over the blocks in order — so a row's result does not depend on how many others
    // are computed with it (batched generation equals one-by-one, bit for bit).
    let ones = _mm256_set1_epi16(1)
    let cols = nb * 32
    if nVec == 1 {
        // Decode: four rows at a time share each activation block load and give four independent
        // FMA chains.
        var r = rs
        let ahead = 8 * rowBytes
        if QuantKernelTuning.q8RowsPerStep >= 4 {
            while r + 4 <= re {
                let w0 = w + r * rowBytes, w1 = w0 + rowBytes, w2 = w1 + rowBytes, w3 = w2 + rowBytes
                var a0 = F8(), a1 = F8(), a2 = F8(), a3 = F8()
                var m = SIMD4<Float>()
                for b in 0..<nb {
                    let xv = loadQ(xq + b * 32), dx = xd[b]
                    let o = b * B.blockBytes
                    prefetch(w0 + o + ahead); prefetch(w1 + o + ahead); prefetch(w2 + o + ahead); prefetch(w3 + o + ahead)
                    let (q0, d0, mm0) = B.load(w0 + o)
                    let (q1, d1, mm1) = B.load(w1 + o)
                    let (q2, d2, mm2) = B.load(w2 + o)
                    let (q3, d3, mm3) = B.load(w3 + o)
                    a0 = a0.addingProduct(_mm256_cvtepi32_ps(_mm256_madd_epi16(B.mul(q0, xv), ones)), F8(repeating: d0 * dx))
                    a1 = a1.addingProduct(_mm256_cvtepi32_ps(_mm256_madd_epi16(B.mul(q1, xv), ones)), F8(repeating: d1 * dx))
                    a2 = a2.addingProduct(_mm256_cvtepi32_ps(_mm256_madd_epi16(B.mul(q2, xv), ones)), F8(repeating: d2 * dx))
                    a3 = a3.addingProduct(_mm256_cvtepi32_ps(_mm256_madd_epi16(B.mul(q3, xv), ones)), F8(repeating: d3 * dx))
                    if B.hasMin { m = m.addingProduct(SIMD4(mm0, mm1, mm2, mm3), SIMD4(repeating: xs[b])) }
                }
                store(y + r, a0.sum() + m[0], accumulate)
                store(y + r + 1, a1.sum() + m[1], accumulate)
                store(y + r + 2, a2.sum() + m[2], accumulate)
                store(y + r + 3, a3.sum() + m[3], accumulate)
                r += 4
            }
        }
        if QuantKernelTuning.q8RowsPerStep >= 2 {
        while r + 2 <= re {
            let w0 = w + r * rowBytes, w1 = w0 + rowBytes
            var a0 = F8(), a1 = F8()
            var m0: Float = 0, m1: Float = 0
            for b in 0..<nb {
                let xv = loadQ(xq + b * 32), dx = xd[b]
                let (q0, d0, mm0) = B.load(w0 + b * B.blockBytes)
                let (q1, d1, mm1) = B.load(w1 + b * B.blockBytes)
                let p0 = _mm256_cvtepi32_ps(_mm256_madd_epi16(B.mul(q0, xv), ones))
                let p1 = _mm256_cvtepi32_ps(_mm256_madd_epi16(B.mul(q1, xv), ones))
                a0 = a0.addingProduct(p0, F8(repeating: d0 * dx))
                a1 = a1.addingProduct(p1, F8(repeating: d1 * dx))
                if B.hasMin { m0 = m0.addingProduct(mm0, xs[b]); m1 = m1.addingProduct(mm1, xs[b]) }
            }
            store(y + r, a0.sum() + m0, accumulate)
            store(y + r + 1, a1.sum() + m1, accumulate)
            r += 2
        }
        }
        while r < re {
            let w0 = w + r * rowBytes
            var a0 = F8()
            var m0: Float = 0
            for b in 0..<nb {
                let (q0, d0, mm0) = B.load(w0 + b * B.blockBytes)
                let p0 = _mm256_cvtepi32_ps(_mm256_madd_epi16(B.mul(q0, loadQ(xq + b * 32)), ones))
                a0 = a0.addingProduct(p0, F8(repeating: d0 * xd[b]))
                if B.hasMin { m0 = m0.addingProduct(mm0, xs[b]) }
            }
            store(y + r, a0.sum() + m0, accumulate)
            r += 1
        }
        return
    }
    // Several activation rows: walk the weights in row tiles that stay in L1 while every group of
    // four activation rows reads them; each block is loaded once per group.
    let tile = max(4, 12 * 1024 / max(1, rowBytes))
    var t0 = rs
    while t0 < re {
        let t1 = min(re, t0 + tile)
        var v = 0
        while v < nVec {
            let g = min(4, nVec - v)
            let q0p = xq + v * cols, d0p = xd + v * nb, s0p = xs + v * nb
            if g == 4 {
                let q1p = q0p + cols, q2p = q1p + cols, q3p = q2p + cols
                let d1p = d0p + nb, d2p = d1p + nb, d3p = d2p + nb
                let s1p = s0p + nb, s2p = s1p + nb, s3p = s2p + nb
                // The first group pulls the next tile into cache for the others.
                let ahead = v == 0 ? tile * rowBytes : 0
                for r in t0..<t1 {
                    let row = w + r * rowBytes
                    var a0 = F8(), a1 = F8(), a2 = F8(), a3 = F8()
                    var m = SIMD4<Float>()
                    for b in 0..<nb {
                        prefetch(row + b * B.blockBytes + ahead)
                        let (q, d, mm) = B.load(row + b * B.blockBytes)
                        let o = b * 32
                        a0 = a0.addingProduct(_mm256_cvtepi32_ps(_mm256_madd_epi16(B.mul(q, loadQ(q0p + o)), ones)), F8(repeating: d * d0p[b]))
                        a1 = a1.addingProduct(_mm256_cvtepi32_ps(_mm256_madd_epi16(B.mul(q, loadQ(q1p + o)), ones)), F8(repeating: d * d1p[b]))
                        a2 = a2.addingProduct(_mm256_cvtepi32_ps(_mm256_madd_epi16(B.mul(q, loadQ(q2p + o)), ones)), F8(repeating: d * d2p[b]))
                        a3 = a3.addingProduct(_mm256_cvtepi32_ps(_mm256_madd_epi16(B.mul(q, loadQ(q3p + o)), ones)), F8(repeating: d * d3p[b]))
                        if B.hasMin { m = m.addingProduct(SIMD4(repeating: mm), SIMD4(s0p[b], s1p[b], s2p[b], s3p[b])) }
                    }
                    let yr = y + v * ldy + r
                    store(yr, a0.sum() + m[0], accumulate)
                    store(yr + ldy, a1.sum() + m[1], accumulate)
                    store(yr + 2 * ldy, a2.sum() + m[2], accumulate)
                    store(yr + 3 * ldy, a3.sum() + m[3], accumulate)
                }
            } else {
                for u in 0..<g {
                    let qp = q0p + u * cols, dp = d0p + u * nb, sp = s0p + u * nb
                    for r in t0..<t1 {
                        let row = w + r * rowBytes
                        var a = F8()
                        var m: Float = 0
                        for b in 0..<nb {
                            let (q, d, mm) = B.load(row + b * B.blockBytes)
                            a = a.addingProduct(_mm256_cvtepi32_ps(_mm256_madd_epi16(B.mul(q, loadQ(qp + b * 32)), ones)), F8(repeating: d * dp[b]))
                            if B.hasMin { m = m.addingProduct(mm, sp[b]) }
                        }
                        store(y + (v + u) * ldy + r, a.sum() + m, accumulate)
                    }
                }
            }
            v += g
        }
        t0 = t1
    }
}
