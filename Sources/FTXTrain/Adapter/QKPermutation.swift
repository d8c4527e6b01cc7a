import Foundation

/// llama.cpp's GGUF converter permutes q/k rows so RoPE can rotate adjacent pairs: within each head,
/// GGUF row 2i+half holds HF row half·(d/2)+i. These helpers move row-major matrices (rows = out
/// features, e.g. q/k weights or LoRA B) between the two orders.
public enum QKPermutation {
    /// HF (rotate_half) order → GGUF (adjacent pairs) order.
    public static func hfToGGUF(_ m: [Float], rows: Int, cols: Int, heads: Int) -> [Float] {
        permute(m, rows: rows, cols: cols, heads: heads, toGGUF: true)
    }
    /// GGUF order → HF order (PEFT export).
    public static func ggufToHF(_ m: [Float], rows: Int, cols: Int, heads: Int) -> [Float] {
        permute(m, rows: rows, cols: cols, heads: heads, toGGUF: false)
    }

    static func permute(_ m: [Float], rows: Int, cols: Int, heads: Int, toGGUF: Bool) -> [Float] {
        precondition(m.count == rows * cols && rows % heads == 0 && (rows / heads) % 2 == 0)
        let hd = rows / heads, half = hd / 2
        var out = [Float](repeating: 0, count: m.count)
        for h in 0..<heads {
            for i in 0..<half {
                for s in 0..<2 {
                    let g = h * hd + 2 * i + s, f = h * hd + s * half + i
                    let (dst, src) = toGGUF ? (g, f) : (f, g)
                    for c in 0..<cols { out[dst * cols + c] = m[src * cols + c] }
                }
            }
        }
        return out
    }
}
