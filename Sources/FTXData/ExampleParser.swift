/// Turns one JSONL line into an `Example`, with a precise error for every way a line can be wrong.
public enum ExampleParser {
    public static let roles: Set<String> = ["system", "user", "assistant"]

    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>, file: String, line: Int,
                             computeID: Bool = true) throws -> Example {
        let loc = SourceLocation(file: file, line: line)
        if let bad = UTF8Validation.firstInvalid(bytes) { throw DataError.invalidUTF8(loc, column: bad + 1) }
        let value: JSONValue
        do { value = try JSONParser.parse(bytes) } catch let e as JSONParseError {
            throw DataError.invalidJSON(loc, column: e.offset, detail: e.detail)
        }
        return try example(from: value, at: loc, computeID: computeID)
    }

    /// Detects the format from the keys present and validates the fields it needs.
    public static func example(from value: JSONValue, at loc: SourceLocation, computeID: Bool = true) throws -> Example {
        guard case .object(let members) = value else { throw DataError.notAnObject(loc, found: value.typeName) }
        func field(_ k: String) -> JSONValue? { members.first(where: { $0.key == k })?.value }
        func string(_ k: String) throws -> String? {
            guard let v = field(k) else { return nil }
            guard case .string(let s) = v else { throw DataError.wrongType(loc, field: k, expected: "a string", found: v.typeName) }
            return s
        }
        var example: Example
        let contentKeys: Set<String>
        if let m = field("messages") {
            example = Example(format: .chat, messages: try messages(m, at: loc), id: "")
            contentKeys = ["messages"]
        } else if field("prompt") != nil || field("completion") != nil {
            guard let prompt = try string("prompt") else { throw DataError.missingField(loc, field: "prompt", format: .completion) }
            guard let completion = try string("completion") else { throw DataError.missingField(loc, field: "completion", format: .completion) }
            example = Example(format: .completion, prompt: prompt, completion: completion, id: "")
            contentKeys = ["prompt", "completion"]
        } else if field("text") != nil {
            example = Example(format: .text, text: try string("text"), id: "")
            contentKeys = ["text"]
        } else {
            throw DataError.unknownShape(loc, keys: members.map(\.key))
        }
        for m in members where !contentKeys.contains(m.key) {
            switch m.value {
            case .string(let s): example.fields[m.key] = s
            case .number(let n): example.fields[m.key] = n
            case .bool(let b): example.fields[m.key] = b ? "true" : "false"
            default: break  // null, arrays and objects are not kept as fields
            }
        }
        example.source = loc
        if computeID { example.id = Example.computeID(example) }
        return example
    }

    private static func messages(_ v: JSONValue, at loc: SourceLocation) throws -> [ChatMessage] {
        guard case .array(let items) = v else {
            throw DataError.wrongType(loc, field: "messages", expected: "an array of {role, content} objects", found: v.typeName)
        }
        if items.isEmpty { throw DataError.invalidMessage(loc, index: 0, detail: "\"messages\" is empty") }
        var out: [ChatMessage] = []
        out.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            guard case .object = item else {
                throw DataError.invalidMessage(loc, index: i, detail: "expected an object, found \(item.typeName)")
            }
            guard let r = item["role"] else { throw DataError.invalidMessage(loc, index: i, detail: "missing \"role\"") }
            guard case .string(let role) = r else {
                throw DataError.invalidMessage(loc, index: i, detail: "\"role\" must be a string, found \(r.typeName)")
            }
            guard roles.contains(role) else { throw DataError.unknownRole(loc, index: i, role: role) }
            guard let c = item["content"] else { throw DataError.invalidMessage(loc, index: i, detail: "missing \"content\"") }
            guard case .string(let content) = c else {
                throw DataError.invalidMessage(loc, index: i, detail: "\"content\" must be a string, found \(c.typeName)")
            }
            out.append(ChatMessage(role: role, content: content))
        }
        guard out.contains(where: { $0.role == "assistant" }) else { throw DataError.noAssistantMessage(loc) }
        return out
    }
}
