import FTXCore
import Foundation

/// The nonlinearity of a gated MLP, h = act(gate)·up: SiLU (SwiGLU: Llama, Qwen) or GELU with the
/// tanh approximation (GeGLU: Gemma's `gelu_pytorch_tanh`, llama.cpp's `ggml_gelu`).
public enum GatedActivation: String, Codable, Sendable {
    case silu, geluTanh

    /// gate[i] = act(gate[i]) · up[i] (inference).
    public func apply(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, count: Int) {
        switch self {
        case .silu: VectorOps.swiglu(gate, up, count: count)
        case .geluTanh:
            Threads.parallelFor(count, granularity: 1024, maxChunks: count < 1 << 14 ? 1 : nil) { s, e in
                for i in s..<e { gate[i] = GatedActivation.gelu(gate[i]) * up[i] }
            }
        }
    }

    static let c0 = Float((2 / Double.pi).squareRoot()), c1: Float = 0.044715

    /// 0.5·g·(1 + tanh(√(2/π)·(g + 0.044715·g³)))
    @inline(__always) public static func gelu(_ g: Float) -> Float {
        0.5 * g * (1 + tanhf(c0 * (g + c1 * g * g * g)))
    }

    /// d gelu(g) / dg
    @inline(__always) public static func geluDerivative(_ g: Float) -> Float {
        let t = tanhf(c0 * (g + c1 * g * g * g))
        return 0.5 * (1 + t) + 0.5 * g * (1 - t * t) * c0 * (1 + 3 * c1 * g * g)
    }
}
