import _Builtin_intrinsics.intel

// K-quant weight blocks for the integer kernel `q8MatVecK`. A 256-element block is eight sub-blocks
// of 32 against one 256-element block of Q8Rows' `superBlocks` layout (one activation scale d_x, as
// llama.cpp's Q8_K). The sub-block's integer scales multiply vpmaddubsw's 16-bit pair sums inside
// vpmaddwd, so the block's dot Σ_j sc_j·(q_j·x_j) is one integer (|Σ| ≤ 8·32·32·128·127 < 2³¹), and
// enters f32 once, times d·d_x (past 2²⁴ the conversion rounds, the same way whatever the batch).
// Layouts as in Dequantize.swift.

/// Q4_K/Q5_K scales: integer scales sc_j (as 16-bit lanes, in both 128-bit halves), mins mc_j,
/// d and −dmin: w = d·sc_j·q − dmin·mc_j.
struct KScales {
    var sc: __m256i
    var mins: F8
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
    let mins = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_cvtsi64_si128(Int64(bitPattern: mn))))
    return KScales(sc: _mm256_set_m128i(sc16, sc16), mins: mins,
                   d: halfToFloat(loadU16(b, 0)), negDmin: -halfToFloat(loadU16(b, 2)))
}

/// 16-bit lane L of both 128-bit halves, in every lane (a vpshufb control).
@inline(__always) func lane16(_ lo: Int, _ hi: Int) -> __m256i {
    _mm256_set_m128i(_mm_set1_epi16(Int16(0x0202 * hi + 0x0100)), _mm_set1_epi16(Int16(0x0202 * lo + 0x0100)))
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
    /// The 32 quants of sub-block j as the first operand of `mul`.
    static func quants(_ b: UnsafeRawPointer, _ j: Int) -> __m256i
    /// Sixteen 16-bit sums of adjacent products q·x.
    static func mul(_ q: __m256i, _ x: __m256i) -> __m256i
    /// Sub-block j's integer scales as sixteen 16-bit factors of `mul`'s pair sums.
    static func factors(_ s: Scales, _ j: Int) -> __m256i
    /// The f32 scale d of the block's integer dot.
    static func d(_ s: Scales) -> Float
    /// −dmin: w = d·sc_j·q − dmin·mc_j.
    static func m(_ s: Scales) -> Float
    /// The eight integer mins mc_j as floats.
    static func minCounts(_ s: Scales) -> F8
}

/// Q4_K and Q5_K: 6-bit scales and mins.
protocol Q8DotKQuantWithMins: Q8DotKQuant where Scales == KScales {}
extension Q8DotKQuantWithMins {
    static var hasMin: Bool { true }
    @inline(__always) static func scales(_ b: UnsafeRawPointer) -> KScales { kScales(b) }
    @inline(__always) static func mul(_ q: __m256i, _ x: __m256i) -> __m256i { _mm256_maddubs_epi16(q, x) }
    @inline(__always) static func factors(_ s: KScales, _ j: Int) -> __m256i { _mm256_shuffle_epi8(s.sc, lane16(j, j)) }
    @inline(__always) static func d(_ s: KScales) -> Float { s.d }
    @inline(__always) static func m(_ s: KScales) -> Float { s.negDmin }
    @inline(__always) static func minCounts(_ s: KScales) -> F8 { s.mins }
}

/// Q4_K (d, dmin, scales[12], qs[128]): sub-block j is nibble j & 1 of qs[32·(j/2) ..< +32].
struct Q8DotQ4_K: Q8DotKQuantWithMins {
    static var blockBytes: Int { 144 }
    @inline(__always) static func quants(_ b: UnsafeRawPointer, _ j: Int) -> __m256i { nibblesOf(b + 16 + 32 * (j >> 1), j) }
}

/// Q5_K (d, dmin, scales[12], qh[32], qs[128]): Q4_K's nibbles plus bit j of qh[l] as the fifth bit.
struct Q8DotQ5_K: Q8DotKQuantWithMins {
    static var blockBytes: Int { 176 }
    @inline(__always) static func quants(_ b: UnsafeRawPointer, _ j: Int) -> __m256i {
        let qh = _mm256_loadu_si256((b + 16).assumingMemoryBound(to: __m256i.self))
        // Within 16-bit lanes, shifting right by j < 8 brings bit j of each byte to its bit 0.
        let bit = _mm256_and_si256(_mm256_srl_epi16(qh, _mm_cvtsi32_si128(Int32(j))), _mm256_set1_epi8(1))
        return _mm256_or_si256(nibblesOf(b + 48 + 32 * (j >> 1), j), _mm256_slli_epi16(bit, 4))
    }
}

/// Q6_K (ql[128], qh[64], scales[16] int8, d): element 128h + 32k + l (sub-block j = 4h + k) is
/// nibble k/2 of ql[64h + 32(k & 1) + l] plus bits 2k, 2k+1 of qh[32h + l] as bits 4–5, minus 32;
/// its first 16 elements have scale sc[8h + 2k], the next 16 sc[8h + 2k + 1]. No min.
struct Q8DotQ6_K: Q8DotKQuant {
    /// The sixteen int8 scales as 16-bit lanes: sc 0–7 and sc 8–15, each in both 128-bit halves.
    struct Scales { var lo: __m256i, hi: __m256i, d: Float }
    static var blockBytes: Int { 210 }
    static var hasMin: Bool { false }
    @inline(__always) static func scales(_ b: UnsafeRawPointer) -> Scales {
        let lo = _mm_cvtepi8_epi16(_mm_cvtsi64_si128(b.loadUnaligned(fromByteOffset: 192, as: Int64.self)))
        let hi = _mm_cvtepi8_epi16(_mm_cvtsi64_si128(b.loadUnaligned(fromByteOffset: 200, as: Int64.self)))
        return Scales(lo: _mm256_set_m128i(lo, lo), hi: _mm256_set_m128i(hi, hi), d: halfToFloat(loadU16(b, 208)))
    }
    @inline(__always) static func quants(_ b: UnsafeRawPointer, _ j: Int) -> __m256i {
        let h = j >> 2, k = j & 3
        let low = nibblesOf(b + 64 * h + 32 * (k & 1), k >> 1)
        let qh = _mm256_loadu_si256((b + 128 + 32 * h).assumingMemoryBound(to: __m256i.self))
        let high = _mm256_and_si256(_mm256_srl_epi16(qh, _mm_cvtsi32_si128(Int32(2 * k))), _mm256_set1_epi8(3))
        return _mm256_sub_epi8(_mm256_or_si256(low, _mm256_slli_epi16(high, 4)), _mm256_set1_epi8(32))
    }
    @inline(__always) static func mul(_ q: __m256i, _ x: __m256i) -> __m256i { signedMul(q, x) }
    /// Pair sums 0–7 (elements 0–15) get sc[8h + 2k], pair sums 8–15 sc[8h + 2k + 1].
    @inline(__always) static func factors(_ s: Scales, _ j: Int) -> __m256i {
        let k = j & 3
        return _mm256_shuffle_epi8(j < 4 ? s.lo : s.hi, lane16(2 * k, 2 * k + 1))
    }
    @inline(__always) static func d(_ s: Scales) -> Float { s.d }
    @inline(__always) static func m(_ s: Scales) -> Float { 0 }
    @inline(__always) static func minCounts(_ s: Scales) -> F8 { F8() }
}
