import FTXCore
import Foundation

/// A SHA-256 object id: the hash of `"<type> <size>\0"` followed by the content.
public struct ObjectID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The 32 digest bytes, kept as four words so ids are cheap to hash, compare and store.
    public let w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

    public static let zero = ObjectID(w0: 0, w1: 0, w2: 0, w3: 0)

    init(w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64) {
        self.w0 = w0; self.w1 = w1; self.w2 = w2; self.w3 = w3
    }

    /// From 32 raw bytes (big-endian words, so ordering matches the hex text).
    public init(bytes p: UnsafeRawBufferPointer) {
        func word(_ o: Int) -> UInt64 {
            var v: UInt64 = 0
            for i in 0..<8 { v = (v << 8) | UInt64(p[o + i]) }
            return v
        }
        self.init(w0: word(0), w1: word(8), w2: word(16), w3: word(24))
    }

    public init(digest: SHA256Digest) {
        self = digest.withUnsafeBytes { ObjectID(bytes: $0) }
    }

    /// Parses exactly 64 lowercase or uppercase hex digits.
    public init?(hex: String) {
        let u = Array(hex.utf8)
        guard u.count == 64 else { return nil }
        var words = [UInt64](repeating: 0, count: 4)
        for (i, c) in u.enumerated() {
            guard let v = hexValue(c) else { return nil }
            words[i / 16] = (words[i / 16] << 4) | UInt64(v)
        }
        self.init(w0: words[0], w1: words[1], w2: words[2], w3: words[3])
    }

    public var hex: String {
        var out = [UInt8](repeating: 0, count: 64)
        let digits = Array("0123456789abcdef".utf8)
        for (wi, w) in [w0, w1, w2, w3].enumerated() {
            for j in 0..<16 { out[wi * 16 + j] = digits[Int((w >> UInt64(60 - 4 * j)) & 0xf)] }
        }
        return String(decoding: out, as: UTF8.self)
    }

    public var description: String { hex }
    public var short: String { String(hex.prefix(12)) }
    public var isZero: Bool { self == .zero }
    public var firstByte: UInt8 { UInt8(w0 >> 56) }

    /// Appends the 32 raw bytes (for packs and indexes).
    public func appendBytes(to data: inout Data) {
        for w in [w0, w1, w2, w3] {
            var be = w.bigEndian
            withUnsafeBytes(of: &be) { data.append(contentsOf: $0) }
        }
    }

    public static func < (a: ObjectID, b: ObjectID) -> Bool {
        if a.w0 != b.w0 { return a.w0 < b.w0 }
        if a.w1 != b.w1 { return a.w1 < b.w1 }
        if a.w2 != b.w2 { return a.w2 < b.w2 }
        return a.w3 < b.w3
    }

    /// The id of `content` stored as an object of `type`.
    public static func hash(type: ObjectType, content: UnsafeRawBufferPointer) -> ObjectID {
        var h = SHA256()
        h.update(data: Data(ObjectHeader.encode(type: type, size: content.count)))
        h.update(bufferPointer: content)
        return ObjectID(digest: h.finalize())
    }

    public static func hash(type: ObjectType, content: Data) -> ObjectID {
        content.withUnsafeBytes { hash(type: type, content: $0) }
    }
}

@inline(__always) func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case 48...57: return c - 48
    case 97...102: return c - 87
    case 65...70: return c - 55
    default: return nil
    }
}

func isHexString(_ s: String) -> Bool { !s.isEmpty && s.utf8.allSatisfy { hexValue($0) != nil } }

/// The five object types (docs/architecture.md, "Objects").
public enum ObjectType: String, Sendable, CaseIterable {
    case blob, chunked, tree, commit, tag
}

/// `"<type> <size>\0"`: the typed header hashed (and stored) in front of every object's content.
enum ObjectHeader {
    static func encode(type: ObjectType, size: Int) -> [UInt8] {
        Array("\(type.rawValue) \(size)".utf8) + [0]
    }

    /// Parses a header at the start of `bytes`; returns type, size and header length.
    static func decode(_ bytes: UnsafeRawBufferPointer) -> (ObjectType, Int, Int)? {
        let limit = min(bytes.count, 32)
        guard let nul = (0..<limit).first(where: { bytes[$0] == 0 }) else { return nil }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[0..<nul]), as: UTF8.self)
        let parts = text.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2, let type = ObjectType(rawValue: String(parts[0])),
              let size = Int(parts[1]), size >= 0, String(size) == parts[1] else { return nil }
        return (type, size, nul + 1)
    }
}
