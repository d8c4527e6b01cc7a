import Foundation
import FTXCore

/// RMSNorm: out = x · rstd · w, rstd = 1/√(mean(x²) + eps). The weight is frozen (no weight gradient).
public enum RMSNorm {
    /// out[N×C], rstd[N] ← inp[N×C], weight[C]
    public static func forward(_ out: UnsafeMutablePointer<Float>, _ rstd: UnsafeMutablePointer<Float>,
                               _ inp: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                               rows n: Int, cols c: Int, eps: Float) {
        Threads.parallelFor(n, minChunk: 16) { lo, hi in
            for i in lo..<hi {
                let x = inp + i * c, y = out + i * c
                var ss: Float = 0
                for j in 0..<c { ss += x[j] * x[j] }
                let r = 1 / (ss / Float(c) + eps).squareRoot()
                rstd[i] = r
                for j in 0..<c { y[j] = x[j] * r * weight[j] }
            }
        }
    }

    /// dinp[N×C] += ∂L/∂inp given dout[N×C] (uses inp and the saved rstd).
    /// dx = rstd·(w∘dy) − x·rstd³/C·Σ(w∘dy∘x)
    public static func backward(_ dinp: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>,
                                _ inp: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                                _ rstd: UnsafePointer<Float>, rows n: Int, cols c: Int) {
        Threads.parallelFor(n, minChunk: 16) { lo, hi in
            for i in lo..<hi {
                let x = inp + i * c, dy = dout + i * c, dx = dinp + i * c
                let r = rstd[i]
                var dot: Float = 0
                for j in 0..<c { dot += weight[j] * dy[j] * x[j] }
                let k = r * r * r * dot / Float(c)
                for j in 0..<c { dx[j] += r * weight[j] * dy[j] - x[j] * k }
            }
        }
    }
}
