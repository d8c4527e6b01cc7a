/// A GGUF metadata value (all 13 value types of the format).
public indirect enum GGUFValue: Sendable, Equatable, CustomStringConvertible {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
    case float32(Float), bool(Bool), string(String), array(GGUFArray)
    case uint64(UInt64), int64(Int64), float64(Double)

    /// Any integer value as Int (nil for non-integers or values that do not fit).
    public var int: Int? {
        switch self {
        case .uint8(let v): return Int(v)
        case .int8(let v): return Int(v)
        case .uint16(let v): return Int(v)
        case .int16(let v): return Int(v)
        case .uint32(let v): return Int(v)
        case .int32(let v): return Int(v)
        case .uint64(let v): return Int(exactly: v)
        case .int64(let v): return Int(v)
        case .bool(let v): return v ? 1 : 0
        default: return nil
        }
    }
    public var double: Double? {
        switch self {
        case .float32(let v): return Double(v)
        case .float64(let v): return v
        default: return int.map(Double.init)
        }
    }
    public var string: String? { if case .string(let s) = self { return s }; return nil }
    public var bool: Bool? { if case .bool(let b) = self { return b }; return int.map { $0 != 0 } }
    /// An array's elements, decoded (see GGUFArray).
    public var array: [GGUFValue]? { if case .array(let a) = self { return a.values }; return nil }

    public var typeName: String {
        if case .array(let a) = self { return "arr[\(Self.typeName(code: a.elementType))]" }
        return Self.typeName(code: typeCode)
    }

    static func typeName(code: UInt32) -> String {
        let names = ["u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "str", "arr", "u64", "i64", "f64"]
        return code < names.count ? names[Int(code)] : "type \(code)"
    }

    public var description: String {
        switch self {
        case .string(let s): return s.count > 60 ? String(s.prefix(57)) + "..." : s
        case .array(let a): return "[\(a.count) × \(Self.typeName(code: a.elementType))]"
        case .float32(let v): return "\(v)"
        case .float64(let v): return "\(v)"
        case .bool(let b): return "\(b)"
        default: return int.map { "\($0)" } ?? "?"
        }
    }
}

extension GGUFValue {
    /// The GGUF metadata value type id (gguf_type in the spec).
    public var typeCode: UInt32 {
        switch self {
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

    /// The value's bytes as GGUF stores them after its type id: little-endian scalars, strings as
    /// u64 length + UTF-8, arrays as element type + u64 count + elements (empty arrays say uint32).
    public var encoded: [UInt8] {
        var out: [UInt8] = []
        encode(into: &out)
        return out
    }

    public func encode(into out: inout [UInt8]) {
        func le<T: FixedWidthInteger>(_ x: T) { withUnsafeBytes(of: x.littleEndian) { out += $0 } }
        switch self {
        case .uint8(let x): out.append(x)
        case .int8(let x): out.append(UInt8(bitPattern: x))
        case .uint16(let x): le(x)
        case .int16(let x): le(x)
        case .uint32(let x): le(x)
        case .int32(let x): le(x)
        case .float32(let x): le(x.bitPattern)
        case .bool(let x): out.append(x ? 1 : 0)
        case .string(let s): le(UInt64(s.utf8.count)); out += Array(s.utf8)
        case .array(let a): a.encode(into: &out)
        case .uint64(let x): le(x)
        case .int64(let x): le(x)
        case .float64(let x): le(x.bitPattern)
        }
    }
}
