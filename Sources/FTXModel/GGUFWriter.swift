import FTXTensor

/// Builds a GGUF (v3) file in memory: metadata in insertion order, then tensors aligned to
/// `alignment`. Used for tiny test models and adapter export.
public struct GGUFWriter {
    public var alignment = 32
    private var kv: [(String, GGUFValue)] = []
    private var tensors: [(name: String, dims: [Int], type: QuantType, bytes: [UInt8])] = []

    public init() {}

    public mutating func set(_ key: String, _ value: GGUFValue) { kv.append((key, value)) }

    /// Adds a tensor; `dims` in GGUF order (dims[0] = row length); `bytes` already in `type`'s layout.
    public mutating func addTensor(_ name: String, dims: [Int], type: QuantType, bytes: [UInt8]) {
        tensors.append((name, dims, type, bytes))
    }
    public mutating func addTensor(_ name: String, dims: [Int], f32 values: [Float]) {
        var b: [UInt8] = []
        b.reserveCapacity(values.count * 4)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { b += $0 } }
        addTensor(name, dims: dims, type: .f32, bytes: b)
    }

    public func bytes() -> [UInt8] {
        var out: [UInt8] = []
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        func str(_ s: String) { u64(UInt64(s.utf8.count)); out += Array(s.utf8) }
        out += Array("GGUF".utf8)
        u32(3)
        u64(UInt64(tensors.count))
        let hasAlign = kv.contains { $0.0 == "general.alignment" }
        u64(UInt64(kv.count + (alignment != 32 && !hasAlign ? 1 : 0)))
        for (k, v) in kv { str(k); u32(v.typeCode); v.encode(into: &out) }
        if alignment != 32 && !hasAlign { str("general.alignment"); u32(4); u32(UInt32(alignment)) }
        var offset = 0
        for t in tensors {
            str(t.name)
            u32(UInt32(t.dims.count))
            for d in t.dims { u64(UInt64(d)) }
            u32(t.type.rawValue)
            u64(UInt64(offset))
            offset += (t.bytes.count + alignment - 1) / alignment * alignment
        }
        while out.count % alignment != 0 { out.append(0) }
        for t in tensors {
            out += t.bytes
            while out.count % alignment != 0 { out.append(0) }
        }
        return out
    }
}
