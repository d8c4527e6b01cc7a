import CYaml   // libyaml as the Yams package builds it: its event stream is what lets aliases be counted
import Yams

/// The one way ftx reads YAML: run and train configs, eval suites, data-check configs, configs
/// stored in commits, `--set` values. YAML is untrusted input, so before Yams composes a document,
/// one pass over libyaml's events checks its size, its nesting and the number of nodes it holds once
/// every alias is expanded (the billion-laughs bound PyYAML users and Kubernetes apply): an alias
/// counts as the size of what it names, so a bomb is refused at the alias that crosses the limit,
/// before anything is expanded. Mapping keys must be scalars: no ftx file uses others, and Yams
/// hashes keys whole, so an alias used as a key would be expanded by the hashing alone.
public enum YAMLDocument {
    public struct Limits: Sendable {
        public var maxBytes = 4 << 20
        public var maxDepth = 64
        /// Nodes of the document with every alias expanded: what a reader of it will walk.
        public var maxNodes = 100_000
        public init() {}
        public static let standard = Limits()
    }

    /// The document's root, or nil for an empty document. `file` names the input in errors.
    public static func compose(_ text: String, file: String, limits: Limits = .standard) throws -> Node? {
        guard text.utf8.count <= limits.maxBytes else {
            throw YAMLError(problem: "the YAML document is \(text.utf8.count) bytes, over the \(limits.maxBytes >> 20) MiB limit",
                            file: file, line: nil)
        }
        var bytes = Array(text.utf8)
        try bytes.withUnsafeMutableBufferPointer { buf in
            var check = AliasCheck(file: file, limits: limits)
            try check.run(buf)
        }
        do { return try Yams.compose(yaml: text) } catch let e as YamlError {
            throw YAMLError(problem: Self.problem(e), file: file, line: Self.line(e))
        }
    }

    /// The document as Yams' plain values (`[String: Any]`, `[Any]`, String, Int, Double, Bool,
    /// NSNull), after the same checks.
    public static func load(_ text: String, file: String, limits: Limits = .standard) throws -> Any? {
        try compose(text, file: file, limits: limits)?.any
    }

    static func problem(_ e: YamlError) -> String {
        switch e {
        case .scanner(_, let p, _, _), .parser(_, let p, _, _), .composer(_, let p, _, _): return "not valid YAML: \(p)"
        case .duplicatedKeysInMapping(let keys, _): return "key '\(keys.joined(separator: "', '"))' appears twice"
        default: return "not valid YAML: \(String(describing: e).split(separator: "\n").first ?? "")"
        }
    }

    static func line(_ e: YamlError) -> Int? {
        switch e {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
        case .duplicatedKeysInMapping(_, let context): return context.mark.line
        default: return nil
        }
    }
}

/// A YAML input that is malformed or over a limit: what, and the file and line.
public struct YAMLError: FTXError {
    public let problem: String
    public let file: String
    public let line: Int?
    public var message: String { problem }
    public var location: String? { line.map { "\(file):\($0)" } ?? file }
}

/// One pass over libyaml's events that counts nodes as Yams would expand them. Nothing is built.
private struct AliasCheck {
    let file: String
    let limits: YAMLDocument.Limits
    var parser = yaml_parser_t()
    /// Anchor → (nodes it expands to, whether it is a scalar).
    var anchors: [String: (size: Int, scalar: Bool)] = [:]
    var expanded = 0
    var depth = 0

    init(file: String, limits: YAMLDocument.Limits) { self.file = file; self.limits = limits }

    func fail(_ problem: String, _ line: Int?) -> YAMLError { YAMLError(problem: problem, file: file, line: line) }

    mutating func run(_ buf: UnsafeMutableBufferPointer<UInt8>) throws {
        guard yaml_parser_initialize(&parser) == 1 else { throw fail("cannot start the YAML parser", nil) }
        defer { yaml_parser_delete(&parser) }
        yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
        yaml_parser_set_input_string(&parser, buf.baseAddress, buf.count)
        while true {
            let e = try next()
            switch e.type {
            case YAML_STREAM_END_EVENT: return
            case YAML_DOCUMENT_START_EVENT: _ = try node(try next())
            default: continue   // stream start, document end
            }
        }
    }

    /// One event, copied out of libyaml's structure (whose memory is released here).
    mutating func next() throws -> Event {
        var raw = yaml_event_t()
        guard yaml_parser_parse(&parser, &raw) == 1 else {
            let problem = parser.problem.map { String(cString: $0) } ?? "syntax error"
            if problem.hasPrefix("Maximum nesting level") {   // libyaml's own bound, met while scanning ahead
                throw fail("the YAML document nests deeper than 1000 levels", parser.problem_mark.line + 1)
            }
            throw fail("not valid YAML: \(problem)", parser.problem_mark.line + 1)
        }
        defer { yaml_event_delete(&raw) }
        return Event(raw)
    }

    mutating func count(_ n: Int, _ line: Int) throws {
        guard n <= limits.maxNodes - expanded else {
            throw fail("the YAML document expands to more than \(limits.maxNodes) nodes through its aliases", line)
        }
        expanded += n
    }

    /// Reads the node starting with `e`; returns the nodes it expands to and whether it is a scalar.
    mutating func node(_ e: Event) throws -> (size: Int, scalar: Bool) {
        let result: (size: Int, scalar: Bool)
        switch e.type {
        case YAML_ALIAS_EVENT:
            guard let target = e.anchor.flatMap({ anchors[$0] }) else {
                throw fail("not valid YAML: alias *\(e.anchor ?? "") names no anchor before it", e.line)
            }
            try count(target.size, e.line)
            return target
        case YAML_SCALAR_EVENT:
            try count(1, e.line)
            result = (1, true)
        case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
            try count(1, e.line)
            depth += 1
            defer { depth -= 1 }
            guard depth <= limits.maxDepth else { throw fail("the YAML document nests deeper than \(limits.maxDepth) levels", e.line) }
            let mapping = e.type == YAML_MAPPING_START_EVENT
            var size = 1, isKey = mapping
            while true {
                let item = try next()
                if item.type == YAML_SEQUENCE_END_EVENT || item.type == YAML_MAPPING_END_EVENT { break }
                // A key is checked before it is counted: an alias key is refused, not expanded.
                if isKey, item.type != YAML_SCALAR_EVENT, item.type != YAML_ALIAS_EVENT || item.anchor.flatMap({ anchors[$0]?.scalar }) == false {
                    throw fail("a mapping key must be a plain value, not a list or mapping", item.line)
                }
                let (s, _) = try node(item)
                size += s
                if mapping { isKey.toggle() }
            }
            result = (size, false)
        default:
            throw fail("not valid YAML: unexpected event \(e.type.rawValue)", e.line)
        }
        if let a = e.anchor { anchors[a] = result }
        return result
    }
}

/// What the check needs of one libyaml event.
private struct Event {
    let type: yaml_event_type_t
    let line: Int
    let anchor: String?

    init(_ e: yaml_event_t) {
        type = e.type
        line = e.start_mark.line + 1
        func str(_ p: UnsafeMutablePointer<yaml_char_t>?) -> String? { p.map { String(cString: $0) } }
        switch e.type {
        case YAML_ALIAS_EVENT: anchor = str(e.data.alias.anchor)
        case YAML_SCALAR_EVENT: anchor = str(e.data.scalar.anchor)
        case YAML_SEQUENCE_START_EVENT: anchor = str(e.data.sequence_start.anchor)
        case YAML_MAPPING_START_EVENT: anchor = str(e.data.mapping_start.anchor)
        default: anchor = nil
        }
    }
}
