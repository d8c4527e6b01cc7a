import _Builtin_intrinsics.intel

// The K-quant integer kernel: `q8MatVec`'s two layouts (eight weight rows against one activation
// row, or one weight row against eight activation rows) against Q8Rows' `superBlocks`. Each lane
// adds its eight sub-block dots as integers, so the lane reduction and the float step happen once per
// 256 values instead of once per 32, as in llama.cpp's K-quant dot products. Per (weight row,
// activation row) the operations are the same in both layouts and whatever the row count: the
// integer block dot, acc = fma(dot, d_w·d_x, acc), macc = fma(Σ_j mc_j·Σq_j, −dmin·d_x, macc) over the
// blocks in order (both sums exact integers, pairDots8's for the mins), then acc + macc. So batched
// output equals one-by-one output bit for bit.

@inline(__always) func q8MatVecK<B: Q8DotKQuant>(_: B.Type, _ w: UnsafeRawPointer, _ rowBytes: Int, _ rs: Int, _ re: Int,
                                                 _ x: Q8Rows, _ nVec: Int, _ y: UnsafeMutablePointer<Float>, _ ldy: Int, _ accumulate: Bool) {
    guard re > rs, nVec > 0 else { return }
    let cols = x.cols, nk = cols / 256, BB = B.blockBytes
    if nVec < 4 {
        for v in 0..<nVec {
            let xq = UnsafePointer(x.kqs + v * cols), xd = UnsafePointer(x.kd + v * nk)
            let xg = UnsafePointer(x.kgs + v * (cols / 16))
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
                    let x0 = xq + kb * 256, g0 = xg + kb * 16
                    let r0 = kRowDot(B.self, wr.p0 + o, x0, g0), r1 = kRowDot(B.self, wr.p1 + o, x0, g0)
                    let r2 = kRowDot(B.self, wr.p2 + o, x0, g0), r3 = kRowDot(B.self, wr.p3 + o, x0, g0)
                    let r4 = kRowDot(B.self, wr.p4 + o, x0, g0), r5 = kRowDot(B.self, wr.p5 + o, x0, g0)
                    let r6 = kRowDot(B.self, wr.p6 + o, x0, g0), r7 = kRowDot(B.self, wr.p7 + o, x0, g0)
                    let d = F8(r0.d, r1.d, r2.d, r3.d, r4.d, r5.d, r6.d, r7.d)
                    let dots = laneSums8(r0.dot, r1.dot, r2.dot, r3.dot, r4.dot, r5.dot, r6.dot, r7.dot)
                    acc = acc.addingProduct(_mm256_cvtepi32_ps(dots), d * F8(repeating: xd[kb]))
                    if B.hasMin {
                        // Σ_j mc_j·Σq_j per weight row (lanes), then times the row's −dmin·d_x.
                        let bs = subBlockSums(g0), b = _mm256_set_m128i(bs, bs)
                        @inline(__always) func pair(_ lo: __m256i, _ hi: __m256i) -> __m256i {
                            _mm256_set_m128i(_mm256_castsi256_si128(hi), _mm256_castsi256_si128(lo))
                        }
                        let ms = pairDots8(pair(r0.mc, r4.mc), pair(r1.mc, r5.mc), pair(r2.mc, r6.mc), pair(r3.mc, r7.mc), b)
                        macc = macc.addingProduct(_mm256_cvtepi32_ps(ms), F8(r0.m, r1.m, r2.m, r3.m, r4.m, r5.m, r6.m, r7.m) * F8(repeating: xd[kb]))
                    }
                }
                putLanes(acc + macc, y + v * ldy + r, stride: 1, count: n, accumulate: accumulate)
                r += n
            }
        }
        return
    }
    let groups = (nVec + 7) / 8
    // Lanes are activation rows: their scales per block, and (for the mins) their Σq per 32 in
    // `pairDots8`'s pairs (`gatherSubBlockSums`).
    // Each tile of weight rows is decoded once (quants in `superBlockSlot`'s order, factors, d, −dmin,
    // mins) and then read by every group of eight activation rows, instead of decoded per group.
    // A pass over the tile reads `span` blocks of a group's activations (8·256·span bytes), which stay in
    // L1 while every row of the tile reads them; between passes a row's two running sums wait in `stage`
    // and `mstage`. Without the split, a 4096-wide row's group (32 KB) came from L2 once per weight row.
    let span = min(nk, 4)
    let tile = max(8, 24 * 1024 / (span * MemoryLayout<KDecoded>.stride))
    let sums = groups * nk * (B.hasMin ? 5 : 1)
    let dT = ThreadScratch.buffer(.matmul, sums + 2 * tile, as: F8.self), sT = dT + groups * nk
    let stage = dT + sums, mstage = stage + tile
    gatherLanes(x.kd, perRow: nk, vectors: nVec, into: dT)
    if B.hasMin { gatherSubBlockSums(x.kgs, blocks: nk, vectors: nVec, into: sT) }
    let dec = ThreadScratch.buffer(.tile, tile * nk, as: KDecoded.self)
    var t0 = rs
    while t0 < re {
        let t1 = min(re, t0 + tile)
        for r in t0..<t1 {
            let row = w + r * rowBytes
            var pf = 0
            while pf < rowBytes { prefetch(row + tile * rowBytes + pf); pf += 64 }
            for kb in 0..<nk { dec[(r - t0) * nk + kb] = KDecoded(B.self, row + kb * BB) }
        }
        for g in 0..<groups {
            let v0 = g * 8, n = min(8, nVec - v0)
            let xr = EightRows(UnsafePointer(x.kqs), first: v0, last: nVec - 1, stride: cols)
            let gr = EightRows(UnsafePointer(x.kgs), first: v0, last: nVec - 1, stride: cols / 16)
            let gd = dT + g * nk, gs = sT + g * nk * 4
            var k0 = 0
            while k0 < nk {
                let k1 = min(nk, k0 + span)
                for r in t0..<t1 {
                    let rd = UnsafePointer(dec + (r - t0) * nk)
                    var acc = k0 == 0 ? F8() : stage[r - t0], macc = k0 == 0 ? F8() : mstage[r - t0]
                    for kb in k0..<k1 {
                        let e = rd + kb, xo = kb * 256, go = kb * 16
                        let q = e.pointee.q, f = (even: e.pointee.even, odd: e.pointee.odd), b = e.pointee.bias
                        let i0 = kBlockDot(B.self, q, f, b, xr.p0 + xo, gr.p0 + go), i1 = kBlockDot(B.self, q, f, b, xr.p1 + xo, gr.p1 + go)
                        let i2 = kBlockDot(B.self, q, f, b, xr.p2 + xo, gr.p2 + go), i3 = kBlockDot(B.self, q, f, b, xr.p3 + xo, gr.p3 + go)
                        let i4 = kBlockDot(B.self, q, f, b, xr.p4 + xo, gr.p4 + go), i5 = kBlockDot(B.self, q, f, b, xr.p5 + xo, gr.p5 + go)
                        let i6 = kBlockDot(B.self, q, f, b, xr.p6 + xo, gr.p6 + go), i7 = kBlockDot(B.self, q, f, b, xr.p7 + xo, gr.p7 + go)
                        acc = acc.addingProduct(_mm256_cvtepi32_ps(laneSums8(i0, i1, i2, i3, i4, i5, i6, i7)), F8(repeating: e.pointee.d) * gd[kb])
                        if B.hasMin {
                            // Σ_j mc_j·Σq_j for the eight activation rows at once, the same integers as
                            // the one-row path's, times −dmin·d_x.
                            let s = gs + kb * 4
                            @inline(__always) func sums(_ k: Int) -> __m256i { _mm256_castps_si256(s[k]) }
                            let ms = pairDots8(sums(0), sums(1), sums(2), sums(3), e.pointee.mins)
                            macc = macc.addingProduct(_mm256_cvtepi32_ps(ms), F8(repeating: e.pointee.m) * gd[kb])
                        }
                    }
                    if k1 < nk { stage[r - t0] = acc; mstage[r - t0] = macc } else { stage[r - t0] = acc + macc }
                }
                k0 = k1
            }
            putTransposed(stage, rows: t1 - t0, count: n, y + v0 * ldy + t0, ldy: ldy, accumulate: accumulate)
        }
        t0 = t1
    }
}

/// A decoded weight block: what both paths read (the batched one decodes a tile of them once).
struct KDecoded {
    var q: KBlock
    var even, odd, bias, mins: __m256i
    var d, m: Float
    @inline(__always) init<B: Q8DotKQuant>(_: B.Type, _ b: UnsafeRawPointer) {
        let k = B.scales(b)
        q = B.quants(b); (even, odd) = B.factors(k); bias = B.bias(k); mins = B.minCounts(k); d = B.d(k); m = B.m(k)
    }
}

/// One weight block against one activation block (values at x, group sums at g): the integer dot's
/// eight partial sums, d, −dmin and the integer mins mc_j (`minCounts`).
@inline(__always) func kRowDot<B: Q8DotKQuant>(_: B.Type, _ w: UnsafeRawPointer, _ x: UnsafePointer<Int8>, _ g: UnsafePointer<Int16>)
    -> (dot: __m256i, d: Float, m: Float, mc: __m256i) {
    let e = KDecoded(B.self, w)
    return (kBlockDot(B.self, e.q, (e.even, e.odd), e.bias, x, g), e.d, e.m, e.mins)
}

/// For the batched kernel's min terms: per group of eight activation rows (8g + k) and block, four
/// registers, register k holding row 8g + k's eight sub-block sums Σq_j (16-bit) in its low half and
/// row 8g + k + 4's in its high half (`pairDots8`'s a_k), rows past `vectors` repeating the last.
/// out[(g·blocks + b)·4 + k], the registers stored as F8 (the scratch's type).
@inline(__always) func gatherSubBlockSums(_ kgs: UnsafePointer<Int16>, blocks: Int, vectors: Int, into out: UnsafeMutablePointer<F8>) {
    for g in 0..<(vectors + 7) / 8 {
        let rows = EightRows(kgs, first: 8 * g, last: vectors - 1, stride: blocks * 16)
        for b in 0..<blocks {
            @inline(__always) func put(_ k: Int, _ lo: UnsafePointer<Int16>, _ hi: UnsafePointer<Int16>) {
                out[(g * blocks + b) * 4 + k] = _mm256_castsi256_ps(_mm256_set_m128i(subBlockSums(hi + b * 16), subBlockSums(lo + b * 16)))
            }
            put(0, rows.p0, rows.p4); put(1, rows.p1, rows.p5); put(2, rows.p2, rows.p6); put(3, rows.p3, rows.p7)
        }
    }
}
