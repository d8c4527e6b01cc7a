import Foundation
import FTXCore

/// AdamW as PyTorch defines it (decoupled weight decay applied before the moment update):
///   p ← p − lr·wd·p;  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
///   p ← p − lr · (m / (1−β1ᵗ)) / (√(v / (1−β2ᵗ)) + eps)
public struct AdamWConfig: Codable, Equatable, Sendable {
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var eps: Float = 1e-8
    public var weightDecay: Float = 0
    public init(beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8, weightDecay: Float = 0) {
        self.beta1 = beta1; self.beta2 = beta2; self.eps = eps; self.weightDecay = weightDecay
    }
}

public final class AdamW {
    public let config: AdamWConfig
    public let m: FloatBuffer, v: FloatBuffer
    /// Number of updates taken (t in the bias corrections).
    public var t: Int = 0

    public init(count: Int, config: AdamWConfig) {
        self.config = config
        m = FloatBuffer(count); v = FloatBuffer(count)
    }

    public func step(params: UnsafeMutablePointer<Float>, grads: UnsafePointer<Float>, count: Int, lr: Float) {
        t += 1
        let c = config
        let bc1 = 1 - powf(c.beta1, Float(t)), bc2 = 1 - powf(c.beta2, Float(t))
        let m = self.m.p, v = self.v.p
        Threads.parallelFor(count, minChunk: 4096) { lo, hi in
            for i in lo..<hi {
                let g = grads[i]
                var p = params[i]
                p -= lr * c.weightDecay * p
                m[i] = c.beta1 * m[i] + (1 - c.beta1) * g
                v[i] = c.beta2 * v[i] + (1 - c.beta2) * g * g
                let mh = m[i] / bc1, vh = v[i] / bc2
                p -= lr * mh / (vh.squareRoot() + c.eps)
                params[i] = p
            }
        }
    }
}
