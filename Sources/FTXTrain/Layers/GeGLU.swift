import Foundation
import FTXCore
import FTXTensor

/// GeGLU: h = gelu(g) ∘ u with GELU's tanh approximation (Gemma's `gelu_pytorch_tanh`); the
/// scalar function and its derivative are FTXTensor's `GatedActivation`, shared with inference.
public enum GeGLU {
    /// h[N] ← g[N], u[N] (flat element count)
    public static func forward(_ h: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>,
                               _ u: UnsafePointer<Float>, count: Int) {
        Threads.parallelFor(count, minChunk: 4096) { lo, hi in
            for i in lo..<hi { h[i] = GatedActivation.gelu(g[i]) * u[i] }
        }
    }

    /// dg, du (overwritten) ← dh, g, u
    public static func backward(_ dg: UnsafeMutablePointer<Float>, _ du: UnsafeMutablePointer<Float>,
                                _ dh: UnsafePointer<Float>, _ g: UnsafePointer<Float>,
                                _ u: UnsafePointer<Float>, count: Int) {
        Threads.parallelFor(count, minChunk: 4096) { lo, hi in
            for i in lo..<hi {
                du[i] = dh[i] * GatedActivation.gelu(g[i])
                dg[i] = dh[i] * u[i] * GatedActivation.geluDerivative(g[i])
            }
        }
    }
}
