import Foundation
import XCTest
@testable import FTXTensor

final class CausalAttentionTests: XCTestCase {
    /// Random values in [-1, 1) from a fixed seed (an LCG: the test needs no model).
    func values(_ n: Int, seed: UInt64) -> [Float] {
        var s = seed
        return (0..<n).map { _ in
            s = s &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: s >> 11) % 2_000_000) / 1_000_000 - 1
        }
    }

    /// Queries at positions p0 … p0 + n − 1 of one head, computed with `rows` query rows per call
    /// (the earlier rows' keys already there, as a cache holds them).
    func attend(_ q: [Float], _ k: [Float], _ v: [Float], hd: Int, ld: Int, p0: Int, n: Int, window: Int?,
                rowsPerCall: Int) -> [Float] {
        var out = [Float](repeating: .nan, count: n * ld)
        var t = 0
        while t < n {
            let r = min(rowsPerCall, n - t)
            var scores = [Float](repeating: .nan, count: r * (p0 + t + r))
            q.withUnsafeBufferPointer { q in k.withUnsafeBufferPointer { k in v.withUnsafeBufferPointer { v in
                out.withUnsafeMutableBufferPointer { o in
                    CausalAttention.attend(q: q.baseAddress! + t * ld, ldq: ld, rows: r, p0: p0 + t, keys: k.baseAddress!,
                                           values: v.baseAddress!, ldkv: ld, headDim: hd, window: window, scale: 0.3,
                                           out: o.baseAddress! + t * ld, ldo: ld, scores: &scores)
                }
            } } }
            t += r
        }
        return out
    }

    /// The four-at-once reduction of the scores adds the same pairs as `treeSum`, so the same bits;
    /// lanes of very different magnitudes make any other pairing round differently.
    func testTreeSums4GivesTreeSumsBits() {
        let raw = values(64 * 50, seed: 11)
        for t in 0..<50 {
            let v = (0..<4).map { k in SIMD16<Float>((0..<16).map { i in raw[t * 64 + k * 16 + i] * (i % 3 == 0 ? 1e7 : 1) }) }
            let got = treeSums4(v[0], v[1], v[2], v[3])
            for k in 0..<4 {
                XCTAssertEqual(got[k].bitPattern, treeSum(v[k]).bitPattern, "trial \(t) vector \(k)")
                // treeSum's own pairs, written out: (i, i + 8), then (i, i + 4), (i, i + 2), (0, 1).
                let h = (0..<8).map { v[k][$0] + v[k][$0 + 8] }, q = (0..<4).map { h[$0] + h[$0 + 4] }, p = (0..<2).map { q[$0] + q[$0 + 2] }
                XCTAssertEqual(got[k].bitPattern, (p[0] + p[1]).bitPattern, "trial \(t) vector \(k)")
            }
        }
    }

    /// Against a loop-by-loop float64 softmax(q·k·scale)·v over each row's visible keys; and the
    /// same bits whether the rows come 4 at a time (the tiled kernel), in uneven groups, or one by
    /// one (decode): the property that makes generation independent of its batch.
    func testMatchesFloat64AndGivesTheSameBitsHoweverRowsAreGrouped() {
        for (hd, window) in [(64, nil), (64, 5), (16, 4), (24, nil), (128, 3)] as [(Int, Int?)] {
            let ld = hd + 8, p0 = 7, n = 23, total = p0 + n
            let q = values(n * ld, seed: 1), k = values(total * ld, seed: 2), v = values(total * ld, seed: 3)
            let whole = attend(q, k, v, hd: hd, ld: ld, p0: p0, n: n, window: window, rowsPerCall: n)
            for rows in [1, 3, 4, 6] {
                let grouped = attend(q, k, v, hd: hd, ld: ld, p0: p0, n: n, window: window, rowsPerCall: rows)
                for t in 0..<n {
                    XCTAssertEqual(Array(grouped[(t * ld)..<(t * ld + hd)]), Array(whole[(t * ld)..<(t * ld + hd)]),
                                   "hd \(hd), window \(String(describing: window)), \(rows) rows per call: row \(t) differs in its bits")
                }
            }
            var worst = 0.0
            for t in 0..<n {
                let pos = p0 + t, first = window.map { max(0, pos + 1 - $0) } ?? 0
                let s = (first...pos).map { j in 0.3 * (0..<hd).reduce(0.0) { $0 + Double(q[t * ld + $1]) * Double(k[j * ld + $1]) } }
                let m = s.max()!, e = s.map { exp($0 - m) }, z = e.reduce(0, +)
                for d in 0..<hd {
                    let ref = zip(first...pos, e).reduce(0.0) { $0 + $1.1 / z * Double(v[$1.0 * ld + d]) }
                    worst = max(worst, abs(Double(whole[t * ld + d]) - ref))
                }
            }
            XCTAssertLessThan(worst, 2e-6, "hd \(hd), window \(String(describing: window))")
        }
    }
}
