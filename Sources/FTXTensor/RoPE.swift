import Foundation
import FTXCore

/// cos/sin of every position's rotary angles, positions 0..<maxPositions, grown on demand (a
/// position's row never changes, so growing computes only the new rows). Frequencies and angles are
/// computed in double precision and rounded to f32 once: against the float64 reference logits this
/// is closer than Hugging Face's all-f32 angles (SmolLM2, max |Δlogit| 3.8e-5 vs 4.0e-5; with 8-bit
/// activations 1.60 vs 1.70), and against PyTorch/PEFT both agree to f32 rounding (9.5e-7).
public final class RoPETable: @unchecked Sendable {
    public let headDim: Int
    /// Which elements of a head rotate together.
    public let style: RoPEStyle
    public private(set) var maxPositions = 0
    private var capacity = 1
    /// θ^(−2i/d) / factor_i for i < headDim/2.
    let invFreq: [Double]
    private(set) var cos: UnsafeMutablePointer<Float>   // [capacity × headDim/2]
    private(set) var sin: UnsafeMutablePointer<Float>

    /// `freqFactors` (headDim/2 values, Llama 3's `rope_freqs`) divide the frequencies, as llama.cpp does.
    public init(headDim: Int, maxPositions: Int, theta: Float, style: RoPEStyle = .normal, freqFactors: [Float]? = nil) {
        precondition(freqFactors == nil || freqFactors!.count == headDim / 2)
        self.headDim = headDim; self.style = style
        invFreq = (0..<(headDim / 2)).map { i in
            pow(Double(theta), -2.0 * Double(i) / Double(headDim)) / Double(freqFactors?[i] ?? 1)
        }
        cos = .allocate(capacity: headDim / 2)
        sin = .allocate(capacity: headDim / 2)
        reserve(maxPositions)
    }

    deinit { cos.deallocate(); sin.deallocate() }

    /// Makes the table cover positions 0..<n. Storage doubles, so a decoding loop that asks for
    /// one more position per token copies the table only now and then.
    public func reserve(_ n: Int) {
        guard n > maxPositions else { return }
        let half = headDim / 2
        if n > capacity {
            capacity = max(n, 2 * capacity)
            let c = UnsafeMutablePointer<Float>.allocate(capacity: capacity * half)
            let s = UnsafeMutablePointer<Float>.allocate(capacity: capacity * half)
            c.update(from: cos, count: maxPositions * half)
            s.update(from: sin, count: maxPositions * half)
            cos.deallocate(); sin.deallocate()
            cos = c; sin = s
        }
        for p in maxPositions..<n {
            for i in 0..<half {
                let angle = Double(p) * invFreq[i]
                cos[p * half + i] = Float(Foundation.cos(angle))
                sin[p * half + i] = Float(Foundation.sin(angle))
            }
        }
        maxPositions = n
    }
}

/// Which two elements of a head rotate together by pos·θ^(−2i/d).
public enum RoPEStyle: String, Codable, Sendable {
    /// llama.cpp's "normal": adjacent pairs (x[2i], x[2i+1]). GGUF llama files store q/k rows
    /// permuted for exactly this layout.
    case normal
    /// GPT-NeoX's halves (x[i], x[i+d/2]), Hugging Face's rotate_half: Qwen, Gemma, Phi-3. Their GGUF
    /// q/k rows are in Hugging Face order.
    case neox
}

/// Rotary position embedding in either style (the table says which). Inference (FTXModel) and
/// training (FTXTrain) both rotate through here.
public enum RoPE {
    /// In place on x[N × heads·headDim]; pos[N] is each row's position (< table.maxPositions).
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
        let cosT = table.cos, sinT = table.sin, style = table.style
        Threads.parallelFor(n, minChunk: 16) { lo, hi in
            for r in lo..<hi {
                let c = cosT + Int(pos[r]) * half, s = sinT + Int(pos[r]) * half
                let row = x + r * width
                for h in 0..<heads {
                    let v = row + h * hd
                    // The partner of element i: the next one (normal) or the one half a head on (neox).
                    let (step, pair) = style == .normal ? (2, 1) : (1, half)
                    for i in 0..<half {
                        let j = i * step
                        let x0 = v[j], x1 = v[j + pair]
                        let ci = c[i], si = sign * s[i]
                        v[j] = x0 * ci - x1 * si
                        v[j + pair] = x0 * si + x1 * ci
                    }
                }
            }
        }
    }
}
