import FTXCore
import _Builtin_intrinsics.intel

/// Activation rows quantized to 8-bit blocks of 32, as llama.cpp does for its integer dot products
/// (its Q8_1 layout, split into three arrays): per block a scale d = max|x|/127, int8 values
/// q = round(x/d) (ties to even), and s = d·Σq, which carries the min terms of Q4_1, Q5_1, Q4_K and Q5_K
/// (and Q4_0's −8, Q5_0's −16).
/// Quantize once per matmul input; every weight that reads the same input reuses it.
public final class Q8Rows: @unchecked Sendable {
    public private(set) var rows = 0, cols = 0
    /// rows × cols int8 values.
    public private(set) var qs: UnsafeMutablePointer<Int8>
    /// rows × (cols/32) block scales and scale·sums.
    public private(set) var d: UnsafeMutablePointer<Float>
    public private(set) var s: UnsafeMutablePointer<Float>
    private var capQ = 0, capB = 0

    public init() {
        qs = .allocate(capacity: 32); d = .allocate(capacity: 1); s = .allocate(capacity: 1)
        capQ = 32; capB = 1
    }
    deinit { qs.deallocate(); d.deallocate(); s.deallocate() }

    /// Blocks per row.
    public var blocksPerRow: Int { cols / 32 }

    /// Quantizes `rows` rows of `cols` floats (`cols` a multiple of 32; rows `ldx` apart).
    public func quantize(_ x: UnsafePointer<Float>, rows: Int, cols: Int, ldx: Int) {
        precondition(cols % 32 == 0, "Q8Rows: \(cols) columns is not a whole number of 32-blocks")
        let nq = rows * cols, nb = rows * (cols / 32)
        if nq > capQ { qs.deallocate(); qs = .allocate(capacity: nq); capQ = nq }
        if nb > capB { d.deallocate(); s.deallocate(); d = .allocate(capacity: nb); s = .allocate(capacity: nb); capB = nb }
        self.rows = rows; self.cols = cols
        let q = qs, dp = d, sp = s, bpr = cols / 32
        Threads.parallelFor(rows, maxChunks: nq < 1 << 16 ? 1 : nil) { r0, r1 in
            for r in r0..<r1 {
                for b in 0..<bpr {
                    let (db, sb) = quantizeBlock32(x + r * ldx + b * 32, q + r * cols + b * 32)
                    dp[r * bpr + b] = db; sp[r * bpr + b] = sb
                }
            }
        }
    }
}

/// One 32-block to int8; returns (d, d·Σq).
@inline(__always) func quantizeBlock32(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Int8>) -> (Float, Float) {
    let v0 = load8(x), v1 = load8(x + 8), v2 = load8(x + 16), v3 = load8(x + 24)
    let a = _mm256_max_ps(_mm256_max_ps(abs8(v0), abs8(v1)), _mm256_max_ps(abs8(v2), abs8(v3)))
    let amax = Swift.max(Swift.max(Swift.max(a[0], a[1]), Swift.max(a[2], a[3])), Swift.max(Swift.max(a[4], a[5]), Swift.max(a[6], a[7])))
    let d = amax / 127
    let id: Float = amax > 0 ? 1 / d : 0
    let iv = F8(repeating: id)
    // vcvtps2dq rounds to nearest even (the default MXCSR mode).
    let i0 = _mm256_cvtps_epi32(v0 * iv), i1 = _mm256_cvtps_epi32(v1 * iv)
    let i2 = _mm256_cvtps_epi32(v2 * iv), i3 = _mm256_cvtps_epi32(v3 * iv)
    let sum32 = _mm256_add_epi32(_mm256_add_epi32(i0, i1), _mm256_add_epi32(i2, i3))
    let sumLanes = unsafeBitCast(sum32, to: SIMD8<Int32>.self)
    let total = sumLanes.wrappedSum()
    // Pack 32 × i32 → 32 × i8: the packs work within 128-bit lanes, so restore the order after.
    let p16a = _mm256_packs_epi32(i0, i1), p16b = _mm256_packs_epi32(i2, i3)
    let p8 = _mm256_packs_epi16(p16a, p16b)
    let ordered = _mm256_permutevar8x32_epi32(p8, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7))
    _mm256_storeu_si256(UnsafeMutableRawPointer(out).assumingMemoryBound(to: __m256i.self), ordered)
    return (d, d * Float(total))
}

@inline(__always) func abs8(_ v: F8) -> F8 {
    unsafeBitCast(unsafeBitCast(v, to: SIMD8<UInt32>.self) & SIMD8<UInt32>(repeating: 0x7fff_ffff), to: F8.self)
}
