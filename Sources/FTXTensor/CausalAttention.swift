import _Builtin_intrinsics.intel

/// Causal attention of one sequence's query rows for one head, with one arithmetic per element
/// whatever the number of rows or how they are tiled:
/// - a score is `dotF32(q, k) * scale`: 16 lanes over the head dimension, fused multiply-adds chunk
///   after chunk, then the lanes summed as a tree (`treeSum`);
/// - an output element is Σ p·v over the row's visible keys in ascending order, fused, from zero.
///
/// So a prompt token's attention comes out bit-identical whether it is prefilled alone, in a batch
/// with other prompts, after a reused prefix, or decoded one row at a time, and generation does not
/// depend on what else is in the batch. Four rows at a time share each key's and value's loads (the
/// speed of prefill); a lone row (decoding, or the rows left over) computes the same elements alone.
public enum CausalAttention {
    /// Row t of `q` (n rows, stride ldq) sits at position p0 + t and sees the keys
    /// [first(t), p0 + t], first(t) = max(0, p0 + t + 1 − window) (0 without a window), of `keys` /
    /// `values` (stride ldkv, at least p0 + n positions). out (stride ldo) receives n rows of headDim.
    /// `scores` holds n · (p0 + n) floats.
    public static func attend(q: UnsafePointer<Float>, ldq: Int, rows n: Int, p0: Int,
                              keys: UnsafePointer<Float>, values: UnsafePointer<Float>, ldkv: Int,
                              headDim hd: Int, window: Int?, scale: Float,
                              out: UnsafeMutablePointer<Float>, ldo: Int, scores: UnsafeMutablePointer<Float>) {
        let total = p0 + n
        var keys = keys, values = values, ldkv = ldkv
        if n >= 8 && ldkv > hd {
            // Many rows read every key again: copy the head's keys and values contiguous first. At a
            // cache's stride (every head of a position side by side, 2 KB or more) one head's
            // positions share few cache sets, and a long prompt's keys miss L2 on every row tile.
            let kv = ThreadScratch.buffer(.attentionKV, 2 * total * hd, as: Float.self)
            for j in 0..<total {
                (kv + j * hd).update(from: keys + j * ldkv, count: hd)
                (kv + (total + j) * hd).update(from: values + j * ldkv, count: hd)
            }
            keys = UnsafePointer(kv); values = UnsafePointer(kv + total * hd); ldkv = hd
        }
        func first(_ t: Int) -> Int { window.map { max(0, p0 + t + 1 - $0) } ?? 0 }
        // Tiles of 4 rows where the head dimension is whole 16-lane chunks and the rows share keys.
        let tiled = hd % 16 == 0 && (window ?? Int.max) >= 4
        var t = 0
        while t < n {
            let r = tiled && t + 4 <= n ? 4 : 1
            // Scores of keys [first(t), p0 + t + r): every key a row of the tile sees (the few
            // outside a row's own range are left unused).
            let lo = first(t), hi = p0 + t + r
            if r == 4 {
                scores4(q + t * ldq, ldq: ldq, keys: keys, ldkv: ldkv, hd: hd, from: lo, to: hi, scale: scale,
                        into: scores + t * total, lds: total)
            } else {
                let row = scores + t * total, qt = q + t * ldq
                var j = lo
                if hd % 16 == 0 {
                    while j + 4 <= hi {
                        let t = dots4(qt, qStep: 0, keys + j * ldkv, kStep: ldkv, hd: hd) * scale
                        UnsafeMutableRawPointer(row + j).storeBytes(of: t, as: SIMD4<Float>.self)
                        j += 4
                    }
                }
                while j < hi { row[j] = dotF32(qt, keys + j * ldkv, hd) * scale; j += 1 }
            }
            for i in t..<(t + r) { VectorOps.softmax(scores + i * total + first(i), p0 + i + 1 - first(i)) }
            if r == 4 {
                weighted4(scores + t * total, lds: total, firsts: (first(t), first(t + 1), first(t + 2), first(t + 3)),
                          visible0: p0 + t + 1, values: values, ldkv: ldkv, hd: hd, out: out + t * ldo, ldo: ldo)
            } else {
                weighted1(scores + t * total, from: lo, to: p0 + t + 1, values: values, ldkv: ldkv, hd: hd, out: out + t * ldo)
            }
            t += r
        }
    }

    /// scores[i][j] = dotF32(q_i, k_j) · scale for 4 rows and keys [from, to), each key's chunks
    /// loaded once for the 4 rows. Requires hd % 16 == 0.
    @inline(__always)
    static func scores4(_ q: UnsafePointer<Float>, ldq: Int, keys: UnsafePointer<Float>, ldkv: Int, hd: Int,
                        from: Int, to: Int, scale: Float, into s: UnsafeMutablePointer<Float>, lds: Int) {
        @inline(__always) func key(_ j: Int) -> SIMD4<Float> { dots4(q, qStep: ldq, keys + j * ldkv, kStep: 0, hd: hd) * scale }
        var j = from
        // Four keys at a time: a 4×4 transpose turns lanes = rows into lanes = keys, so each row's
        // four scores are one store instead of four lane extractions.
        while j + 4 <= to {
            let t0 = key(j), t1 = key(j + 1), t2 = key(j + 2), t3 = key(j + 3)
            let a = _mm_unpacklo_ps(t0, t1), b = _mm_unpackhi_ps(t0, t1)
            let c = _mm_unpacklo_ps(t2, t3), d = _mm_unpackhi_ps(t2, t3)
            @inline(__always) func put(_ i: Int, _ v: SIMD4<Float>) {
                UnsafeMutableRawPointer(s + i * lds + j).storeBytes(of: v, as: SIMD4<Float>.self)
            }
            put(0, _mm_movelh_ps(a, c)); put(1, _mm_movehl_ps(c, a)); put(2, _mm_movelh_ps(b, d)); put(3, _mm_movehl_ps(d, b))
            j += 4
        }
        while j < to {
            let t = key(j)
            s[j] = t[0]; s[lds + j] = t[1]; s[2 * lds + j] = t[2]; s[3 * lds + j] = t[3]
            j += 1
        }
    }

    /// Lane i = dotF32(q + i·qStep, k + i·kStep) in its arithmetic: four rows against one key (kStep 0,
    /// prefill) or one row against four keys (qStep 0, decoding), a shared vector loaded once for the
    /// four. Requires hd % 16 == 0.
    @inline(__always)
    static func dots4(_ q: UnsafePointer<Float>, qStep: Int, _ k: UnsafePointer<Float>, kStep: Int, hd: Int) -> SIMD4<Float> {
        var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
        var d = 0
        while d < hd {
            a0 = a0.addingProduct(loadX(q + d), loadX(k + d))
            a1 = a1.addingProduct(loadX(q + qStep + d), loadX(k + kStep + d))
            a2 = a2.addingProduct(loadX(q + 2 * qStep + d), loadX(k + 2 * kStep + d))
            a3 = a3.addingProduct(loadX(q + 3 * qStep + d), loadX(k + 3 * kStep + d))
            d += 16
        }
        return treeSums4(a0, a1, a2, a3)
    }

    /// out = Σ_{j ∈ [from, to)} p_j · v_j for one row, 16 lanes of the head at a time. Four chunks
    /// share each pass over the keys, so four chains of fused adds run at once, not one.
    @inline(__always)
    static func weighted1(_ p: UnsafePointer<Float>, from: Int, to: Int, values: UnsafePointer<Float>, ldkv: Int, hd: Int,
                          out: UnsafeMutablePointer<Float>) {
        var d0 = 0
        while d0 + 64 <= hd {
            let v = values + d0
            var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
            for j in from..<to {
                let pj = SIMD16<Float>(repeating: p[j]), vj = v + j * ldkv
                a0 = a0.addingProduct(pj, loadX(vj)); a1 = a1.addingProduct(pj, loadX(vj + 16))
                a2 = a2.addingProduct(pj, loadX(vj + 32)); a3 = a3.addingProduct(pj, loadX(vj + 48))
            }
            let o = UnsafeMutableRawPointer(out + d0)
            o.storeBytes(of: a0, as: SIMD16<Float>.self); o.storeBytes(of: a1, toByteOffset: 64, as: SIMD16<Float>.self)
            o.storeBytes(of: a2, toByteOffset: 128, as: SIMD16<Float>.self); o.storeBytes(of: a3, toByteOffset: 192, as: SIMD16<Float>.self)
            d0 += 64
        }
        while d0 + 16 <= hd {
            var acc = SIMD16<Float>()
            for j in from..<to { acc = acc.addingProduct(SIMD16(repeating: p[j]), loadX(values + j * ldkv + d0)) }
            UnsafeMutableRawPointer(out + d0).storeBytes(of: acc, as: SIMD16<Float>.self)
            d0 += 16
        }
        for d in d0..<hd {
            var acc: Float = 0
            for j in from..<to { acc = acc.addingProduct(p[j], values[j * ldkv + d]) }
            out[d] = acc
        }
    }

    /// `weighted1` for 4 consecutive rows (visible counts visible0 … visible0 + 3), each value chunk
    /// loaded once for the rows that see it. Every row still adds its keys in ascending order: first
    /// the keys only it sees at the front (a window), then the shared ones, then its own last keys.
    /// Requires hd % 16 == 0 and first(t + 3) ≤ visible0 (a window of at least 4).
    @inline(__always)
    static func weighted4(_ p: UnsafePointer<Float>, lds: Int, firsts f: (Int, Int, Int, Int), visible0: Int,
                          values: UnsafePointer<Float>, ldkv: Int, hd: Int, out: UnsafeMutablePointer<Float>, ldo: Int) {
        let p0 = p, p1 = p + lds, p2 = p + 2 * lds, p3 = p + 3 * lds
        let shared = f.3   // the last row's first key: every row sees [shared, visible0)
        var d0 = 0
        while d0 < hd {
            let v = values + d0
            var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
            for j in f.0..<shared { a0 = a0.addingProduct(SIMD16(repeating: p0[j]), loadX(v + j * ldkv)) }
            for j in f.1..<shared { a1 = a1.addingProduct(SIMD16(repeating: p1[j]), loadX(v + j * ldkv)) }
            for j in f.2..<shared { a2 = a2.addingProduct(SIMD16(repeating: p2[j]), loadX(v + j * ldkv)) }
            for j in shared..<visible0 {
                let vj = loadX(v + j * ldkv)
                a0 = a0.addingProduct(SIMD16(repeating: p0[j]), vj)
                a1 = a1.addingProduct(SIMD16(repeating: p1[j]), vj)
                a2 = a2.addingProduct(SIMD16(repeating: p2[j]), vj)
                a3 = a3.addingProduct(SIMD16(repeating: p3[j]), vj)
            }
            // The rows' own last keys: row i sees visible0 + i keys.
            let j = visible0, vj = loadX(v + j * ldkv), vj1 = loadX(v + (j + 1) * ldkv)
            a1 = a1.addingProduct(SIMD16(repeating: p1[j]), vj)
            a2 = a2.addingProduct(SIMD16(repeating: p2[j]), vj)
            a3 = a3.addingProduct(SIMD16(repeating: p3[j]), vj)
            a2 = a2.addingProduct(SIMD16(repeating: p2[j + 1]), vj1)
            a3 = a3.addingProduct(SIMD16(repeating: p3[j + 1]), vj1)
            a3 = a3.addingProduct(SIMD16(repeating: p3[j + 2]), loadX(v + (j + 2) * ldkv))
            let o = UnsafeMutableRawPointer(out + d0)
            o.storeBytes(of: a0, as: SIMD16<Float>.self)
            o.storeBytes(of: a1, toByteOffset: ldo * 4, as: SIMD16<Float>.self)
            o.storeBytes(of: a2, toByteOffset: 2 * ldo * 4, as: SIMD16<Float>.self)
            o.storeBytes(of: a3, toByteOffset: 3 * ldo * 4, as: SIMD16<Float>.self)
            d0 += 16
        }
    }
}
