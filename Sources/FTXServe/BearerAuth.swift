/// `Authorization: Bearer KEY` checked against the configured key in constant time (the time does
/// not depend on where the first differing byte is, nor on the key's content).
enum BearerAuth {
    static func allows(_ header: String?, key: String?) -> Bool {
        guard let key else { return true }
        guard let header, header.hasPrefix("Bearer ") else { return false }
        return constantTimeEqual(Array(header.utf8.dropFirst(7)), Array(key.utf8))
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var diff = UInt8(truncatingIfNeeded: a.count ^ b.count)
        if a.count != b.count { diff |= 1 }
        for i in 0..<b.count { diff |= (i < a.count ? a[i] : 0) ^ b[i] }
        return diff == 0
    }
}
