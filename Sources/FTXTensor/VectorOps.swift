import Foundation

/// Elementwise and row-wise kernels over raw f32 buffers (SIMD inner loops, fixed order).
public enum VectorOps {
    /// out[i] = x[i] / sqrt(mean(x²) + eps) · weight[i], for one row of n.
    @inline(__always)
    public static func rmsNorm(_ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ n: Int,
                               eps: Float, into out: UnsafeMutablePointer<Float>) {
        let ss = dotF32(x, x, n)
        let scale = 1 / (ss / Float(n) + eps).squareRoot()
        var i = 0
        let sv = SIMD16<Float>(repeating: scale)
        while i + 16 <= n {
            let v = loadX(x + i) * sv * loadX(weight + i)
            UnsafeMutableRawPointer(out + i).storeBytes(of: v, as: SIMD16<Float>.self)
            i += 16
        }
        while i < n { out[i] = x[i] * scale * weight[i]; i += 1 }
    }

    /// Row-wise RMSNorm over `rows` rows of `n`, in parallel.
    public static func rmsNormRows(_ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, rows: Int, n: Int,
                                   eps: Float, into out: UnsafeMutablePointer<Float>) {
        Threads.parallelFor(rows, maxChunks: rows * n < 1 << 15 ? 1 : nil) { s, e in
            for r in s..<e { rmsNorm(x + r * n, weight, n, eps: eps, into: out + r * n) }
        }
    }

    /// gate[i] = silu(gate[i]) · up[i]
    public static func swiglu(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, count: Int) {
        Threads.parallelFor(count, granularity: 1024, maxChunks: count < 1 << 14 ? 1 : nil) { s, e in
            for i in s..<e {
                let g = gate[i]
                gate[i] = g / (1 + expf(-g)) * up[i]
            }
        }
    }

    /// y[i] += x[i]
    @inline(__always)
    public static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 16 <= count {
            let s = loadX(UnsafePointer(y + i)) + loadX(x + i)
            UnsafeMutableRawPointer(y + i).storeBytes(of: s, as: SIMD16<Float>.self)
            i += 16
        }
        while i < count { y[i] += x[i]; i += 1 }
    }

    /// In-place softmax of one row; returns nothing. Max-subtracted for stability.
    @inline(__always)
    public static func softmax(_ x: UnsafeMutablePointer<Float>, _ n: Int) {
        guard n > 0 else { return }
        var m = -Float.infinity
        for i in 0..<n where x[i] > m { m = x[i] }
        var sum: Float = 0
        for i in 0..<n { let e = expf(x[i] - m); x[i] = e; sum += e }
        let inv = 1 / sum
        for i in 0..<n { x[i] *= inv }
    }

    /// log Σ exp(x) over one row, in double for scoring.
    public static func logSumExp(_ x: UnsafePointer<Float>, _ n: Int) -> Double {
        var m = -Float.infinity
        for i in 0..<n where x[i] > m { m = x[i] }
        var s = 0.0
        for i in 0..<n { s += exp(Double(x[i] - m)) }
        return Double(m) + log(s)
    }
}
