import _Builtin_intrinsics.intel

// Integer dot products of quantized weight blocks with 8-bit activation rows (Q8Rows), as llama.cpp
// computes them on AVX2: vpmaddubsw multiplies unsigned weight bytes by signed activation bytes into
// 16-bit pair sums (no overflow: 2·31·127 and 2·128·127 < 2¹⁵), vpmaddwd widens them to 32 bits
// (times the sub-block's integer scales for K-quants, see Q8KQuants.swift).
// Here the 32-element block types: each block's integer dot is exact; it enters an f32 accumulator
// once, times d_w·d_x, and the min term of w = q·d + m adds m·(d_x·Σq_x) from the activation's block
// sum. Error against f32 activations: each activation is rounded to 1/254 of its block's max |x|.
//
// Eight results are computed side by side, one per SIMD lane: eight weight rows against one
// activation row (decode), or one weight row against eight activation rows (batches). Both do the
// same operations per (weight row, activation row) — the exact integer dot of each block, then
// acc = fma(dot, d_w·d_x, acc) and macc = fma(m, s_x, macc) over the blocks in order, then acc + macc
// — so a result does not depend on how many rows are computed together: batched generation equals
// one-by-one generation bit for bit.

/// A 32-element weight block type with an integer kernel.
protocol Q8DotBlock {
    static var blockBytes: Int { get }
    static var hasMin: Bool { get }
    /// d and m: w = q·d + m.
    static func scales(_ b: UnsafeRawPointer) -> BlockDM
    /// The 32 quants as the first operand of `mul`.
    static func quants(_ b: UnsafeRawPointer) -> __m256i
    /// Sixteen 16-bit sums of adjacent products q·x.
    static func mul(_ q: __m256i, _ x: __m256i) -> __m256i
    /// Whether four of `mul`'s pair sums add up in 16 bits (unsigned quants below 32:
    /// 4·2·31·127 < 2¹⁵), so `blockDots` may add them before widening.
    static var narrowPairSums: Bool { get }
}

/// Scales of a 32-element block: w = q·d + m.
struct BlockDM { var d: Float, m: Float }

/// A weight block as the batched kernel reads it, decoded once per tile.
struct BlockDecoded { var q: __m256i, k: BlockDM }

@inline(__always) func nibbles32(_ p: UnsafeRawPointer) -> __m256i {
    // Low nibbles are elements 0–15, high nibbles 16–31.
    let v = _mm_loadu_si128(p.assumingMemoryBound(to: __m128i.self))
    return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(v, 4), v), _mm256_set1_epi8(0x0F))
}

struct Q8DotQ4_1: Q8DotBlock {
    static var narrowPairSums: Bool { true }
    static var blockBytes: Int { 20 }
    static var hasMin: Bool { true }
    @inline(__always) static func quants(_ b: UnsafeRawPointer) -> __m256i { nibbles32(b + 4) }
    @inline(__always) static func mul(_ q: __m256i, _ x: __m256i) -> __m256i { _mm256_maddubs_epi16(q, x) }
    @inline(__always) static func scales(_ b: UnsafeRawPointer) -> BlockDM {
        BlockDM(d: halfToFloat(loadU16(b, 0)), m: halfToFloat(loadU16(b, 2)))
    }
}

/// Q4_0 as unsigned nibbles with min −8·d: w = (q − 8)·d = q·d + (−8d) (−8d is exact).
struct Q8DotQ4_0: Q8DotBlock {
    static var narrowPairSums: Bool { true }
    static var blockBytes: Int { 18 }
    static var hasMin: Bool { true }
    @inline(__always) static func quants(_ b: UnsafeRawPointer) -> __m256i { nibbles32(b + 2) }
    @inline(__always) static func mul(_ q: __m256i, _ x: __m256i) -> __m256i { _mm256_maddubs_epi16(q, x) }
    @inline(__always) static func scales(_ b: UnsafeRawPointer) -> BlockDM {
        let d = halfToFloat(loadU16(b, 0))
        return BlockDM(d: d, m: -8 * d)
    }
}

/// 32 five-bit quants: the nibbles (as `nibbles32`) plus 16 where bit i of the block's 32-bit qh
/// is set (element i). Each qh byte is broadcast to eight lanes and tested against one bit each.
@inline(__always) func fiveBit32(_ qh: UnsafeRawPointer, _ qs: UnsafeRawPointer) -> __m256i {
    let bits = Int32(bitPattern: qh.loadUnaligned(as: UInt32.self))
    let spread = _mm256_shuffle_epi8(_mm256_set1_epi32(bits),
                                     _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202, 0x0101010101010101, 0))
    // Byte k of each 8-byte group has every bit but bit k: the OR is all ones iff bit k is set.
    let set = _mm256_cmpeq_epi8(_mm256_or_si256(spread, _mm256_set1_epi64x(0x7fbfdfeff7fbfdfe)), _mm256_set1_epi8(-1))
    return _mm256_or_si256(nibbles32(qs), _mm256_and_si256(set, _mm256_set1_epi8(0x10)))
}

/// Q5_0 as unsigned 5-bit quants with min −16·d: w = (q − 16)·d = q·d + (−16d) (−16d is exact).
/// vpmaddubsw's pair sums stay below 2¹⁵ (2·31·127).
struct Q8DotQ5_0: Q8DotBlock {
    static var narrowPairSums: Bool { true }
    static var blockBytes: Int { 22 }
    static var hasMin: Bool { true }
    @inline(__always) static func quants(_ b: UnsafeRawPointer) -> __m256i { fiveBit32(b + 2, b + 6) }
    @inline(__always) static func mul(_ q: __m256i, _ x: __m256i) -> __m256i { _mm256_maddubs_epi16(q, x) }
    @inline(__always) static func scales(_ b: UnsafeRawPointer) -> BlockDM {
        let d = halfToFloat(loadU16(b, 0))
        return BlockDM(d: d, m: -16 * d)
    }
}

struct Q8DotQ5_1: Q8DotBlock {
    static var narrowPairSums: Bool { true }
    static var blockBytes: Int { 24 }
    static var hasMin: Bool { true }
    @inline(__always) static func quants(_ b: UnsafeRawPointer) -> __m256i { fiveBit32(b + 4, b + 8) }
    @inline(__always) static func mul(_ q: __m256i, _ x: __m256i) -> __m256i { _mm256_maddubs_epi16(q, x) }
    @inline(__always) static func scales(_ b: UnsafeRawPointer) -> BlockDM {
        BlockDM(d: halfToFloat(loadU16(b, 0)), m: halfToFloat(loadU16(b, 2)))
    }
}

/// Signed × signed via |q| and x with q's sign (vpmaddubsw needs one unsigned operand).
@inline(__always) func signedMul(_ q: __m256i, _ x: __m256i) -> __m256i {
    _mm256_maddubs_epi16(_mm256_sign_epi8(q, q), _mm256_sign_epi8(x, q))
}

struct Q8DotQ8_0: Q8DotBlock {
    static var narrowPairSums: Bool { false }   // 2·128·127: one pair sum nearly fills 16 bits
    static var blockBytes: Int { 34 }
    static var hasMin: Bool { false }
    @inline(__always) static func quants(_ b: UnsafeRawPointer) -> __m256i {
        _mm256_loadu_si256((b + 2).assumingMemoryBound(to: __m256i.self))
    }
    @inline(__always) static func mul(_ q: __m256i, _ x: __m256i) -> __m256i { signedMul(q, x) }
    @inline(__always) static func scales(_ b: UnsafeRawPointer) -> BlockDM { BlockDM(d: halfToFloat(loadU16(b, 0)), m: 0) }
}

extension QuantType {
    /// Whether `q8MatVecRows` has an integer kernel for this weight type.
    public var hasQ8Kernel: Bool {
        switch self {
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q5_K, .q6_K: return true
        default: return false
        }
    }

    /// The activation layout its integer kernel reads: one scale per 256 values for K-quants.
    public var q8Layout: Q8Rows.Layouts { blockSize == 256 ? .superBlocks : .blocks }
}

/// Rows `rowStart..<rowEnd` of Y = X·Wᵀ for the `nVec` quantized activation rows of `x` (Y is
/// nVec×ldy; `w` points at weight row 0, rows `rowBytes` apart). Only for types with `hasQ8Kernel`.
public func q8MatVecRows(_ type: QuantType, w: UnsafeRawPointer, rowBytes: Int, rowStart: Int, rowEnd: Int,
                         x: Q8Rows, nVec: Int, y: UnsafeMutablePointer<Float>, ldy: Int, accumulate: Bool) {
    switch type {
    case .q4_1: q8MatVec(Q8DotQ4_1.self, w, rowBytes, rowStart, rowEnd, x, nVec, y, ldy, accumulate)
    case .q4_0: q8MatVec(Q8DotQ4_0.self, w, rowBytes, rowStart, rowEnd, x, nVec, y, ldy, accumulate)
    case .q5_0: q8MatVec(Q8DotQ5_0.self, w, rowBytes, rowStart, rowEnd, x, nVec, y, ldy, accumulate)
    case .q5_1: q8MatVec(Q8DotQ5_1.self, w, rowBytes, rowStart, rowEnd, x, nVec, y, ldy, accumulate)
    case .q8_0: q8MatVec(Q8DotQ8_0.self, w, rowBytes, rowStart, rowEnd, x, nVec, y, ldy, accumulate)
    case .q4_K: q8MatVecK(Q8DotQ4_K.self, w, rowBytes, rowStart, rowEnd, x, nVec, y, ldy, accumulate)
    case .q5_K: q8MatVecK(Q8DotQ5_K.self, w, rowBytes, rowStart, rowEnd, x, nVec, y, ldy, accumulate)
    case .q6_K: q8MatVecK(Q8DotQ6_K.self, w, rowBytes, rowStart, rowEnd, x, nVec, y, ldy, accumulate)
    default: preconditionFailure("q8MatVecRows: no integer kernel for \(type)")
    }
}

/// LLVM's prefetch intrinsic (C's `_mm_prefetch` is a macro Swift cannot import): read, keep in all
/// cache levels, data.
@_silgen_name("llvm.prefetch.p0")
func llvmPrefetch(_ p: UnsafeRawPointer, _ rw: Int32, _ locality: Int32, _ cacheType: Int32)
@inline(__always) func prefetch(_ p: UnsafeRawPointer) { llvmPrefetch(p, 0, 3, 1) }

@inline(__always) func loadQ(_ p: UnsafePointer<Int8>) -> __m256i {
    _mm256_loadu_si256(UnsafeRawPointer(p).assumingMemoryBound(to: __m256i.self))
}

/// Lane k = the sum of the eight 32-bit lanes of p_k (exact integer sums).
@inline(__always) func laneSums8(_ p0: __m256i, _ p1: __m256i, _ p2: __m256i, _ p3: __m256i,
                                 _ p4: __m256i, _ p5: __m256i, _ p6: __m256i, _ p7: __m256i) -> __m256i {
    // hadd works within 128-bit halves: u0 = [p0..p3 low-half sums | p0..p3 high-half sums].
    let u0 = _mm256_hadd_epi32(_mm256_hadd_epi32(p0, p1), _mm256_hadd_epi32(p2, p3))
    let u1 = _mm256_hadd_epi32(_mm256_hadd_epi32(p4, p5), _mm256_hadd_epi32(p6, p7))
    let swap = _mm256_setr_epi32(4, 5, 6, 7, 0, 1, 2, 3)
    let v0 = _mm256_add_epi32(u0, _mm256_permutevar8x32_epi32(u0, swap))   // [p0..p3 | p0..p3]
    let v1 = _mm256_add_epi32(u1, _mm256_permutevar8x32_epi32(u1, swap))   // [p4..p7 | p4..p7]
    return _mm256_blendv_epi8(v0, v1, _mm256_setr_epi32(0, 0, 0, 0, -1, -1, -1, -1))
}

/// Lane k = the sum of the sixteen 16-bit lanes of p_k (eight `mul` results), exactly, for the
/// batched kernel. Narrow pair sums take two rounds of vphaddw first, then one vpmaddwd per four rows
/// to widen, instead of a vpmaddwd per row: 10 multiplies per block of eight instead of 16, the same
/// integers. It pays in batches, where the multiplies are the bottleneck, not when decoding (measured
/// on `--kernels`: 512 rows of Q5_0 54–68 → 74 GMAC/s, one row 34 → 29), which keeps laneSums8.
@inline(__always) func blockDots<B: Q8DotBlock>(_: B.Type, _ p0: __m256i, _ p1: __m256i, _ p2: __m256i, _ p3: __m256i,
                                                _ p4: __m256i, _ p5: __m256i, _ p6: __m256i, _ p7: __m256i) -> __m256i {
    let ones = _mm256_set1_epi16(1)
    guard B.narrowPairSums else {
        return laneSums8(_mm256_madd_epi16(p0, ones), _mm256_madd_epi16(p1, ones), _mm256_madd_epi16(p2, ones), _mm256_madd_epi16(p3, ones),
                         _mm256_madd_epi16(p4, ones), _mm256_madd_epi16(p5, ones), _mm256_madd_epi16(p6, ones), _mm256_madd_epi16(p7, ones))
    }
    // Within each 128-bit half: [p0 p0 p1 p1 p2 p2 p3 p3], each a sum of four pair sums.
    let a = _mm256_hadd_epi16(_mm256_hadd_epi16(p0, p1), _mm256_hadd_epi16(p2, p3))
    let b = _mm256_hadd_epi16(_mm256_hadd_epi16(p4, p5), _mm256_hadd_epi16(p6, p7))
    let ma = _mm256_madd_epi16(a, ones), mb = _mm256_madd_epi16(b, ones)   // per half: p0..p3 | p4..p7
    // Elements 0–15 (low halves) plus 16–31 (high halves), as at the end of laneSums8.
    let swap = _mm256_setr_epi32(4, 5, 6, 7, 0, 1, 2, 3)
    let va = _mm256_add_epi32(ma, _mm256_permutevar8x32_epi32(ma, swap)), vb = _mm256_add_epi32(mb, _mm256_permutevar8x32_epi32(mb, swap))
    return _mm256_blendv_epi8(va, vb, _mm256_setr_epi32(0, 0, 0, 0, -1, -1, -1, -1))
}

/// y[k·stride] (+)= v[k] for the first `count` lanes.
@inline(__always) func putLanes(_ v: F8, _ y: UnsafeMutablePointer<Float>, stride: Int, count: Int, accumulate: Bool) {
    if stride == 1 && count == 8 && !accumulate {
        UnsafeMutableRawPointer(y).storeBytes(of: v, as: F8.self)
        return
    }
    var k = 0
    while k < count {
        let p = y + k * stride
        p.pointee = accumulate ? p.pointee + v[k] : v[k]
        k += 1
    }
}

/// The batched kernels' outputs of one tile of weight rows for one group of activation rows:
/// stage[t] lane k is y[k·ldy + t]. Written (or added) eight weight rows at a time through an 8×8
/// transpose, one contiguous store per activation row, instead of a scalar store ldy apart per
/// weight row and lane; the sums are the same.
@inline(__always) func putTransposed(_ stage: UnsafePointer<F8>, rows: Int, count: Int, _ y: UnsafeMutablePointer<Float>,
                                     ldy: Int, accumulate: Bool) {
    var t = 0
    if count == 8 {
        while t + 8 <= rows {
            let c = transpose8x8(stage + t)
            @inline(__always) func put(_ k: Int, _ v: F8) {
                let p = UnsafeMutableRawPointer(y + k * ldy + t)
                p.storeBytes(of: accumulate ? p.loadUnaligned(as: F8.self) + v : v, as: F8.self)
            }
            put(0, c.0); put(1, c.1); put(2, c.2); put(3, c.3); put(4, c.4); put(5, c.5); put(6, c.6); put(7, c.7)
            t += 8
        }
    }
    while t < rows { putLanes(stage[t], y + t, stride: ldy, count: count, accumulate: accumulate); t += 1 }
}

/// Column k of the 8×8 matrix whose rows are m[0..<8], as the k-th vector.
@inline(__always) func transpose8x8(_ m: UnsafePointer<F8>) -> (F8, F8, F8, F8, F8, F8, F8, F8) {
    @inline(__always) func pd(_ v: F8) -> __m256d { _mm256_castps_pd(v) }
    @inline(__always) func ps(_ v: __m256d) -> F8 { _mm256_castpd_ps(v) }
    // Within 128-bit halves: t = pairs of rows interleaved, u = four rows' column j (and j + 4).
    let t0 = _mm256_unpacklo_ps(m[0], m[1]), t1 = _mm256_unpackhi_ps(m[0], m[1])
    let t2 = _mm256_unpacklo_ps(m[2], m[3]), t3 = _mm256_unpackhi_ps(m[2], m[3])
    let t4 = _mm256_unpacklo_ps(m[4], m[5]), t5 = _mm256_unpackhi_ps(m[4], m[5])
    let t6 = _mm256_unpacklo_ps(m[6], m[7]), t7 = _mm256_unpackhi_ps(m[6], m[7])
    let u0 = ps(_mm256_unpacklo_pd(pd(t0), pd(t2))), u1 = ps(_mm256_unpackhi_pd(pd(t0), pd(t2)))
    let u2 = ps(_mm256_unpacklo_pd(pd(t1), pd(t3))), u3 = ps(_mm256_unpackhi_pd(pd(t1), pd(t3)))
    let u4 = ps(_mm256_unpacklo_pd(pd(t4), pd(t6))), u5 = ps(_mm256_unpackhi_pd(pd(t4), pd(t6)))
    let u6 = ps(_mm256_unpacklo_pd(pd(t5), pd(t7))), u7 = ps(_mm256_unpackhi_pd(pd(t5), pd(t7)))
    // u0 = [rows 0–3 of column 0 | of column 4], u4 the same for rows 4–7; likewise columns 1/5 …
    @inline(__always) func low(_ a: F8, _ b: F8) -> F8 { F8(lowHalf: a.lowHalf, highHalf: b.lowHalf) }
    @inline(__always) func high(_ a: F8, _ b: F8) -> F8 { F8(lowHalf: a.highHalf, highHalf: b.highHalf) }
    return (low(u0, u4), low(u1, u5), low(u2, u6), low(u3, u7), high(u0, u4), high(u1, u5), high(u2, u6), high(u3, u7))
}

/// Rows first…first+7 of a row-major array, rows past `last` repeating it (lanes whose results are
/// not stored).
struct EightRows<P: Strideable> where P.Stride == Int {
    let p0, p1, p2, p3, p4, p5, p6, p7: P
    @inline(__always) init(_ base: P, first: Int, last: Int, stride: Int) {
        func row(_ k: Int) -> P { base.advanced(by: min(first + k, last) * stride) }
        p0 = row(0); p1 = row(1); p2 = row(2); p3 = row(3); p4 = row(4); p5 = row(5); p6 = row(6); p7 = row(7)
    }
}

/// Per-block values (scales or sums) of eight activation rows in lanes: out[g·n + b] lane k is
/// a[(8g + k)·n + b], rows past `vectors` repeating the last. The batched kernels' lane factors.
@inline(__always) func gatherLanes(_ a: UnsafePointer<Float>, perRow n: Int, vectors: Int, into out: UnsafeMutablePointer<F8>) {
    for g in 0..<(vectors + 7) / 8 {
        for b in 0..<n {
            var lanes = F8()
            for k in 0..<8 { lanes[k] = a[min(g * 8 + k, vectors - 1) * n + b] }
            out[g * n + b] = lanes
        }
    }
}

@inline(__always) func q8MatVec<B: Q8DotBlock>(_: B.Type, _ w: UnsafeRawPointer, _ rowBytes: Int, _ rs: Int, _ re: Int,
                                               _ x: Q8Rows, _ nVec: Int, _ y: UnsafeMutablePointer<Float>, _ ldy: Int, _ accumulate: Bool) {
    guard re > rs, nVec > 0 else { return }
    let nb = x.blocksPerRow, cols = x.cols, BB = B.blockBytes
    if nVec < 4 {
        // Lanes are eight weight rows; each activation row in turn.
        for v in 0..<nVec {
            let xq = UnsafePointer(x.qs + v * cols), xd = UnsafePointer(x.d + v * nb), xs = UnsafePointer(x.s + v * nb)
            var r = rs
            while r < re {
                let n = min(8, re - r)
                let wr = EightRows(w, first: r, last: re - 1, stride: rowBytes)
                // Rows walked in lock step defeat the hardware stream prefetcher: fetch the span of
                // rows after next while working on these.
                let ahead = wr.p0 + 16 * rowBytes
                var acc = F8(), macc = F8()
                for b in 0..<nb {
                    let o = b * BB
                    var pf = 0
                    while pf < 8 * BB { prefetch(ahead + 8 * o + pf); pf += 64 }
                    let k0 = B.scales(wr.p0 + o), k1 = B.scales(wr.p1 + o), k2 = B.scales(wr.p2 + o), k3 = B.scales(wr.p3 + o)
                    let k4 = B.scales(wr.p4 + o), k5 = B.scales(wr.p5 + o), k6 = B.scales(wr.p6 + o), k7 = B.scales(wr.p7 + o)
                    let xv = loadQ(xq + b * 32)
                    let ones = _mm256_set1_epi16(1)
                    let p0 = _mm256_madd_epi16(B.mul(B.quants(wr.p0 + o), xv), ones)
                    let p1 = _mm256_madd_epi16(B.mul(B.quants(wr.p1 + o), xv), ones)
                    let p2 = _mm256_madd_epi16(B.mul(B.quants(wr.p2 + o), xv), ones)
                    let p3 = _mm256_madd_epi16(B.mul(B.quants(wr.p3 + o), xv), ones)
                    let p4 = _mm256_madd_epi16(B.mul(B.quants(wr.p4 + o), xv), ones)
                    let p5 = _mm256_madd_epi16(B.mul(B.quants(wr.p5 + o), xv), ones)
                    let p6 = _mm256_madd_epi16(B.mul(B.quants(wr.p6 + o), xv), ones)
                    let p7 = _mm256_madd_epi16(B.mul(B.quants(wr.p7 + o), xv), ones)
                    let dots = laneSums8(p0, p1, p2, p3, p4, p5, p6, p7)
                    let d = F8(k0.d, k1.d, k2.d, k3.d, k4.d, k5.d, k6.d, k7.d)
                    acc = acc.addingProduct(_mm256_cvtepi32_ps(dots), d * F8(repeating: xd[b]))
                    if B.hasMin {
                        macc = macc.addingProduct(F8(k0.m, k1.m, k2.m, k3.m, k4.m, k5.m, k6.m, k7.m), F8(repeating: xs[b]))
                    }
                }
                putLanes(acc + macc, y + v * ldy + r, stride: 1, count: n, accumulate: accumulate)
                r += n
            }
        }
        return
    }
    // Lanes are eight activation rows; weight rows in tiles that stay in L1 while every group of
    // eight reads them.
    let groups = (nVec + 7) / 8
    // (Not withUnsafeTemporaryAllocation: inside its closure the AVX2 intrinsics stopped being inlined.)
    // Each tile of weight rows is decoded once (quants, d, m) and then read by every group of eight
    // activation rows, instead of decoded per group.
    let tile = max(8, 16 * 1024 / (nb * MemoryLayout<BlockDecoded>.stride))
    let dT = ThreadScratch.buffer(.matmul, 2 * groups * nb + tile, as: F8.self), sT = dT + groups * nb, stage = sT + groups * nb
    gatherLanes(x.d, perRow: nb, vectors: nVec, into: dT)
    gatherLanes(x.s, perRow: nb, vectors: nVec, into: sT)
    let dec = ThreadScratch.buffer(.tile, tile * nb, as: BlockDecoded.self)
    var t0 = rs
    while t0 < re {
        let t1 = min(re, t0 + tile)
        for r in t0..<t1 {
            let row = w + r * rowBytes, at = (r - t0) * nb
            var pf = 0
            while pf < rowBytes { prefetch(row + tile * rowBytes + pf); pf += 64 }
            for b in 0..<nb { dec[at + b] = BlockDecoded(q: B.quants(row + b * BB), k: B.scales(row + b * BB)) }
        }
        for g in 0..<groups {
            let v0 = g * 8, n = min(8, nVec - v0)
            let xr = EightRows(UnsafePointer(x.qs), first: v0, last: nVec - 1, stride: cols)
            let gd = dT + g * nb, gs = sT + g * nb
            for r in t0..<t1 {
                let rd = UnsafePointer(dec + (r - t0) * nb)
                var acc = F8(), macc = F8()
                for b in 0..<nb {
                    let xo = b * 32, q = rd[b].q, k = rd[b].k
                    let dots = blockDots(B.self, B.mul(q, loadQ(xr.p0 + xo)), B.mul(q, loadQ(xr.p1 + xo)),
                                         B.mul(q, loadQ(xr.p2 + xo)), B.mul(q, loadQ(xr.p3 + xo)),
                                         B.mul(q, loadQ(xr.p4 + xo)), B.mul(q, loadQ(xr.p5 + xo)),
                                         B.mul(q, loadQ(xr.p6 + xo)), B.mul(q, loadQ(xr.p7 + xo)))
                    acc = acc.addingProduct(_mm256_cvtepi32_ps(dots), F8(repeating: k.d) * gd[b])
                    if B.hasMin { macc = macc.addingProduct(F8(repeating: k.m), gs[b]) }
                }
                stage[r - t0] = acc + macc
            }
            putTransposed(stage, rows: t1 - t0, count: n, y + v0 * ldy + t0, ldy: ldy, accumulate: accumulate)
        }
        t0 = t1
    }
}
