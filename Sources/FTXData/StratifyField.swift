/// What `ftx data split --stratify FIELD` groups by: a top-level scalar field of the example, or a
/// dotted path into the JSON the example must produce — `completion.category` reads `category` from
/// the completion (or the last assistant message) parsed as a JSON object.
struct StratifyField {
    static let outputPrefix = "completion."
    let name: String

    /// The example's value, or nil when it has none (no such field, the output is not JSON, or the
    /// path ends at an object or array).
    func value(of e: Example) -> String? {
        if let v = e.fields[name] { return v }
        guard name.hasPrefix(Self.outputPrefix), var v = Self.outputJSON(e) else { return nil }
        for key in name.dropFirst(Self.outputPrefix.count).split(separator: ".") {
            guard let next = v[String(key)] else { return nil }
            v = next
        }
        switch v {
        case .string(let s): return s
        case .number(let n): return n
        case .bool(let b): return b ? "true" : "false"
        default: return nil
        }
    }

    /// The names an example offers to stratify by: its top-level fields, and `completion.KEY` for
    /// each scalar key of a JSON object output.
    static func names(in e: Example) -> [String] {
        var out = Array(e.fields.keys)
        if case .object(let members)? = outputJSON(e) {
            for m in members {
                switch m.value {
                case .string, .number, .bool: out.append(outputPrefix + m.key)
                default: break
                }
            }
        }
        return out
    }

    private static func outputJSON(_ e: Example) -> JSONValue? {
        let out = e.output
        guard out.first(where: { !$0.isWhitespace }) == "{" else { return nil }
        return try? JSONParser.parse(out)
    }
}
