/// GPT-2's reversible byte ↔ printable-character mapping: printable Latin-1 bytes map to themselves,
/// the rest to U+0100 onwards, so every byte string is a string of visible characters.
enum ByteLevel {
    static let byteToScalar: [Unicode.Scalar] = {
        var keep = Array(33...126) + Array(161...172) + Array(174...255)
        var table = [UInt32](repeating: 0, count: 256)
        for b in keep { table[b] = UInt32(b) }
        var n: UInt32 = 0
        for b in 0..<256 where !keep.contains(b) {
            table[b] = 256 + n
            n += 1
        }
        keep.removeAll()
        return table.map { Unicode.Scalar($0)! }
    }()

    static let scalarToByte: [UInt32: UInt8] = {
        var m: [UInt32: UInt8] = [:]
        for (b, s) in byteToScalar.enumerated() { m[s.value] = UInt8(b) }
        return m
    }()

    /// The vocabulary string of a byte sequence.
    static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(byteToScalar[Int(b)]) }
        return String(s)
    }

    /// The bytes a vocabulary string stands for (characters outside the map stand for their UTF-8).
    static func decode(_ piece: String, into out: inout [UInt8]) {
        for sc in piece.unicodeScalars {
            if let b = scalarToByte[sc.value] { out.append(b) } else { out.append(contentsOf: Array(String(sc).utf8)) }
        }
    }
}
