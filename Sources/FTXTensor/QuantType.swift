/// GGML tensor element types (the numbering is GGUF's). Quantized types store rows as a sequence of
/// fixed-size blocks; `blockSize` elements take `blockBytes` bytes.
public enum QuantType: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q8_0 = 8, q4_K = 12, q6_K = 14, bf16 = 30

    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16: return 1
        case .q4_0, .q4_1, .q8_0: return 32
        case .q4_K, .q6_K: return 256
        }
    }
    public var blockBytes: Int {
        switch self {
        case .f32: return 4
        case .f16, .bf16: return 2
        case .q4_0: return 18
        case .q4_1: return 20
        case .q8_0: return 34
        case .q4_K: return 144
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
        case .q8_0: return "Q8_0"
        case .q4_K: return "Q4_K"
        case .q6_K: return "Q6_K"
        }
    }
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
