import Crypto
import Foundation

/// Length-prefixed concatenation of strings, so ("ab","c") and ("a","bc") never collide.
struct CanonicalEncoder {
    private var bytes: [UInt8] = []

    mutating func add(_ s: String) {
        var n = UInt64(s.utf8.count)
        for _ in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: n)); n >>= 8 }
        bytes.append(contentsOf: s.utf8)
    }

    func sha256Hex() -> String {
        Hex.encode(SHA256.hash(data: bytes))
    }
}

enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)
    static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }
}
