import Foundation

/// Rotary position embedding in llama.cpp's "normal" style: adjacent pairs (x[2i], x[2i+1]) of each head
/// rotate by pos·θ^(−2i/d). GGUF llama files store q/k rows permuted for exactly this layout.
public final class RoPETable: @unchecked Sendable {
    public let headDim: Int, maxPositions: Int
    let cos: FloatBuffer, sin: FloatBuffer   // [maxPositions × headDim/2]

    public init(headDim: Int, maxPositions: Int, theta: Float) {
        self.headDim = headDim
        self.maxPositions = maxPositions
        let half = headDim / 2
        cos = FloatBuffer(maxPositions * half)
        sin = FloatBuffer(maxPositions * half)
        for p in 0..<maxPositions {
            for i in 0..<half {
                // Same arithmetic as HF's inv_freq (f32 frequency, then angle).
                let invFreq = Float(1.0 / pow(Double(theta), Double(2 * i) / Double(headDim)))
                let angle = Float(p) * invFreq
                cos.p[p * half + i] = Foundation.cos(angle)
                sin.p[p * half + i] = Foundation.sin(angle)
            }
        }
    }
}

public enum RoPE {
    /// In place on x[N × heads·headDim]; pos[N] is each row's position.
    public static func forward(_ x: UnsafeMutablePointer<Float>, _ pos: UnsafePointer<Int32>,
                               rows n: Int, heads: Int, table: RoPETable) {
        rotate(x, pos, rows: n, heads: heads, table: table, sign: 1)
    }

    /// In place on dx: the transpose of the rotation is the rotation by −angle.
    public static func backward(_ dx: UnsafeMutablePointer<Float>, _ pos: UnsafePointer<Int32>,
                                rows n: Int, heads: Int, table: RoPETable) {
        rotate(dx, pos, rows: n, heads: heads, table: table, sign: -1)
    }

    static func rotate(_ x: UnsafeMutablePointer<Float>, _ pos: UnsafePointer<Int32>,
                       rows n: Int, heads: Int, table: RoPETable, sign: Float) {
        let hd = table.headDim, half = hd / 2, width = heads * hd
        let cosT = table.cos.p, sinT = table.sin.p
        Parallel.rows(n) { lo, hi in
            for r in lo..<hi {
                let c = cosT + Int(pos[r]) * half, s = sinT + Int(pos[r]) * half
                let row = x + r * width
                for h in 0..<heads {
                    let v = row + h * hd
                    for i in 0..<half {
                        let x0 = v[2 * i], x1 = v[2 * i + 1]
                        let ci = c[i], si = sign * s[i]
                        v[2 * i] = x0 * ci - x1 * si
                        v[2 * i + 1] = x0 * si + x1 * ci
                    }
                }
            }
        }
    }
}
