import Foundation
import FTXTensor

/// Row kernels of the softmaxes (attention rows, the output head's vocabulary row): sixteen lanes at
/// a time with FTXTensor's vectorized exp. A ragged tail is padded (−∞ for exp, which gives 0) so
/// every element takes the same path; sums are lane-wise then a fixed horizontal order, so results
/// depend only on the row, never on threads.
enum SoftmaxSIMD {
    typealias V = SIMD16<Float>

    @inline(__always) static func load(_ p: UnsafePointer<Float>, _ i: Int, _ end: Int, pad: Float) -> V {
        if i + 16 <= end { return UnsafeRawPointer(p + i).loadUnaligned(as: V.self) }
        // Ragged tail: one copy into a padded register image (per-lane inserts spill and reload).
        var v = V(repeating: pad)
        withUnsafeMutableBytes(of: &v) { $0.baseAddress!.copyMemory(from: p + i, byteCount: (end - i) * 4) }
        return v
    }
    @inline(__always) static func store(_ v: V, _ p: UnsafeMutablePointer<Float>, _ i: Int, _ end: Int) {
        if i + 16 <= end { UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: V.self); return }
        withUnsafeBytes(of: v) { UnsafeMutableRawPointer(p + i).copyMemory(from: $0.baseAddress!, byteCount: (end - i) * 4) }
    }

    /// max of p[lo..<hi] (−∞ when empty).
    static func max(_ p: UnsafePointer<Float>, _ lo: Int, _ hi: Int) -> Float {
        var m = V(repeating: -.infinity)
        var i = lo
        // A compare-and-blend, not pointwiseMax (which goes lane by lane); max is exact in any order.
        while i < hi {
            let x = load(p, i, hi, pad: -.infinity)
            m.replace(with: x, where: x .> m)
            i += 16
        }
        return m.max()
    }

    /// p[j] ← exp(p[j] − shift) for j in lo..<hi; returns their sum.
    @discardableResult
    static func expShift(_ p: UnsafeMutablePointer<Float>, _ lo: Int, _ hi: Int, shift: Float) -> Float {
        let s = V(repeating: shift)
        var acc = V(repeating: 0)
        var i = lo
        while i < hi {
            let e = simdExp(load(p, i, hi, pad: -.infinity) - s)
            store(e, p, i, hi)
            acc += e
            i += 16
        }
        return acc.sum()
    }

    /// p[j] ← p[j] · k for j in lo..<hi.
    static func scale(_ p: UnsafeMutablePointer<Float>, _ lo: Int, _ hi: Int, by k: Float) {
        let kv = V(repeating: k)
        var i = lo
        while i < hi { store(load(p, i, hi, pad: 0) * kv, p, i, hi); i += 16 }
    }
}
