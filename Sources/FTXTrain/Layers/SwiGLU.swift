import Foundation

/// SwiGLU: h = silu(g) ∘ u, silu(g) = g·σ(g).
public enum SwiGLU {
    /// h[N] ← g[N], u[N] (flat element count)
    public static func forward(_ h: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>,
                               _ u: UnsafePointer<Float>, count: Int) {
        Parallel.rows(count, minChunk: 4096) { lo, hi in
            for i in lo..<hi {
                let sg = 1 / (1 + expf(-g[i]))
                h[i] = g[i] * sg * u[i]
            }
        }
    }

    /// dg, du (overwritten) ← dh, g, u
    public static func backward(_ dg: UnsafeMutablePointer<Float>, _ du: UnsafeMutablePointer<Float>,
                                _ dh: UnsafePointer<Float>, _ g: UnsafePointer<Float>,
                                _ u: UnsafePointer<Float>, count: Int) {
        Parallel.rows(count, minChunk: 4096) { lo, hi in
            for i in lo..<hi {
                let sg = 1 / (1 + expf(-g[i]))
                let silu = g[i] * sg
                du[i] = dh[i] * silu
                dg[i] = dh[i] * u[i] * sg * (1 + g[i] * (1 - sg))
            }
        }
    }
}
