import FTXCore
import _Builtin_intrinsics.intel

/// Activation rows quantized to 8 bits for the integer dot products, as llama.cpp does, in one or
/// both of its two layouts:
/// - `blocks` (its Q8_1, for Q4_0/Q4_1/Q5_0/Q5_1/Q8_0 weights): a scale d = max|x|/127 per block of
///   32 (`qs`, `d`, `s`);
/// - `superBlocks` (its Q8_K, for the K-quants): one scale per block of 256 (`kqs`, `kd`), so a
///   K-quant block's eight sub-block dots sum as one integer before they meet a float. Each block's
///   values are stored in `superBlockSlot`'s interleaved order, the order the K-quant kernels
///   decode their weights into (Q8KQuants.swift).
/// Values are q = round(x/d) (ties to even); `s` holds d·Σq over each 32 values, which carries the
/// min terms (Q4_1, Q5_1; Q4_0's −8, Q5_0's −16). `superBlocks` keeps Σq over each 16 values as an
/// integer instead (`kgs`), which carries Q4_K's and Q5_K's mins (as sums of 32, `subBlockSums`) and
/// Q6_K's −32 (its kernel multiplies unsigned quants).
/// Quantize once per matmul input; every weight that reads the same input reuses it.
public final class Q8Rows: @unchecked Sendable {
    public struct Layouts: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        public static let blocks = Layouts(rawValue: 1)
        public static let superBlocks = Layouts(rawValue: 2)
    }

    /// One layout's buffers: int8 values, a scale per scale block, and the sums its kernels read:
    /// d·Σq per 32 values (`blocks`) or Σq per 16 values (`superBlocks`).
    final class Buffers {
        private(set) var qs = UnsafeMutablePointer<Int8>.allocate(capacity: 32)
        private(set) var d = UnsafeMutablePointer<Float>.allocate(capacity: 1)
        private(set) var s = UnsafeMutablePointer<Float>.allocate(capacity: 1)
        private(set) var g = UnsafeMutablePointer<Int16>.allocate(capacity: 1)
        private var capQ = 32, capD = 1, capS = 1, capG = 1
        func reserve(values: Int, scales: Int, sums: Int = 0, groupSums: Int = 0) {
            if values > capQ { qs.deallocate(); qs = .allocate(capacity: values); capQ = values }
            if scales > capD { d.deallocate(); d = .allocate(capacity: scales); capD = scales }
            if sums > capS { s.deallocate(); s = .allocate(capacity: sums); capS = sums }
            if groupSums > capG { g.deallocate(); g = .allocate(capacity: groupSums); capG = groupSums }
        }
        deinit { qs.deallocate(); d.deallocate(); s.deallocate(); g.deallocate() }
    }

    public private(set) var rows = 0, cols = 0
    /// The layouts the last `quantize` filled.
    public private(set) var layouts: Layouts = []
    let blockBuffers = Buffers(), superBuffers = Buffers()

    public init() {}

    /// `blocks`: rows × cols values, rows × (cols/32) scales and scale·sums.
    public var qs: UnsafeMutablePointer<Int8> { blockBuffers.qs }
    public var d: UnsafeMutablePointer<Float> { blockBuffers.d }
    public var s: UnsafeMutablePointer<Float> { blockBuffers.s }
    /// `superBlocks`: rows × cols values, rows × (cols/256) scales.
    public var kqs: UnsafeMutablePointer<Int8> { superBuffers.qs }
    public var kd: UnsafeMutablePointer<Float> { superBuffers.d }
    /// `superBlocks`: rows × (cols/16) integer sums Σq of 16 values, each block's sixteen in
    /// `groupSumSlot`'s order.
    public var kgs: UnsafeMutablePointer<Int16> { superBuffers.g }

    /// 32-value blocks per row.
    public var blocksPerRow: Int { cols / 32 }

    /// Quantizes `rows` rows of `cols` floats (rows `ldx` apart) into `layouts`: `cols` a multiple of
    /// 32, and of 256 for `superBlocks`.
    public func quantize(_ x: UnsafePointer<Float>, rows: Int, cols: Int, ldx: Int, layouts: Layouts = .blocks) {
        precondition(cols % 32 == 0, "Q8Rows: \(cols) columns is not a whole number of 32-blocks")
        precondition(!layouts.contains(.superBlocks) || cols % 256 == 0, "Q8Rows: \(cols) columns is not a whole number of 256-blocks")
        self.rows = rows; self.cols = cols; self.layouts = layouts
        let nq = rows * cols, nb = nq / 32
        let parallelChunks = nq < 1 << 16 ? 1 : nil as Int?
        if layouts.contains(.blocks) {
            blockBuffers.reserve(values: nq, scales: nb, sums: nb)
            let q = blockBuffers.qs, dp = blockBuffers.d, sp = blockBuffers.s
            Threads.parallelFor(rows, maxChunks: parallelChunks) { r0, r1 in
                for b in (r0 * cols / 32)..<(r1 * cols / 32) {
                    let src = x + (b * 32 / cols) * ldx + b * 32 % cols
                    let d = absMax32(src) / 127
                    dp[b] = d; sp[b] = quantizeBlock32(src, q + b * 32, d: d)
                }
            }
        }
        if layouts.contains(.superBlocks) {
            superBuffers.reserve(values: nq, scales: nq / 256, groupSums: nq / 16)
            let q = superBuffers.qs, dp = superBuffers.d, gp = superBuffers.g
            Threads.parallelFor(rows, maxChunks: parallelChunks) { r0, r1 in
                for k in (r0 * cols / 256)..<(r1 * cols / 256) {
                    let src = x + (k * 256 / cols) * ldx + k * 256 % cols
                    var amax: Float = 0
                    for j in 0..<8 { amax = Swift.max(amax, absMax32(src + 32 * j)) }
                    let d = amax / 127
                    dp[k] = d
                    // The sums of 32 are not kept: the K-quant kernels read the integer sums of 16.
                    for j in 0..<8 { _ = quantizeBlock32(src + 32 * j, q + 256 * k + 32 * j, d: d) }
                    let natural = KBlock(unordered: q + 256 * k)
                    storeGroupSums(natural, gp + 16 * k)
                    KBlock(natural: natural).store(q + 256 * k)
                }
            }
        }
    }
}

/// Where the sum of natural values 16g..<16g+16 (g < 16) of a block sits among its sixteen `kgs`: the
/// even groups first, then the odd ones (the order two rounds of vphaddd leave them in).
public func groupSumSlot(_ g: Int) -> Int { g % 2 * 8 + g / 2 }

/// The sixteen sums of 16 of a block's eight natural sub-blocks, as int16 in `groupSumSlot`'s order.
@inline(__always) func storeGroupSums(_ n: KBlock, _ out: UnsafeMutablePointer<Int16>) {
    // Sums of 4 per 32-bit lane: lanes 0–3 cover a sub-block's first 16 values, lanes 4–7 the rest.
    let ones8 = _mm256_set1_epi8(1), ones16 = _mm256_set1_epi16(1)
    @inline(__always) func fours(_ r: __m256i) -> __m256i { _mm256_madd_epi16(_mm256_maddubs_epi16(ones8, r), ones16) }
    // [g0 g2 g4 g6 | g1 g3 g5 g7] and the same for sub-blocks 4–7; packs keeps the 128-bit halves.
    let a = _mm256_hadd_epi32(_mm256_hadd_epi32(fours(n.r0), fours(n.r1)), _mm256_hadd_epi32(fours(n.r2), fours(n.r3)))
    let b = _mm256_hadd_epi32(_mm256_hadd_epi32(fours(n.r4), fours(n.r5)), _mm256_hadd_epi32(fours(n.r6), fours(n.r7)))
    _mm256_storeu_si256(UnsafeMutableRawPointer(out).assumingMemoryBound(to: __m256i.self), _mm256_packs_epi32(a, b))
}

/// max |x| over 32 values.
@inline(__always) func absMax32(_ x: UnsafePointer<Float>) -> Float {
    let a = _mm256_max_ps(_mm256_max_ps(abs8(load8(x)), abs8(load8(x + 8))), _mm256_max_ps(abs8(load8(x + 16)), abs8(load8(x + 24))))
    return Swift.max(Swift.max(Swift.max(a[0], a[1]), Swift.max(a[2], a[3])), Swift.max(Swift.max(a[4], a[5]), Swift.max(a[6], a[7])))
}

/// 32 values to int8 at scale d (q = round(x/d), 0 when d is 0); returns d·Σq.
@inline(__always) func quantizeBlock32(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Int8>, d: Float) -> Float {
    let iv = F8(repeating: d > 0 ? 1 / d : 0)
    // vcvtps2dq rounds to nearest even (the default MXCSR mode).
    let i0 = _mm256_cvtps_epi32(load8(x) * iv), i1 = _mm256_cvtps_epi32(load8(x + 8) * iv)
    let i2 = _mm256_cvtps_epi32(load8(x + 16) * iv), i3 = _mm256_cvtps_epi32(load8(x + 24) * iv)
    let sum32 = _mm256_add_epi32(_mm256_add_epi32(i0, i1), _mm256_add_epi32(i2, i3))
    let total = unsafeBitCast(sum32, to: SIMD8<Int32>.self).wrappedSum()
    // Pack 32 × i32 → 32 × i8: the packs work within 128-bit lanes, so restore the order after.
    let p16a = _mm256_packs_epi32(i0, i1), p16b = _mm256_packs_epi32(i2, i3)
    let p8 = _mm256_packs_epi16(p16a, p16b)
    let ordered = _mm256_permutevar8x32_epi32(p8, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7))
    _mm256_storeu_si256(UnsafeMutableRawPointer(out).assumingMemoryBound(to: __m256i.self), ordered)
    return d * Float(total)
}

@inline(__always) func abs8(_ v: F8) -> F8 {
    unsafeBitCast(unsafeBitCast(v, to: SIMD8<UInt32>.self) & SIMD8<UInt32>(repeating: 0x7fff_ffff), to: F8.self)
}
