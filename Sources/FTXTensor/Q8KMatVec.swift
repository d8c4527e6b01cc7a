import _Builtin_intrinsics.intel

// The K-quant integer kernel: `q8MatVec`'s two layouts (eight weight rows against one activation
// row, or one weight row against eight activation rows) against Q8Rows' `superBlocks`. Each lane
// adds its eight sub-block dots as integers, so the lane reduction and the float step happen once per
// 256 values instead of once per 32, as in llama.cpp's K-quant dot products. Per (weight row,
// activation row) the operations are the same in both layouts and whatever the row count: the
// integer block dot, acc = fma(dot, d_w·d_x, acc), macc = fma(−dmin, Σ_j mc_j·s_x,j, macc) over the
// blocks in order, then acc + macc. So batched output equals one-by-one output bit for bit.

@inline(__always) func q8MatVecK<B: Q8DotKQuant>(_: B.Type, _ w: UnsafeRawPointer, _ rowBytes: Int, _ rs: Int, _ re: Int,
                                                 _ x: Q8Rows, _ nVec: Int, _ y: UnsafeMutablePointer<Float>, _ ldy: Int, _ accumulate: Bool) {
    guard re > rs, nVec > 0 else { return }
    let cols = x.cols, nk = cols / 256, nb = cols / 32, BB = B.blockBytes
    let zero = _mm256_setzero_si256()
    if nVec < 4 {
        for v in 0..<nVec {
            let xq = UnsafePointer(x.kqs + v * cols), xd = UnsafePointer(x.kd + v * nk), xs = UnsafePointer(x.ks + v * nb)
            var r = rs
            while r < re {
                let n = min(8, re - r)
                let wr = EightRows(w, first: r, last: re - 1, stride: rowBytes)
                let ahead = wr.p0 + 16 * rowBytes   // as in q8MatVec
                var acc = F8(), macc = F8()
                for kb in 0..<nk {
                    let o = kb * BB
                    var pf = 0
                    while pf < 8 * BB { prefetch(ahead + 8 * o + pf); pf += 64 }
                    // One weight row at a time: one row's scales live, not eight.
                    let x0 = xq + kb * 256, sx = load8(xs + kb * 8)
                    let r0 = kRowDot(B.self, wr.p0 + o, x0, sx), r1 = kRowDot(B.self, wr.p1 + o, x0, sx)
                    let r2 = kRowDot(B.self, wr.p2 + o, x0, sx), r3 = kRowDot(B.self, wr.p3 + o, x0, sx)
                    let r4 = kRowDot(B.self, wr.p4 + o, x0, sx), r5 = kRowDot(B.self, wr.p5 + o, x0, sx)
                    let r6 = kRowDot(B.self, wr.p6 + o, x0, sx), r7 = kRowDot(B.self, wr.p7 + o, x0, sx)
                    let d = F8(r0.d, r1.d, r2.d, r3.d, r4.d, r5.d, r6.d, r7.d)
                    let dots = laneSums8(r0.dot, r1.dot, r2.dot, r3.dot, r4.dot, r5.dot, r6.dot, r7.dot)
                    acc = acc.addingProduct(_mm256_cvtepi32_ps(dots), d * F8(repeating: xd[kb]))
                    if B.hasMin {
                        // Σ_j mc_j·s_x,j per weight row, then times the row's −dmin.
                        let ms = laneSumsF8(r0.mins, r1.mins, r2.mins, r3.mins, r4.mins, r5.mins, r6.mins, r7.mins)
                        macc = macc.addingProduct(F8(r0.m, r1.m, r2.m, r3.m, r4.m, r5.m, r6.m, r7.m), ms)
                    }
                }
                putLanes(acc + macc, y + v * ldy + r, stride: 1, count: n, accumulate: accumulate)
                r += n
            }
        }
        return
    }
    let groups = (nVec + 7) / 8
    let dT = ThreadScratch.buffer(.matmul, groups * nk, as: F8.self)
    gatherLanes(x.kd, perRow: nk, vectors: nVec, into: dT)
    let tile = max(8, 16 * 1024 / max(1, rowBytes))
    var t0 = rs
    while t0 < re {
        let t1 = min(re, t0 + tile)
        for g in 0..<groups {
            let v0 = g * 8, n = min(8, nVec - v0)
            let xr = EightRows(UnsafePointer(x.kqs), first: v0, last: nVec - 1, stride: cols)
            let sr = EightRows(UnsafePointer(x.ks), first: v0, last: nVec - 1, stride: nb)
            let gd = dT + g * nk
            let ahead = g == 0 ? tile * rowBytes : 0   // as in q8MatVec
            for r in t0..<t1 {
                let row = w + r * rowBytes
                var acc = F8(), macc = F8()
                for kb in 0..<nk {
                    let o = kb * BB
                    var pf = 0
                    while pf < BB { prefetch(row + o + ahead + pf); pf += 64 }
                    let k = B.scales(row + o)
                    var i0 = zero, i1 = zero, i2 = zero, i3 = zero, i4 = zero, i5 = zero, i6 = zero, i7 = zero
                    for j in 0..<8 {
                        let xo = kb * 256 + j * 32
                        let q = B.quants(row + o, j), f = B.factors(k, j)
                        i0 = _mm256_add_epi32(i0, _mm256_madd_epi16(B.mul(q, loadQ(xr.p0 + xo)), f))
                        i1 = _mm256_add_epi32(i1, _mm256_madd_epi16(B.mul(q, loadQ(xr.p1 + xo)), f))
                        i2 = _mm256_add_epi32(i2, _mm256_madd_epi16(B.mul(q, loadQ(xr.p2 + xo)), f))
                        i3 = _mm256_add_epi32(i3, _mm256_madd_epi16(B.mul(q, loadQ(xr.p3 + xo)), f))
                        i4 = _mm256_add_epi32(i4, _mm256_madd_epi16(B.mul(q, loadQ(xr.p4 + xo)), f))
                        i5 = _mm256_add_epi32(i5, _mm256_madd_epi16(B.mul(q, loadQ(xr.p5 + xo)), f))
                        i6 = _mm256_add_epi32(i6, _mm256_madd_epi16(B.mul(q, loadQ(xr.p6 + xo)), f))
                        i7 = _mm256_add_epi32(i7, _mm256_madd_epi16(B.mul(q, loadQ(xr.p7 + xo)), f))
                    }
                    acc = acc.addingProduct(_mm256_cvtepi32_ps(laneSums8(i0, i1, i2, i3, i4, i5, i6, i7)), F8(repeating: B.d(k)) * gd[kb])
                    if B.hasMin {
                        let mc = B.minCounts(k), so = kb * 8
                        let ms = laneSumsF8(mc * load8(sr.p0 + so), mc * load8(sr.p1 + so), mc * load8(sr.p2 + so), mc * load8(sr.p3 + so),
                                            mc * load8(sr.p4 + so), mc * load8(sr.p5 + so), mc * load8(sr.p6 + so), mc * load8(sr.p7 + so))
                        macc = macc.addingProduct(F8(repeating: B.m(k)), ms)
                    }
                }
                putLanes(acc + macc, y + v0 * ldy + r, stride: ldy, count: n, accumulate: accumulate)
            }
        }
        t0 = t1
    }
}

/// One weight block against one activation block: the integer dot's eight partial sums, d, −dmin and
/// mc_j·s_x,j (the terms of the min, summed by the caller).
@inline(__always) func kRowDot<B: Q8DotKQuant>(_: B.Type, _ w: UnsafeRawPointer, _ x: UnsafePointer<Int8>, _ sx: F8)
    -> (dot: __m256i, d: Float, m: Float, mins: F8) {
    let k = B.scales(w)
    var dot = _mm256_setzero_si256()
    for j in 0..<8 { dot = _mm256_add_epi32(dot, _mm256_madd_epi16(B.mul(B.quants(w, j), loadQ(x + 32 * j)), B.factors(k, j))) }
    return (dot, B.d(k), B.m(k), B.hasMin ? B.minCounts(k) * sx : F8())
}
