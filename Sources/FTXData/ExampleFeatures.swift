/// Output-style facts of one example, packed in bits.
public struct OutputStyle: OptionSet, Sendable, Hashable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public static let json = OutputStyle(rawValue: 1 << 0)          // output is a JSON object or array
    public static let empty = OutputStyle(rawValue: 1 << 1)         // output is empty or whitespace
    public static let endsNewline = OutputStyle(rawValue: 1 << 2)
    public static let endsSpace = OutputStyle(rawValue: 1 << 3)     // ends with a space or tab
    public static let startsUpper = OutputStyle(rawValue: 1 << 4)   // first character is an uppercase letter
    public static let startsLower = OutputStyle(rawValue: 1 << 5)
    public static let hasOutput = OutputStyle(rawValue: 1 << 6)     // chat/completion (text has no output)
    public static let hasSystem = OutputStyle(rawValue: 1 << 7)
}

/// The small per-example state the checks keep (hashes and a few numbers, never the text), so a
/// million examples fit in well under 100 MB.
struct ExampleRecord {
    var file: Int32 = 0
    var line: Int32 = 0
    var length: Int32 = 0          // bytes of the line (CR stripped)
    var offset: Int64 = 0          // file offset of the line, to re-read it when a check needs text
    var contentHash: UInt64 = 0    // exact content (format-aware)
    var normContentHash: UInt64 = 0 // normalized non-system turns + output
    var normInputHash: UInt64 = 0  // normalized input, system prompt included
    var normOutputHash: UInt64 = 0
    var systemHash: UInt64 = 0     // 0: no system prompt
    var jsonShape: Int32 = -1      // index into the analysis' shape table
    var outputChars: Int32 = 0
    var tokens: Int32 = -1
    var stratum: Int32 = -1
    var style: OutputStyle = []
}

/// Word sequences of the parts of an example that the checks compare.
struct ExampleWords {
    var content: [UInt64] = []   // non-system turns and output, with role markers
    var input: [UInt64] = []     // input with system prompt
    var inputNoSystem: [UInt64] = []
    var output: [UInt64] = []

    static let roleMarkers: [String: UInt64] = [
        "system": FastHash.string("\u{1}system"), "user": FastHash.string("\u{1}user"),
        "assistant": FastHash.string("\u{1}assistant"), "prompt": FastHash.string("\u{1}prompt"),
        "completion": FastHash.string("\u{1}completion"),
    ]

    init(_ e: Example, wantInputNoSystem: Bool) {
        let mk = Self.roleMarkers
        switch e.format {
        case .text:
            TextNormalizer.appendWords(of: e.text ?? "", to: &content)
            input = content
            if wantInputNoSystem { inputNoSystem = content }
        case .completion:
            TextNormalizer.appendWords(of: e.prompt ?? "", to: &input)
            TextNormalizer.appendWords(of: e.completion ?? "", to: &output)
            content = input
            content.append(mk["completion"] ?? 0)
            content.append(contentsOf: output)
            if wantInputNoSystem { inputNoSystem = input }
        case .chat:
            let last = e.lastAssistantIndex ?? e.messages.count
            for (i, m) in e.messages.enumerated() {
                let marker = mk[m.role] ?? 0
                if i < last {
                    input.append(marker)
                    let start = input.count
                    TextNormalizer.appendWords(of: m.content, to: &input)
                    if m.role != "system" {
                        content.append(marker)
                        content.append(contentsOf: input[start...])
                        if wantInputNoSystem { inputNoSystem.append(contentsOf: input[start...]) }
                    }
                } else if i == last {
                    TextNormalizer.appendWords(of: m.content, to: &output)
                    content.append(marker)
                    content.append(contentsOf: output)
                } else if m.role != "system" {
                    content.append(marker)
                    TextNormalizer.appendWords(of: m.content, to: &content)
                }
            }
        }
    }
}

enum ExampleFeatures {
    /// Exact content hash: the same canonical content as the SHA-256 id, hashed fast.
    static func contentHash(_ e: Example) -> UInt64 {
        var h: UInt64 = FastHash.string(e.format.rawValue)
        switch e.format {
        case .chat:
            for m in e.messages { h = FastHash.combine(FastHash.combine(h, FastHash.string(m.role)), FastHash.string(m.content)) }
        case .completion:
            h = FastHash.combine(FastHash.combine(h, FastHash.string(e.prompt ?? "")), FastHash.string(e.completion ?? ""))
        case .text:
            h = FastHash.combine(h, FastHash.string(e.text ?? ""))
        }
        return FastHash.finalize(h)
    }

    static func scalarCount(_ s: String) -> Int {
        if let n = s.utf8.withContiguousStorageIfAvailable({ buf -> Int in
            var n = 0
            for b in buf where b & 0xC0 != 0x80 { n += 1 }
            return n
        }) { return n }
        return s.unicodeScalars.count
    }

    /// Style bits and, for JSON outputs, a shape description ("{key:type,…}" or "[type,…]").
    static func style(_ e: Example) -> (OutputStyle, String?) {
        var st: OutputStyle = []
        if e.format == .chat && e.messages.contains(where: { $0.role == "system" }) { st.insert(.hasSystem) }
        guard e.format != .text else { return (st, nil) }
        st.insert(.hasOutput)
        let out = e.output
        if let last = out.unicodeScalars.last {
            if last == "\n" { st.insert(.endsNewline) }
            if last == " " || last == "\t" { st.insert(.endsSpace) }
        }
        guard let first = out.unicodeScalars.first(where: { !$0.properties.isWhitespace }) else {
            st.insert(.empty)
            return (st, nil)
        }
        if first == "{" || first == "[" {
            if let v = try? JSONParser.parse(out) {
                st.insert(.json)
                return (st, shape(v))
            }
        }
        if first.properties.isUppercase { st.insert(.startsUpper) } else if first.properties.isLowercase { st.insert(.startsLower) }
        return (st, nil)
    }

    static func shape(_ v: JSONValue) -> String {
        switch v {
        case .object(let members):
            let keys = members.map { "\($0.key):\($0.value.typeName)" }.sorted()
            return "{" + keys.joined(separator: ",") + "}"
        case .array(let items):
            let types = Set(items.map(\.typeName)).sorted()
            return "[" + types.joined(separator: ",") + "]"
        default:
            return v.typeName
        }
    }
}
