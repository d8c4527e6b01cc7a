import Foundation
import FTXCore
import FTXTensor

/// SwiGLU: h = silu(g) ∘ u, silu(g) = g·σ(g). Sixteen lanes at a time with FTXTensor's vectorized
/// exp; the ragged tail goes through the same SIMD path (zero-padded), so every element is computed
/// the same way whatever the chunking.
public enum SwiGLU {
    @inline(__always) static func load(_ p: UnsafePointer<Float>, _ i: Int, _ count: Int) -> SIMD16<Float> {
        if i + 16 <= count { return UnsafeRawPointer(p + i).loadUnaligned(as: SIMD16<Float>.self) }
        var v = SIMD16<Float>(repeating: 0)
        for j in 0..<(count - i) { v[j] = p[i + j] }
        return v
    }
    @inline(__always) static func store(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>, _ i: Int, _ count: Int) {
        if i + 16 <= count { UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: SIMD16<Float>.self); return }
        for j in 0..<(count - i) { p[i + j] = v[j] }
    }
    @inline(__always) static func sigmoid(_ g: SIMD16<Float>) -> SIMD16<Float> {
        1 / (1 + simdExp(-g))
    }

    /// h[N] ← g[N], u[N] (flat element count)
    public static func forward(_ h: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>,
                               _ u: UnsafePointer<Float>, count: Int) {
        Threads.parallelFor((count + 15) / 16, minChunk: 256) { lo, hi in
            for b in lo..<hi {
                let i = b * 16
                let gv = load(g, i, count)
                store(gv * sigmoid(gv) * load(u, i, count), h, i, count)
            }
        }
    }

    /// dg, du (overwritten) ← dh, g, u
    public static func backward(_ dg: UnsafeMutablePointer<Float>, _ du: UnsafeMutablePointer<Float>,
                                _ dh: UnsafePointer<Float>, _ g: UnsafePointer<Float>,
                                _ u: UnsafePointer<Float>, count: Int) {
        Threads.parallelFor((count + 15) / 16, minChunk: 256) { lo, hi in
            for b in lo..<hi {
                let i = b * 16
                let gv = load(g, i, count), dhv = load(dh, i, count)
                let sg = sigmoid(gv)
                let silu = gv * sg
                store(dhv * silu, du, i, count)
                store(dhv * load(u, i, count) * sg * (1 + gv * (1 - sg)), dg, i, count)
            }
        }
    }
}
