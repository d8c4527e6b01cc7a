/// Fast non-cryptographic 64-bit hashing (wyhash-style multiply-fold) for in-memory grouping keys.
/// Stable across runs and machines (fixed constants, little-endian loads), so splits that use it are
/// reproducible. Example ids use SHA-256 instead.
public enum FastHash {
    static let p0: UInt64 = 0xA076_1D64_78BD_642F
    static let p1: UInt64 = 0xE703_7ED1_A0B4_28DB
    static let p2: UInt64 = 0x8EBC_6AF0_9C88_C6E3

    @inline(__always) static func fold(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let r = a.multipliedFullWidth(by: b)
        return r.high ^ r.low
    }

    /// Combines a running hash with one more 64-bit value (order-sensitive).
    @inline(__always) public static func combine(_ h: UInt64, _ v: UInt64) -> UInt64 {
        fold(h ^ p0, v ^ p1) ^ h
    }

    /// Final avalanche so nearby inputs give unrelated outputs.
    @inline(__always) public static func finalize(_ h: UInt64) -> UInt64 {
        fold(h ^ p2, p1 ^ 0x5851_F42D_4C95_7F2D)
    }

    public static func bytes(_ p: UnsafeRawBufferPointer, seed: UInt64 = 0) -> UInt64 {
        let n = p.count
        var h = seed ^ fold(seed ^ p0, UInt64(n) ^ p1)
        var i = 0
        if let base = p.baseAddress {
            while i + 16 <= n {
                let a = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                let b = base.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self)
                h = fold(a ^ p1 ^ h, b ^ p2)
                i += 16
            }
            if i + 8 <= n {
                h = fold(base.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ p1 ^ h, p2)
                i += 8
            }
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < n {
                tail |= UInt64(base.load(fromByteOffset: i, as: UInt8.self)) << shift
                shift += 8
                i += 1
            }
            h = fold(tail ^ p0 ^ h, UInt64(n) ^ p1)
        }
        return finalize(h)
    }

    public static func string(_ s: String, seed: UInt64 = 0) -> UInt64 {
        var s = s
        return s.withUTF8 { bytes(UnsafeRawBufferPointer($0), seed: seed) }
    }
}
