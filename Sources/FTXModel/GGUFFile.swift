import FTXTensor

/// One tensor of a GGUF file: its name, shape (GGUF order: dims[0] is the row length), element
/// type and where its bytes are (absolute offset into the file).
public struct GGUFTensorInfo: Sendable {
    public let name: String
    public let dims: [Int]
    public let type: QuantType
    public let offset: Int
    public let byteCount: Int
    public var elementCount: Int { dims.reduce(1, *) }
    /// (rows, cols) of the tensor seen as a row-major matrix; cols = dims[0].
    public var rows: Int { dims.dropFirst().reduce(1, *) }
    public var cols: Int { dims.first ?? 1 }
}

/// A parsed GGUF file (versions 2 and 3): metadata and tensor directory over the mapped bytes.
/// Every count, length and offset is checked against the file size before it is used.
public final class GGUFFile: @unchecked Sendable {
    public let path: String
    public let file: MappedFile
    public let version: Int
    public let alignment: Int
    public let metadata: [String: GGUFValue]
    /// Keys in file order (for `model info`).
    public let metadataKeys: [String]
    public let tensors: [GGUFTensorInfo]
    public let dataOffset: Int
    private let index: [String: Int]

    public static let maxDims = 4

    public convenience init(path: String) throws {
        try self.init(file: try MappedFile(path: path), path: path)
    }

    public init(file: MappedFile, path: String) throws {
        self.path = path
        self.file = file
        var c = GGUFCursor(file: file, path: path)
        let magic = try c.u32()
        guard magic == 0x4655_4747 else {  // "GGUF" little-endian
            throw ModelError.badGGUF(path: path, offset: 0, "bad magic (not a GGUF file)")
        }
        let ver = try c.u32()
        guard ver == 2 || ver == 3 else {
            throw ModelError.badGGUF(path: path, offset: 4, "unsupported GGUF version \(ver) (2 and 3 are supported)")
        }
        version = Int(ver)
        let tensorCountAt = c.offset
        let nTensors = try c.u64()
        let kvCountAt = c.offset
        let nKV = try c.u64()
        // Each tensor info takes at least 8+0+4+8+4+8 bytes and each key/value at least 8+4+1.
        guard nTensors <= UInt64(c.remaining / 32) else {
            throw ModelError.badGGUF(path: path, offset: tensorCountAt, "tensor count \(nTensors) cannot fit in the file")
        }
        guard nKV <= UInt64(c.remaining / 13) else {
            throw ModelError.badGGUF(path: path, offset: kvCountAt, "metadata count \(nKV) cannot fit in the file")
        }
        var meta: [String: GGUFValue] = [:]
        var keys: [String] = []
        for _ in 0..<Int(nKV) {
            let keyAt = c.offset
            let key = try c.string()
            let value = try c.value(depth: 0)
            if meta[key] != nil {
                throw ModelError.badGGUF(path: path, offset: keyAt, "duplicate metadata key \(key)")
            }
            meta[key] = value
            keys.append(key)
        }
        metadata = meta
        metadataKeys = keys
        var align = 32
        if let a = meta["general.alignment"] {
            guard let v = a.int, v > 0, v & (v - 1) == 0, v <= 1 << 20 else {
                throw ModelError.badMetadata(path: path, key: "general.alignment", "alignment \(a) is not a power of two")
            }
            align = v
        }
        alignment = align
        struct Raw { let name: String; let dims: [Int]; let type: QuantType; let rel: UInt64; let at: Int }
        var raws: [Raw] = []
        var seen: [String: Int] = [:]
        for i in 0..<Int(nTensors) {
            let at = c.offset
            let name = try c.string()
            let nd = try c.u32()
            guard nd >= 1, nd <= UInt32(Self.maxDims) else {
                throw ModelError.badGGUF(path: path, offset: at, "tensor \(name) has \(nd) dimensions (1…\(Self.maxDims) allowed)")
            }
            var dims: [Int] = []
            var total = 1
            for _ in 0..<Int(nd) {
                let d = try c.u64()
                guard d > 0, d <= UInt64(Int32.max) else {
                    throw ModelError.badGGUF(path: path, offset: at, "tensor \(name) has dimension \(d)")
                }
                let (t, o) = total.multipliedReportingOverflow(by: Int(d))
                guard !o, t <= Int(Int32.max) * 64 else {
                    throw ModelError.badGGUF(path: path, offset: at, "tensor \(name) is absurdly large")
                }
                total = t
                dims.append(Int(d))
            }
            let typeAt = c.offset
            let rawType = try c.u32()
            guard let type = QuantType(rawValue: rawType) else {
                let what = QuantType.ggmlName(rawType).map { "\($0) (\(rawType))" } ?? "\(rawType), unknown to ftx"
                throw ModelError.badGGUF(path: path, offset: typeAt,
                                         "tensor \(name) has type \(what), which ftx does not read; it reads \(QuantType.supportedNames)")
            }
            let rel = try c.u64()
            if seen[name] != nil {
                throw ModelError.badGGUF(path: path, offset: at, "duplicate tensor name \(name)")
            }
            seen[name] = i
            raws.append(Raw(name: name, dims: dims, type: type, rel: rel, at: at))
        }
        let headerEnd = c.offset
        let (padded, o1) = headerEnd.addingReportingOverflow(align - 1)
        guard !o1 else { throw ModelError.badGGUF(path: path, offset: headerEnd, "header too large") }
        dataOffset = padded / align * align
        var infos: [GGUFTensorInfo] = []
        for r in raws {
            guard let rowBytes = r.type.rowBytes(r.dims[0]) else {
                throw ModelError.badTensor(path: path, tensor: r.name,
                    "row length \(r.dims[0]) is not a multiple of the \(r.type) block size \(r.type.blockSize)")
            }
            let rows = r.dims.dropFirst().reduce(1, *)
            let (bytes, o2) = rowBytes.multipliedReportingOverflow(by: rows)
            guard !o2 else { throw ModelError.badTensor(path: path, tensor: r.name, "size overflows") }
            guard r.rel % UInt64(align) == 0 else {
                throw ModelError.badTensor(path: path, tensor: r.name, "data offset \(r.rel) is not aligned to \(align)")
            }
            guard r.rel <= UInt64(file.size), dataOffset <= file.size,
                  Int(r.rel) <= file.size - dataOffset, bytes <= file.size - dataOffset - Int(r.rel) else {
                throw ModelError.badTensor(path: path, tensor: r.name,
                    "data [\(r.rel), +\(bytes)) after byte \(dataOffset) runs past the end of the file (\(file.size) bytes)")
            }
            infos.append(GGUFTensorInfo(name: r.name, dims: r.dims, type: r.type, offset: dataOffset + Int(r.rel), byteCount: bytes))
        }
        tensors = infos
        index = seen
    }

    public func tensor(_ name: String) -> GGUFTensorInfo? { index[name].map { tensors[$0] } }
    public func pointer(_ t: GGUFTensorInfo) -> UnsafeRawPointer { file.base + t.offset }

    public func int(_ key: String) -> Int? { metadata[key]?.int }
    public func requireInt(_ key: String) throws -> Int {
        guard let v = metadata[key] else { throw ModelError.missingKey(path: path, key: key) }
        guard let i = v.int else { throw ModelError.badMetadata(path: path, key: key, "expected an integer, found \(v.typeName)") }
        return i
    }
    public func string(_ key: String) -> String? { metadata[key]?.string }
    public func double(_ key: String) -> Double? { metadata[key]?.double }
}

/// Bounds-checked little-endian reader over the mapped header.
struct GGUFCursor {
    let file: MappedFile
    let path: String
    var offset = 0
    var base: UnsafeRawPointer { file.base }
    var size: Int { file.size }
    var remaining: Int { size - offset }

    init(file: MappedFile, path: String) { self.file = file; self.path = path }

    mutating func need(_ n: Int, _ what: String) throws {
        guard n >= 0, n <= remaining else {
            throw ModelError.badGGUF(path: path, offset: offset, "file ends inside \(what) (needs \(n) bytes, \(remaining) left)")
        }
    }
    mutating func load<T: FixedWidthInteger>(_ t: T.Type, _ what: String) throws -> T {
        try need(MemoryLayout<T>.size, what)
        let v = T(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: T.self))
        offset += MemoryLayout<T>.size
        return v
    }
    mutating func u32() throws -> UInt32 { try load(UInt32.self, "a u32") }
    mutating func u64() throws -> UInt64 { try load(UInt64.self, "a u64") }
    mutating func string() throws -> String {
        String(decoding: try stringRange(), as: UTF8.self)
    }
    /// A string's bytes (u64 length, then the bytes), checked against the file.
    mutating func stringRange() throws -> UnsafeRawBufferPointer {
        let at = offset
        let n = try u64()
        guard n <= UInt64(remaining) else {
            throw ModelError.badGGUF(path: path, offset: at, "string length \(n) runs past the end of the file")
        }
        let bytes = UnsafeRawBufferPointer(start: base + offset, count: Int(n))
        offset += Int(n)
        return bytes
    }
    mutating func value(depth: Int) throws -> GGUFValue {
        let at = offset
        let t = try u32()
        return try value(type: t, at: at, depth: depth)
    }
    mutating func value(type t: UInt32, at: Int, depth: Int) throws -> GGUFValue {
        switch t {
        case 0: return .uint8(try load(UInt8.self, "a u8"))
        case 1: return .int8(try load(Int8.self, "an i8"))
        case 2: return .uint16(try load(UInt16.self, "a u16"))
        case 3: return .int16(try load(Int16.self, "an i16"))
        case 4: return .uint32(try load(UInt32.self, "a u32"))
        case 5: return .int32(try load(Int32.self, "an i32"))
        case 6: return .float32(Float(bitPattern: try load(UInt32.self, "an f32")))
        case 7:
            let b = try load(UInt8.self, "a bool")
            guard b <= 1 else { throw ModelError.badGGUF(path: path, offset: at, "bool value \(b)") }
            return .bool(b == 1)
        case 8: return .string(try string())
        case 9:
            guard depth < 4 else { throw ModelError.badGGUF(path: path, offset: at, "arrays nested too deeply") }
            let et = try u32()
            let countAt = offset
            let n = try u64()
            let minSize: UInt64 = [1, 1, 2, 2, 4, 4, 4, 1, 8, 12, 8, 8, 8][Int(min(et, 12))]
            guard et <= 12 else { throw ModelError.badGGUF(path: path, offset: countAt - 4, "unknown array element type \(et)") }
            guard n <= UInt64(remaining) / minSize else {
                throw ModelError.badGGUF(path: path, offset: countAt, "array count \(n) cannot fit in the file")
            }
            // Walked and checked now, decoded when read (GGUFArray): memory stays at the file's size.
            let start = offset
            try skip(type: et, count: Int(n), depth: depth + 1)
            return .array(GGUFArray(elementType: et, count: Int(n), file: file, range: start..<offset, path: path, depth: depth))
        case 10: return .uint64(try load(UInt64.self, "a u64"))
        case 11: return .int64(try load(Int64.self, "an i64"))
        case 12: return .float64(Double(bitPattern: try load(UInt64.self, "an f64")))
        default:
            throw ModelError.badGGUF(path: path, offset: at, "unknown metadata value type \(t)")
        }
    }

    /// Moves over `n` array elements of type `t`, checking each (lengths, bools, nested arrays)
    /// against the file without decoding it. `n` already fits the remaining bytes at the
    /// smallest element size, which for fixed-size types is their size.
    mutating func skip(type t: UInt32, count n: Int, depth: Int) throws {
        switch t {
        case 8:
            for _ in 0..<n { _ = try stringRange() }
        case 9:
            for _ in 0..<n { _ = try value(type: t, at: offset, depth: depth) }
        case 7:
            for i in 0..<n where base.load(fromByteOffset: offset + i, as: UInt8.self) > 1 {
                throw ModelError.badGGUF(path: path, offset: offset + i, "bool value \(base.load(fromByteOffset: offset + i, as: UInt8.self))")
            }
            offset += n
        default:
            offset += n * [1, 1, 2, 2, 4, 4, 4, 1, 8, 12, 8, 8, 8][Int(t)]
        }
    }
}
