import Foundation

/// LoRA's thin products (one side only `rank` wide): x·Aᵀ, dy·B and duᵀ·x. OpenBLAS packs the whole
/// (tokens × features) activation operand for a handful of outputs, which costs more than the
/// arithmetic; these loops read it once with the thin operand hot in L1. Every output element is
/// summed in a fixed order (16 lanes, then a fixed horizontal sum), so results never depend on
/// threads: callers split rows or columns into disjoint ranges.
enum ThinProducts {
    typealias V = SIMD16<Float>
    typealias V8 = SIMD8<Float>

    @inline(__always) static func ld(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
    @inline(__always) static func ld8(_ p: UnsafePointer<Float>) -> V8 { UnsafeRawPointer(p).loadUnaligned(as: V8.self) }

    /// y[i, j] = alpha · Σ_c x[i, c] · w[j, c] for rows i in lo..<hi and j < r; w is r × k (rows k apart).
    static func rowDots(rows lo: Int, _ hi: Int, k: Int, r: Int, alpha: Float,
                        x: UnsafePointer<Float>, ldx: Int, w: UnsafePointer<Float>,
                        y: UnsafeMutablePointer<Float>, ldy: Int) {
        let k16 = k - k % 16
        for i in lo..<hi {
            let xr = x + i * ldx, yr = y + i * ldy
            var j = 0
            while j < r {
                // Four weight rows at a time; a short last group repeats its last row (result dropped).
                let w0 = w + j * k, w1 = w + min(j + 1, r - 1) * k
                let w2 = w + min(j + 2, r - 1) * k, w3 = w + min(j + 3, r - 1) * k
                var a0 = V(), a1 = V(), a2 = V(), a3 = V()
                var c = 0
                while c < k16 {
                    let xv = ld(xr + c)
                    a0 = a0.addingProduct(xv, ld(w0 + c)); a1 = a1.addingProduct(xv, ld(w1 + c))
                    a2 = a2.addingProduct(xv, ld(w2 + c)); a3 = a3.addingProduct(xv, ld(w3 + c))
                    c += 16
                }
                var s0 = a0.sum(), s1 = a1.sum(), s2 = a2.sum(), s3 = a3.sum()
                while c < k {
                    let xv = xr[c]
                    s0 += xv * w0[c]; s1 += xv * w1[c]; s2 += xv * w2[c]; s3 += xv * w3[c]
                    c += 1
                }
                yr[j] = alpha * s0
                if j + 1 < r { yr[j + 1] = alpha * s1 }
                if j + 2 < r { yr[j + 2] = alpha * s2 }
                if j + 3 < r { yr[j + 3] = alpha * s3 }
                j += 4
            }
        }
    }

    /// y[i, :] = alpha · x[i, :] · b for rows i in lo..<hi; b is k × r (rows r apart), y rows r apart.
    static func rowTimes(rows lo: Int, _ hi: Int, k: Int, r: Int, alpha: Float,
                         x: UnsafePointer<Float>, ldx: Int, b: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        let k4 = k - k % 4
        for i in lo..<hi {
            let xr = x + i * ldx, yr = y + i * r
            var j = 0
            while j + 8 <= r {
                var a0 = V8(), a1 = V8(), a2 = V8(), a3 = V8()
                var c = 0
                while c < k4 {
                    a0 = a0.addingProduct(V8(repeating: xr[c]), ld8(b + c * r + j))
                    a1 = a1.addingProduct(V8(repeating: xr[c + 1]), ld8(b + (c + 1) * r + j))
                    a2 = a2.addingProduct(V8(repeating: xr[c + 2]), ld8(b + (c + 2) * r + j))
                    a3 = a3.addingProduct(V8(repeating: xr[c + 3]), ld8(b + (c + 3) * r + j))
                    c += 4
                }
                while c < k { a0 = a0.addingProduct(V8(repeating: xr[c]), ld8(b + c * r + j)); c += 1 }
                let s = ((a0 + a1) + (a2 + a3)) * alpha
                UnsafeMutableRawPointer(yr + j).storeBytes(of: s, as: V8.self)
                j += 8
            }
            while j < r {   // ranks that are not a multiple of 8
                var s: Float = 0
                for c in 0..<k { s += xr[c] * b[c * r + j] }
                yr[j] = alpha * s
                j += 1
            }
        }
    }

    /// G[j, c] += alpha · Σ_i u[i, j] · x[i, c] over all rows i < n, for columns c in cLo..<cHi and j < r;
    /// u is n × r, x rows ldx apart. G is stored r × ldg (g[j·ldg + c]), or with `transposed`
    /// c-major (g[c·r + j], LoRA's B layout). Each element's sum runs over i in order.
    static func outerAccumulate(cols cLo: Int, _ cHi: Int, n: Int, r: Int, alpha: Float,
                                u: UnsafePointer<Float>, x: UnsafePointer<Float>, ldx: Int,
                                g: UnsafeMutablePointer<Float>, ldg: Int, transposed: Bool) {
        @inline(__always) func put(_ j: Int, _ c: Int, _ a: V) {
            if transposed {
                for l in 0..<16 { g[(c + l) * r + j] += alpha * a[l] }
            } else {
                addInto(g + j * ldg + c, a * alpha)
            }
        }
        var c = cLo
        while c + 16 <= cHi {
            var j = 0
            while j < r {
                let j1 = min(j + 1, r - 1), j2 = min(j + 2, r - 1), j3 = min(j + 3, r - 1)
                var a0 = V(), a1 = V(), a2 = V(), a3 = V()
                for i in 0..<n {
                    let xv = ld(x + i * ldx + c), ur = u + i * r
                    a0 = a0.addingProduct(xv, V(repeating: ur[j])); a1 = a1.addingProduct(xv, V(repeating: ur[j1]))
                    a2 = a2.addingProduct(xv, V(repeating: ur[j2])); a3 = a3.addingProduct(xv, V(repeating: ur[j3]))
                }
                put(j, c, a0)
                if j + 1 < r { put(j + 1, c, a1) }
                if j + 2 < r { put(j + 2, c, a2) }
                if j + 3 < r { put(j + 3, c, a3) }
                j += 4
            }
            c += 16
        }
        while c < cHi {   // ragged columns
            for j in 0..<r {
                var s: Float = 0
                for i in 0..<n { s += u[i * r + j] * x[i * ldx + c] }
                if transposed { g[c * r + j] += alpha * s } else { g[j * ldg + c] += alpha * s }
            }
            c += 1
        }
    }

    @inline(__always) static func addInto(_ p: UnsafeMutablePointer<Float>, _ v: V) {
        UnsafeMutableRawPointer(p).storeBytes(of: ld(p) + v, as: V.self)
    }
}
