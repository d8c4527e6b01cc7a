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
    if nVec < 4 {
        for v in 0..<nVec {
            let xq = UnsafePointer(x.kqs + v * cols), xd = UnsafePointer(x.kd + v * nk), xs = UnsafePointer(x.ks + v * nb)
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
                    let x0 = xq + kb * 256, g0 = xg + kb * 16, sx = load8(xs + kb * 8)
                    let r0 = kRowDot(B.self, wr.p0 + o, x0, g0, sx), r1 = kRowDot(B.self, wr.p1 + o, x0, g0, sx)
                    let r2 = kRowDot(B.self, wr.p2 + o, x0, g0, sx), r3 = kRowDot(B.self, wr.p3 + o, x0, g0, sx)
                    let r4 = kRowDot(B.self, wr.p4 + o, x0, g0, sx), r5 = kRowDot(B.self, wr.p5 + o, x0, g0, sx)
                    let r6 = kRowDot(B.self, wr.p6 + o, x0, g0, sx), r7 = kRowDot(B.self, wr.p7 + o, x0, g0, sx)
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
    // Lanes are activation rows: their scales per block, and (for the mins) their d·Σq per 32.
    // Each tile of weight rows is decoded once (quants in `superBlockSlot`'s order, factors, d, −dmin,
    // mins) and then read by every group of eight activation rows, instead of decoded per group.
    // A pass over the tile reads `span` blocks of a group's activations (8·256·span bytes), which stay in
    // L1 while every row of the tile reads them; between passes a row's two running sums wait in `stage`
    // and `mstage`. Without the split, a 4096-wide row's group (32 KB) came from L2 once per weight row.
    let span = min(nk, 4)
    let tile = max(8, 24 * 1024 / (span * MemoryLayout<KDecoded>.stride))
    let sums = groups * (nk + (B.hasMin ? nb : 0))
    let dT = ThreadScratch.buffer(.matmul, sums + 2 * tile, as: F8.self), sT = dT + groups * nk
    let stage = dT + sums, mstage = stage + tile
    gatherLanes(x.kd, perRow: nk, vectors: nVec, into: dT)
    if B.hasMin { gatherLanes(x.ks, perRow: nb, vectors: nVec, into: sT) }
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
            let gd = dT + g * nk, gs = sT + g * nb
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
                            // Σ_j mc_j·s_x,j for the eight activation rows at once, added in laneSumsF8's
                            // order ((0+1)+(2+3))+((4+5)+(6+7)), so the same bits as the one-row path.
                            let mc = e.pointee.mins, s = gs + kb * 8
                            @inline(__always) func t(_ j: Int) -> F8 { F8(repeating: mc[j]) * s[j] }
                            let ms = ((t(0) + t(1)) + (t(2) + t(3))) + ((t(4) + t(5)) + (t(6) + t(7)))
                            macc = macc.addingProduct(F8(repeating: e.pointee.m), ms)
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
    var even, odd, bias: __m256i
    var mins: F8
    var d, m: Float
    @inline(__always) init<B: Q8DotKQuant>(_: B.Type, _ b: UnsafeRawPointer) {
        let k = B.scales(b)
        q = B.quants(b); (even, odd) = B.factors(k); bias = B.bias(k); mins = B.minCounts(k); d = B.d(k); m = B.m(k)
    }
}

/// One weight block against one activation block (values at x, group sums at g): the integer dot's
/// eight partial sums, d, −dmin and mc_j·s_x,j (the terms of the min, summed by the caller).
@inline(__always) func kRowDot<B: Q8DotKQuant>(_: B.Type, _ w: UnsafeRawPointer, _ x: UnsafePointer<Int8>, _ g: UnsafePointer<Int16>,
                                               _ sx: F8) -> (dot: __m256i, d: Float, m: Float, mins: F8) {
    let e = KDecoded(B.self, w)
    return (kBlockDot(B.self, e.q, (e.even, e.odd), e.bias, x, g), e.d, e.m, B.hasMin ? e.mins * sx : F8())
}
