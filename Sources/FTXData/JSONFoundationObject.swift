import Foundation

extension JSONParser {
    /// Parses exactly one JSON value filling `data`.
    public static func parse(_ data: Data) throws -> JSONValue {
        try data.withUnsafeBytes { raw in
            try parse(UnsafeBufferPointer(start: raw.baseAddress?.assumingMemoryBound(to: UInt8.self), count: raw.count))
        }
    }
}

extension JSONValue {
    /// The value in the shapes JSONSerialization gives ([String: Any], [Any], String, Bool, NSNull,
    /// NSNumber), with every number read exactly: an integer spelling that fits an Int as that Int,
    /// anything else as the correctly rounded Double. Use it to read back numbers ftx wrote:
    /// swift-corelibs-foundation's JSONSerialization goes through a decimal type and returns some
    /// 17-digit doubles one ulp off (6.2465869232460305 comes back as 6.246586923246027).
    public var foundationObject: Any {
        switch self {
        case .null: return NSNull()
        case .bool(let b): return b
        case .number(let s):
            if let i = Int(s) { return NSNumber(value: i) }
            return NSNumber(value: Double(s) ?? .nan)   // the parser only passes RFC 8259 spellings
        case .string(let s): return s
        case .array(let items): return items.map(\.foundationObject)
        case .object(let members):
            var d: [String: Any] = [:]
            for m in members { d[m.key] = m.value.foundationObject }   // the last of a repeated key wins, as in JSONSerialization
            return d
        }
    }
}
