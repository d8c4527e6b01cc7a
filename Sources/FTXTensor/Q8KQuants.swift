import _Builtin_intrinsics.intel

// K-quant weight blocks for the integer kernel `q8MatVecK`. A 256-element block is eight sub-blocks
// of 32 against one 256-element block of Q8Rows' `superBlocks` layout (one activation scale d_x, as
// llama.cpp's Q8_K). The block's dot Σ_j sc_j·(q_j·x_j) is one integer (|Σ| ≤ 8·32·32·128·127 < 2³¹)
// and enters f32 once, times d·d_x (past 2²⁴ the conversion rounds, the same way whatever the batch).
//
// The block's quants and activations are both held in the interleaved order of `superBlockSlot`:
// eight registers, the first four holding sub-blocks 0, 2, 4, 6 and the last four 1, 3, 5, 7, with
// each 16-bit lane always from the same sub-block. So vpmaddubsw's pair sums of four registers add up
// in 16 bits lane by lane (at most 4·2·31·127 < 2¹⁵), and one vpmaddwd per four registers applies the
// sub-block scales: 10 multiplies per block and row pair instead of 16. Q6_K multiplies its quants
// unsigned (q + 32 ≤ 63, so one vpmaddubsw each instead of two sign steps and one), adds pair sums of
// two registers (2·2·63·127 < 2¹⁵) and subtracts 32·Σ sc·(Σ x per 16) with one more vpmaddwd against
// the activations' group sums: the same integer as the signed product. Layouts as in Dequantize.swift.

/// The 4×4 transpose of 16-bit units within each 128-bit half: out_m's lane p (of eight per half) is
/// unit 2m + p/4 of the half of r_(p mod 4). `superBlockSlot`'s order, made from natural registers.
@inline(__always) func transpose16x4(_ r0: __m256i, _ r1: __m256i, _ r2: __m256i, _ r3: __m256i)
    -> (__m256i, __m256i, __m256i, __m256i) {
    let a = _mm256_unpacklo_epi16(r0, r1), b = _mm256_unpackhi_epi16(r0, r1)
    let c = _mm256_unpacklo_epi16(r2, r3), d = _mm256_unpackhi_epi16(r2, r3)
    return (_mm256_unpacklo_epi32(a, c), _mm256_unpackhi_epi32(a, c), _mm256_unpacklo_epi32(b, d), _mm256_unpackhi_epi32(b, d))
}

/// A block's 256 quants (or activations) in `superBlockSlot`'s order, as eight registers.
struct KBlock {
    var r0, r1, r2, r3, r4, r5, r6, r7: __m256i
    /// From the eight sub-blocks in natural order (n_j = sub-block j's 32 values).
    @inline(__always) init(natural n: (__m256i, __m256i, __m256i, __m256i, __m256i, __m256i, __m256i, __m256i)) {
        (r0, r1, r2, r3) = transpose16x4(n.0, n.2, n.4, n.6)
        (r4, r5, r6, r7) = transpose16x4(n.1, n.3, n.5, n.7)
    }
    /// From four registers that hold sub-block 2g in their low nibbles and 2g + 1 in their high ones
    /// (Q4_K's qs): transposing the bytes before splitting the nibbles takes half the shuffles.
    @inline(__always) init(nibblePairs p0: __m256i, _ p1: __m256i, _ p2: __m256i, _ p3: __m256i) {
        let (t0, t1, t2, t3) = transpose16x4(p0, p1, p2, p3), m = _mm256_set1_epi8(0x0F)
        r0 = _mm256_and_si256(t0, m); r1 = _mm256_and_si256(t1, m); r2 = _mm256_and_si256(t2, m); r3 = _mm256_and_si256(t3, m)
        r4 = _mm256_and_si256(_mm256_srli_epi16(t0, 4), m); r5 = _mm256_and_si256(_mm256_srli_epi16(t1, 4), m)
        r6 = _mm256_and_si256(_mm256_srli_epi16(t2, 4), m); r7 = _mm256_and_si256(_mm256_srli_epi16(t3, 4), m)
    }
    /// From the eight natural sub-blocks held as registers (r_j = sub-block j).
    @inline(__always) init(natural n: KBlock) {
        self.init(natural: (n.r0, n.r1, n.r2, n.r3, n.r4, n.r5, n.r6, n.r7))
    }
    /// The 256 bytes at p as they lie: eight registers of 32, no reordering.
    @inline(__always) init(unordered p: UnsafePointer<Int8>) {
        (r0, r1, r2, r3) = (loadQ(p), loadQ(p + 32), loadQ(p + 64), loadQ(p + 96))
        (r4, r5, r6, r7) = (loadQ(p + 128), loadQ(p + 160), loadQ(p + 192), loadQ(p + 224))
    }
    @inline(__always) func store(_ p: UnsafeMutablePointer<Int8>) {
        @inline(__always) func put(_ k: Int, _ r: __m256i) {
            _mm256_storeu_si256(UnsafeMutableRawPointer(p + 32 * k).assumingMemoryBound(to: __m256i.self), r)
        }
        put(0, r0); put(1, r1); put(2, r2); put(3, r3); put(4, r4); put(5, r5); put(6, r6); put(7, r7)
    }
}

/// Where natural element n (0..<256) of a block sits in the `superBlocks` order: sub-block j = 2g + s,
/// element i = 2u + e (16-bit unit u = 8h + 2m + q) goes to register 4s + m, half h, lane g + 4q, byte e.
public func superBlockSlot(_ n: Int) -> Int {
    let j = n / 32, i = n % 32, s = j % 2, g = j / 2, u = i / 2, e = i % 2
    let h = u / 8, m = (u % 8) / 2, q = u % 2
    return 32 * (4 * s + m) + 16 * h + 2 * (g + 4 * q) + e
}

/// Q4_K/Q5_K scales: integer scales sc_j and mins mc_j (each as 16-bit lanes, in both 128-bit
/// halves), d and −dmin: w = d·sc_j·q − dmin·mc_j.
struct KScales {
    var sc: __m256i
    var mc: __m256i
    var d: Float, negDmin: Float
}

/// The eight 6-bit scales and mins packed in 12 bytes at p (Dequantize.swift's scaleMinK4, for all
/// eight at once): bytes 0–3 hold sc 0–3 (low 6 bits) and the top bits of sc 4–7, bytes 4–7 the same
/// for the mins, bytes 8–11 the low nibbles of sc 4–7 and (high nibbles) of mins 4–7.
@inline(__always) func kScales(_ b: UnsafeRawPointer) -> KScales {
    let u0 = b.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
    let u1 = b.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
    let u2 = b.loadUnaligned(fromByteOffset: 12, as: UInt32.self)
    let sc = UInt64(u0 & 0x3f3f_3f3f) | UInt64((u2 & 0x0f0f_0f0f) | ((u0 >> 6) & 0x0303_0303) << 4) << 32
    let mn = UInt64(u1 & 0x3f3f_3f3f) | UInt64(((u2 >> 4) & 0x0f0f_0f0f) | ((u1 >> 6) & 0x0303_0303) << 4) << 32
    let sc16 = _mm_cvtepu8_epi16(_mm_cvtsi64_si128(Int64(bitPattern: sc)))
    let mc16 = _mm_cvtepu8_epi16(_mm_cvtsi64_si128(Int64(bitPattern: mn)))
    return KScales(sc: _mm256_set_m128i(sc16, sc16), mc: _mm256_set_m128i(mc16, mc16),
                   d: halfToFloat(loadU16(b, 0)), negDmin: -halfToFloat(loadU16(b, 2)))
}

/// Nibble (j & 1) of the 32 bytes at p.
@inline(__always) func nibblesOf(_ p: UnsafeRawPointer, _ j: Int) -> __m256i {
    let v = _mm256_loadu_si256(p.assumingMemoryBound(to: __m256i.self))
    return _mm256_and_si256(_mm256_srl_epi16(v, _mm_cvtsi32_si128(Int32(4 * (j & 1)))), _mm256_set1_epi8(0x0F))
}


/// A K-quant block type with an integer kernel: eight sub-blocks of 32 under one d (and dmin).
protocol Q8DotKQuant {
    /// A block's scales, decoded once for all its sub-blocks.
    associatedtype Scales
    static var blockBytes: Int { get }
    static var hasMin: Bool { get }
    static func scales(_ b: UnsafeRawPointer) -> Scales
    /// The block's quants in `superBlockSlot`'s order, as the first operands of `mul`.
    static func quants(_ b: UnsafeRawPointer) -> KBlock
    /// Sixteen 16-bit sums of adjacent products q·x.
    static func mul(_ q: __m256i, _ x: __m256i) -> __m256i
    /// Whether four registers' `mul` sums add in 16 bits (else two).
    static var quadSums: Bool { get }
    /// Whether `quants` are offset by 32 (Q6_K): the dot then subtracts the activations' group sums
    /// (`Q8Rows.kgs`) times `bias`, 32·sc per 16 values in `groupSumSlot`'s order.
    static var hasBias: Bool { get }
    static func bias(_ s: Scales) -> __m256i
    /// The integer scales as 16-bit factors of the summed pair sums of registers 0–3 (sub-blocks
    /// 0, 2, 4, 6 by lane) and of registers 4–7 (1, 3, 5, 7).
    static func factors(_ s: Scales) -> (even: __m256i, odd: __m256i)
    /// The f32 scale d of the block's integer dot.
    static func d(_ s: Scales) -> Float
    /// −dmin: w = d·sc_j·q − dmin·mc_j.
    static func m(_ s: Scales) -> Float
    /// The eight integer mins mc_j as 16-bit lanes, in both 128-bit halves.
    static func minCounts(_ s: Scales) -> __m256i
}

/// One block's integer dot against activations at x (`superBlocks` order) and their group sums at g:
/// eight 32-bit partial sums.
@inline(__always) func kBlockDot<B: Q8DotKQuant>(_: B.Type, _ q: KBlock, _ f: (even: __m256i, odd: __m256i), _ bias: __m256i,
                                                 _ x: UnsafePointer<Int8>, _ g: UnsafePointer<Int16>) -> __m256i {
    let m0 = B.mul(q.r0, loadQ(x)), m1 = B.mul(q.r1, loadQ(x + 32)), m2 = B.mul(q.r2, loadQ(x + 64)), m3 = B.mul(q.r3, loadQ(x + 96))
    let m4 = B.mul(q.r4, loadQ(x + 128)), m5 = B.mul(q.r5, loadQ(x + 160)), m6 = B.mul(q.r6, loadQ(x + 192)), m7 = B.mul(q.r7, loadQ(x + 224))
    let dot: __m256i
    if B.quadSums {
        let e = _mm256_add_epi16(_mm256_add_epi16(m0, m1), _mm256_add_epi16(m2, m3))
        let o = _mm256_add_epi16(_mm256_add_epi16(m4, m5), _mm256_add_epi16(m6, m7))
        dot = _mm256_add_epi32(_mm256_madd_epi16(e, f.even), _mm256_madd_epi16(o, f.odd))
    } else {
        let e = _mm256_add_epi32(_mm256_madd_epi16(_mm256_add_epi16(m0, m1), f.even), _mm256_madd_epi16(_mm256_add_epi16(m2, m3), f.even))
        let o = _mm256_add_epi32(_mm256_madd_epi16(_mm256_add_epi16(m4, m5), f.odd), _mm256_madd_epi16(_mm256_add_epi16(m6, m7), f.odd))
        dot = _mm256_add_epi32(e, o)
    }
    guard B.hasBias else { return dot }
    return _mm256_sub_epi32(dot, _mm256_madd_epi16(_mm256_loadu_si256(UnsafeRawPointer(g).assumingMemoryBound(to: __m256i.self)), bias))
}

/// The min term's integer Σ_j mc_j·Σq_j for eight (weight row, activation row) pairs at once: a_k
/// holds pair k's eight 16-bit factors in its low half and pair k + 4's in its high half, b the other
/// factors of every pair (in both halves). Lane p of the result is pair p's sum, exact in 32 bits
/// (|Σ| ≤ 8·63·32·128 < 2³¹): four vpmaddwd and three vphaddd, where the float terms were eight
/// multiplies and seven adds per eight pairs.
@inline(__always) func pairDots8(_ a0: __m256i, _ a1: __m256i, _ a2: __m256i, _ a3: __m256i, _ b: __m256i) -> __m256i {
    let h01 = _mm256_hadd_epi32(_mm256_madd_epi16(a0, b), _mm256_madd_epi16(a1, b))
    let h23 = _mm256_hadd_epi32(_mm256_madd_epi16(a2, b), _mm256_madd_epi16(a3, b))
    return _mm256_hadd_epi32(h01, h23)
}

/// A block's eight sub-block sums Σq_j (16-bit) from its sixteen group sums in `groupSumSlot`'s
/// order (the first halves of sub-blocks 0–7, then their second halves).
@inline(__always) func subBlockSums(_ g: UnsafePointer<Int16>) -> __m128i {
    @inline(__always) func half(_ p: UnsafePointer<Int16>) -> __m128i { _mm_loadu_si128(UnsafeRawPointer(p).assumingMemoryBound(to: __m128i.self)) }
    return _mm_add_epi16(half(g), half(g + 8))
}

/// Q4_K and Q5_K: 6-bit scales and mins.
protocol Q8DotKQuantWithMins: Q8DotKQuant where Scales == KScales {}
extension Q8DotKQuantWithMins {
    static var hasMin: Bool { true }
    @inline(__always) static func scales(_ b: UnsafeRawPointer) -> KScales { kScales(b) }
    @inline(__always) static func mul(_ q: __m256i, _ x: __m256i) -> __m256i { _mm256_maddubs_epi16(q, x) }
    static var quadSums: Bool { true }
    static var hasBias: Bool { false }
    @inline(__always) static func bias(_ s: KScales) -> __m256i { _mm256_setzero_si256() }
    /// Lane g + 4q of each half: sc_(2g) (even) or sc_(2g+1) (odd).
    @inline(__always) static func factors(_ s: KScales) -> (even: __m256i, odd: __m256i) {
        let even = _mm256_set1_epi64x(0x0D0C_0908_0504_0100), odd = _mm256_set1_epi64x(0x0F0E_0B0A_0706_0302)
        return (_mm256_shuffle_epi8(s.sc, even), _mm256_shuffle_epi8(s.sc, odd))
    }
    @inline(__always) static func d(_ s: KScales) -> Float { s.d }
    @inline(__always) static func m(_ s: KScales) -> Float { s.negDmin }
    @inline(__always) static func minCounts(_ s: KScales) -> __m256i { s.mc }
}

@inline(__always) func load32(_ p: UnsafeRawPointer) -> __m256i { _mm256_loadu_si256(p.assumingMemoryBound(to: __m256i.self)) }

/// Q4_K (d, dmin, scales[12], qs[128]): sub-block j is nibble j & 1 of qs[32·(j/2) ..< +32].
struct Q8DotQ4_K: Q8DotKQuantWithMins {
    static var blockBytes: Int { 144 }
    @inline(__always) static func quants(_ b: UnsafeRawPointer) -> KBlock {
        KBlock(nibblePairs: load32(b + 16), load32(b + 48), load32(b + 80), load32(b + 112))
    }
}

/// Q5_K (d, dmin, scales[12], qh[32], qs[128]): Q4_K's nibbles plus bit j of qh[l] as the fifth bit.
struct Q8DotQ5_K: Q8DotKQuantWithMins {
    static var blockBytes: Int { 176 }
    @inline(__always) static func quants(_ b: UnsafeRawPointer) -> KBlock {
        let qh = load32(b + 16), one = _mm256_set1_epi8(1)
        @inline(__always) func sub(_ j: Int) -> __m256i {
            // Within 16-bit lanes, shifting right by j < 8 brings bit j of each byte to its bit 0.
            let bit = _mm256_and_si256(_mm256_srl_epi16(qh, _mm_cvtsi32_si128(Int32(j))), one)
            return _mm256_or_si256(nibblesOf(b + 48 + 32 * (j >> 1), j), _mm256_slli_epi16(bit, 4))
        }
        return KBlock(natural: (sub(0), sub(1), sub(2), sub(3), sub(4), sub(5), sub(6), sub(7)))
    }
}

/// Q6_K (ql[128], qh[64], scales[16] int8, d): element 128h + 32k + l (sub-block j = 4h + k) is
/// nibble k/2 of ql[64h + 32(k & 1) + l] plus bits 2k, 2k+1 of qh[32h + l] as bits 4–5, minus 32
/// (`quants` leaves the 32 to `bias`); its first 16 elements have scale sc[8h + 2k], the next 16
/// sc[8h + 2k + 1], so natural group g of 16 has sc[g]. No min.
struct Q8DotQ6_K: Q8DotKQuant {
    /// The sixteen int8 scales, and d.
    struct Scales { var sc: __m128i, d: Float }
    static var blockBytes: Int { 210 }
    static var hasMin: Bool { false }
    @inline(__always) static func scales(_ b: UnsafeRawPointer) -> Scales {
        Scales(sc: _mm_loadu_si128((b + 192).assumingMemoryBound(to: __m128i.self)), d: halfToFloat(loadU16(b, 208)))
    }
    @inline(__always) static func quants(_ b: UnsafeRawPointer) -> KBlock {
        @inline(__always) func sub(_ j: Int) -> __m256i {
            let h = j >> 2, k = j & 3
            let low = nibblesOf(b + 64 * h + 32 * (k & 1), k >> 1)
            let qh = load32(b + 128 + 32 * h)
            let high = _mm256_and_si256(_mm256_srl_epi16(qh, _mm_cvtsi32_si128(Int32(2 * k))), _mm256_set1_epi8(3))
            return _mm256_or_si256(low, _mm256_slli_epi16(high, 4))
        }
        return KBlock(natural: (sub(0), sub(1), sub(2), sub(3), sub(4), sub(5), sub(6), sub(7)))
    }
    /// Unsigned quants q + 32 (≤ 63) against signed activations.
    @inline(__always) static func mul(_ q: __m256i, _ x: __m256i) -> __m256i { _mm256_maddubs_epi16(q, x) }
    static var quadSums: Bool { false }
    static var hasBias: Bool { true }
    /// 32·sc[g] in `groupSumSlot`'s order (even groups, then odd).
    @inline(__always) static func bias(_ s: Scales) -> __m256i {
        let order = _mm_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15)
        return _mm256_slli_epi16(_mm256_cvtepi8_epi16(_mm_shuffle_epi8(s.sc, order)), 5)
    }
    /// Half h (elements 16h..<16h+16 of each sub-block), lane g + 4q: sc[2·(2g + s) + h].
    @inline(__always) static func factors(_ s: Scales) -> (even: __m256i, odd: __m256i) {
        let even = _mm_setr_epi8(0, 4, 8, 12, 0, 4, 8, 12, 1, 5, 9, 13, 1, 5, 9, 13)
        let odd = _mm_setr_epi8(2, 6, 10, 14, 2, 6, 10, 14, 3, 7, 11, 15, 3, 7, 11, 15)
        return (_mm256_cvtepi8_epi16(_mm_shuffle_epi8(s.sc, even)), _mm256_cvtepi8_epi16(_mm_shuffle_epi8(s.sc, odd)))
    }
    @inline(__always) static func d(_ s: Scales) -> Float { s.d }
    @inline(__always) static func m(_ s: Scales) -> Float { 0 }
    @inline(__always) static func minCounts(_ s: Scales) -> __m256i { _mm256_setzero_si256() }
}
