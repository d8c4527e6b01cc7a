import Foundation
import FTXCore

/// Length-prefixed concatenation of strings, so ("ab","c") and ("a","bc") never collide.
struct CanonicalEncoder {
    private var bytes: [UInt8] = []

    mutating func add(_ s: String) {
        var n = UInt64(s.utf8.count)
        for _ in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: n)); n >>= 8 }
        bytes.append(contentsOf: s.utf8)
    }

    func sha256Hex() -> String {
        SHA256.hash(data: bytes).hex
    }
}
