/// GGML tensor element types (the numbering is GGUF's). Quantized types store rows as a sequence of
/// fixed-size blocks; `blockSize` elements take `blockBytes` bytes.
public enum QuantType: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8
    case q2_K = 10, q3_K = 11, q4_K = 12, q5_K = 13, q6_K = 14, bf16 = 30

    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16: return 1
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0: return 32
        case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K: return 256
        }
    }
    public var blockBytes: Int {
        switch self {
        case .f32: return 4
        case .f16, .bf16: return 2
        case .q4_0: return 18
        case .q4_1: return 20
        case .q5_0: return 22
        case .q5_1: return 24
        case .q8_0: return 34
        case .q2_K: return 84
        case .q3_K: return 110
        case .q4_K: return 144
        case .q5_K: return 176
        case .q6_K: return 210
        }
    }
    public var isQuantized: Bool { blockSize > 1 }
    public var description: String {
        switch self {
        case .f32: return "F32"
        case .f16: return "F16"
        case .bf16: return "BF16"
        case .q4_0: return "Q4_0"
        case .q4_1: return "Q4_1"
        case .q5_0: return "Q5_0"
        case .q5_1: return "Q5_1"
        case .q8_0: return "Q8_0"
        case .q2_K: return "Q2_K"
        case .q3_K: return "Q3_K"
        case .q4_K: return "Q4_K"
        case .q5_K: return "Q5_K"
        case .q6_K: return "Q6_K"
        }
    }
    /// GGML's name for a type id, known to ftx or not (for errors about types it does not read).
    public static func ggmlName(_ raw: UInt32) -> String? {
        if let t = QuantType(rawValue: raw) { return t.description }
        let others: [UInt32: String] = [9: "Q8_1", 15: "Q8_K", 16: "IQ2_XXS", 17: "IQ2_XS", 18: "IQ3_XXS", 19: "IQ1_S", 20: "IQ4_NL",
                                        21: "IQ3_S", 22: "IQ2_S", 23: "IQ4_XS", 24: "I8", 25: "I16", 26: "I32", 27: "I64",
                                        28: "F64", 29: "IQ1_M", 34: "TQ1_0", 35: "TQ2_0", 39: "MXFP4"]
        return others[raw]
    }

    /// The types ftx reads, by name, for error messages.
    public static var supportedNames: String { allCases.map(\.description).joined(separator: ", ") }

    /// Bytes of one row of `count` elements, or nil when `count` is not a whole number of blocks.
    public func rowBytes(_ count: Int) -> Int? {
        guard count >= 0, count % blockSize == 0 else { return nil }
        let (r, o) = (count / blockSize).multipliedReportingOverflow(by: blockBytes)
        return o ? nil : r
    }
}

import _Builtin_intrinsics.intel

/// Half-precision and bfloat16 bit patterns to Float (F16C vcvtph2ps; Swift's Float(Float16) is a
/// generic, slow path on this platform).
@inline(__always) public func halfToFloat(_ bits: UInt16) -> Float { _cvtsh_ss(bits) }
@inline(__always) public func bf16ToFloat(_ bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }
@inline(__always) public func floatToHalf(_ x: Float) -> UInt16 { Float16(x).bitPattern }
@inline(__always) public func floatToBF16(_ x: Float) -> UInt16 {
    // Round to nearest even, as PyTorch/ggml do.
    let b = x.bitPattern
    if x.isNaN { return 0x7fc0 }
    return UInt16((b &+ 0x7fff &+ ((b >> 16) & 1)) >> 16)
}

@inline(__always) func loadU16(_ p: UnsafeRawPointer, _ offset: Int) -> UInt16 {
    p.loadUnaligned(fromByteOffset: offset, as: UInt16.self)
}
