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
        func typeID(_ v: GGUFValue) -> UInt32 {
            switch v {
            case .uint8: return 0
            case .int8: return 1
            case .uint16: return 2
            case .int16: return 3
            case .uint32: return 4
            case .int32: return 5
            case .float32: return 6
            case .bool: return 7
            case .string: return 8
            case .array: return 9
            case .uint64: return 10
            case .int64: return 11
            case .float64: return 12
            }
        }
        func value(_ v: GGUFValue) {
            switch v {
            case .uint8(let x): out.append(x)
            case .int8(let x): out.append(UInt8(bitPattern: x))
            case .uint16(let x): withUnsafeBytes(of: x.littleEndian) { out += $0 }
            case .int16(let x): withUnsafeBytes(of: x.littleEndian) { out += $0 }
            case .uint32(let x): u32(x)
            case .int32(let x): withUnsafeBytes(of: x.littleEndian) { out += $0 }
            case .float32(let x): u32(x.bitPattern)
            case .bool(let x): out.append(x ? 1 : 0)
            case .string(let s): str(s)
            case .array(let a):
                u32(a.first.map(typeID) ?? 4)
                u64(UInt64(a.count))
                for e in a { value(e) }
            case .uint64(let x): u64(x)
            case .int64(let x): withUnsafeBytes(of: x.littleEndian) { out += $0 }
            case .float64(let x): u64(x.bitPattern)
            }
        }
        out += Array("GGUF".utf8)
        u32(3)
        u64(UInt64(tensors.count))
        let hasAlign = kv.contains { $0.0 == "general.alignment" }
        u64(UInt64(kv.count + (alignment != 32 && !hasAlign ? 1 : 0)))
        for (k, v) in kv { str(k); u32(typeID(v)); value(v) }
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
