import Foundation

/// llama.cpp's GGUF converter permutes the q/k rows of adjacent-pair RoPE families (Llama) so RoPE
/// can rotate adjacent pairs: within each head, GGUF row 2i+s holds HF row s·(d/2)+i. These helpers
/// move row-major matrices (rows = out features: q/k weights, biases, LoRA B) between the two orders.
/// NEOX-style families (Qwen) store q/k in HF order and need none of this.
public enum QKPermutation {
    /// HF (rotate_half) order → GGUF (adjacent pairs) order.
    public static func hfToGGUF(_ m: [Float], rows: Int, cols: Int, heads: Int) -> [Float] {
        permute(m, rows: rows, cols: cols, heads: heads, toGGUF: true)
    }
    /// GGUF order → HF order (PEFT export).
    public static func ggufToHF(_ m: [Float], rows: Int, cols: Int, heads: Int) -> [Float] {
        permute(m, rows: rows, cols: cols, heads: heads, toGGUF: false)
    }

    /// The HF row that GGUF row `g` holds, for heads of `headDim` rows.
    @inline(__always) public static func hfRow(ofGGUFRow g: Int, headDim hd: Int) -> Int {
        let h = g / hd, j = g % hd, half = hd / 2
        return h * hd + (j % 2) * half + j / 2
    }

    static func permute(_ m: [Float], rows: Int, cols: Int, heads: Int, toGGUF: Bool) -> [Float] {
        precondition(m.count == rows * cols && rows % heads == 0 && (rows / heads) % 2 == 0)
        let hd = rows / heads
        var out = [Float](repeating: 0, count: m.count)
        for g in 0..<rows {
            let f = hfRow(ofGGUFRow: g, headDim: hd)
            let (dst, src) = toGGUF ? (g, f) : (f, g)
            for c in 0..<cols { out[dst * cols + c] = m[src * cols + c] }
        }
        return out
    }

    /// Rows of `rowBytes` bytes each, HF order at `src` → GGUF order, as a new buffer (for weights
    /// in their checkpoint dtype).
    public static func hfToGGUF(rows src: UnsafeRawPointer, rows: Int, rowBytes: Int, heads: Int) -> [UInt8] {
        precondition(rows % heads == 0 && (rows / heads) % 2 == 0)
        let hd = rows / heads
        var out = [UInt8](repeating: 0, count: rows * rowBytes)
        out.withUnsafeMutableBytes { dst in
            for g in 0..<rows {
                (dst.baseAddress! + g * rowBytes).copyMemory(from: src + hfRow(ofGGUFRow: g, headDim: hd) * rowBytes, byteCount: rowBytes)
            }
        }
        return out
    }
}
