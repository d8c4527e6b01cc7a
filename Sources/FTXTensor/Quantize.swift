import Foundation

/// Quantization of f32 rows into GGUF blocks, as llama.cpp's reference quantizers
/// (`quantize_row_q8_0_ref`, `_q4_1_ref`, `_q5_0_ref`, `_q4_K_ref`) do, for the GGUFs ftx writes:
/// Q8_0: d = max|x|/127, q = round(x/d); Q4_1: d = (max − min)/15, m = min, q = round((x − m)/d)
/// clamped to 15, low nibble element j, high nibble element j + 16; Q5_0: d = −(the value of
/// largest magnitude)/16, q = trunc(x/d + 16.5), its fifth bits packed in `qh`; Q4_K: see
/// QuantizeK.swift. `dequantizeRow` reads them back.
public enum Quantize {
    /// The types `row(_:count:as:)` writes.
    public static let types: [QuantType] = [.q8_0, .q4_1, .q5_0, .q4_K]

    /// `count` values (a multiple of `type.blockSize`) of `x` in `type`'s blocks; nil when a value
    /// is not finite (the integer conversions below would trap on it).
    public static func row(_ x: UnsafePointer<Float>, count: Int, as type: QuantType) -> [UInt8]? {
        let n = type.blockSize
        precondition(types.contains(type) && count % n == 0, "Quantize.row: \(type) of \(count) values")
        for i in 0..<count where !x[i].isFinite { return nil }
        var out = [UInt8](repeating: 0, count: count / n * type.blockBytes)
        out.withUnsafeMutableBytes { o in
            for b in 0..<(count / n) {
                let src = x + n * b, dst = o.baseAddress! + b * type.blockBytes
                switch type {
                case .q8_0: q8_0(src, dst)
                case .q4_1: q4_1(src, dst)
                case .q5_0: q5_0(src, dst)
                default: q4_K(src, dst)
                }
            }
        }
        return out
    }

    static func q8_0(_ x: UnsafePointer<Float>, _ out: UnsafeMutableRawPointer) {
        var amax: Float = 0
        for j in 0..<32 { amax = max(amax, abs(x[j])) }
        let d = amax / 127, id: Float = d != 0 ? 1 / d : 0
        out.storeBytes(of: floatToHalf(d).littleEndian, as: UInt16.self)
        for j in 0..<32 { out.storeBytes(of: Int8((x[j] * id).rounded()), toByteOffset: 2 + j, as: Int8.self) }
    }

    static func q4_1(_ x: UnsafePointer<Float>, _ out: UnsafeMutableRawPointer) {
        var lo = Float.greatestFiniteMagnitude, hi = -Float.greatestFiniteMagnitude
        for j in 0..<32 { lo = min(lo, x[j]); hi = max(hi, x[j]) }
        let d = (hi - lo) / 15, id: Float = d != 0 ? 1 / d : 0
        out.storeBytes(of: floatToHalf(d).littleEndian, as: UInt16.self)
        out.storeBytes(of: floatToHalf(lo).littleEndian, toByteOffset: 2, as: UInt16.self)
        for j in 0..<16 {
            let a = min(15, UInt8((x[j] - lo) * id + 0.5)), b = min(15, UInt8((x[j + 16] - lo) * id + 0.5))
            out.storeBytes(of: a | b << 4, toByteOffset: 4 + j, as: UInt8.self)
        }
    }

    static func q5_0(_ x: UnsafePointer<Float>, _ out: UnsafeMutableRawPointer) {
        var amax: Float = 0, peak: Float = 0
        for j in 0..<32 where abs(x[j]) > amax { amax = abs(x[j]); peak = x[j] }
        let d = peak / -16, id: Float = d != 0 ? 1 / d : 0
        out.storeBytes(of: floatToHalf(d).littleEndian, as: UInt16.self)
        var qh: UInt32 = 0
        for j in 0..<16 {
            // x·id lies in [−16, 16], so the truncation is in range.
            let a = min(31, UInt8(x[j] * id + 16.5)), b = min(31, UInt8(x[j + 16] * id + 16.5))
            out.storeBytes(of: (a & 0x0F) | (b & 0x0F) << 4, toByteOffset: 6 + j, as: UInt8.self)
            qh |= UInt32(a >> 4) << j | UInt32(b >> 4) << (j + 16)
        }
        out.storeBytes(of: qh.littleEndian, toByteOffset: 2, as: UInt32.self)
    }
}
