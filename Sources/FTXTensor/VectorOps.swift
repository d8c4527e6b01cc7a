import FTXCore
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
            var i = s
            let one = SIMD16<Float>(repeating: 1)
            while i + 16 <= e {
                let g = loadX(UnsafePointer(gate + i))
                let v = g / (one + simdExp(-g)) * loadX(up + i)
                UnsafeMutableRawPointer(gate + i).storeBytes(of: v, as: SIMD16<Float>.self)
                i += 16
            }
            while i < e {
                let g = gate[i]
                gate[i] = g / (1 + expf(-g)) * up[i]
                i += 1
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

    /// y[r·n + i] += bias[i] for every row r < rows.
    public static func addRowBias(_ bias: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, rows: Int, n: Int) {
        for r in 0..<rows { add(bias, into: y + r * n, count: n) }
    }

    /// In-place softmax of one row. Max-subtracted for stability; fixed summation order.
    @inline(__always)
    public static func softmax(_ x: UnsafeMutablePointer<Float>, _ n: Int) {
        guard n > 0 else { return }
        // The maximum 16 lanes at a time (a NaN never replaces it, as in the scalar loop after).
        var lanes = SIMD16<Float>(repeating: -.infinity)
        var i = 0
        while i + 16 <= n {
            let v = loadX(UnsafePointer(x + i))
            lanes.replace(with: v, where: v .> lanes)
            i += 16
        }
        var m = lanes.max()
        while i < n { if x[i] > m { m = x[i] }; i += 1 }
        let mv = SIMD16<Float>(repeating: m)
        var acc = SIMD16<Float>()
        i = 0
        while i + 16 <= n {
            let e = simdExp(loadX(UnsafePointer(x + i)) - mv)
            UnsafeMutableRawPointer(x + i).storeBytes(of: e, as: SIMD16<Float>.self)
            acc += e
            i += 16
        }
        var sum = acc.sum()
        while i < n { let e = expf(x[i] - m); x[i] = e; sum += e; i += 1 }
        let inv = 1 / sum
        i = 0
        let iv = SIMD16<Float>(repeating: inv)
        while i + 16 <= n {
            UnsafeMutableRawPointer(x + i).storeBytes(of: loadX(UnsafePointer(x + i)) * iv, as: SIMD16<Float>.self)
            i += 16
        }
        while i < n { x[i] *= inv; i += 1 }
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
