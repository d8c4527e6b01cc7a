import FTXCore

/// A JSON Schema (the subset `JSONSchemaSubset` validates) compiled into the flat tables the
/// JSON automaton consults byte by byte: allowed types, enum values and property names as the
/// exact bytes they must be written as, member schemas by index.
struct JSONConstraintSchema: Sendable {
    /// Type bits of `Node.types`.
    static let object: UInt8 = 1, array: UInt8 = 2, string: UInt8 = 4, number: UInt8 = 8
    static let integer: UInt8 = 16, boolean: UInt8 = 32, null: UInt8 = 64
    static let anyType: UInt8 = 127
    /// Nesting limit of output values (and of schemas): a model cannot open containers forever.
    static let maxDepth = 32
    /// Property names and enum values are tracked in 64-bit sets.
    static let maxKeys = 64, maxEnum = 64

    struct Node: Sendable {
        var types = JSONConstraintSchema.anyType
        /// Compact JSON spellings of the allowed values (empty: no enum).
        var enumValues: [[UInt8]] = []
        /// Declared property names (properties, then required-only names) as written between the
        /// quotes (JSON-escaped), and their schemas.
        var keys: [[UInt8]] = []
        var keySchemas: [Int32] = []
        var required: UInt64 = 0
        /// Whether properties other than `keys` may appear (`additionalProperties`, default true).
        var additional = true
        var items: Int32 = 0
    }

    /// Node 0 accepts any value.
    private(set) var nodes: [Node] = [Node()]

    /// json_object mode: any object at the top level.
    static let anyObject: JSONConstraintSchema = {
        var s = JSONConstraintSchema()
        var root = Node(); root.types = object
        s.nodes.append(root)
        s.root = 1
        return s
    }()
    /// The node of the top-level value.
    private(set) var root: Int32 = 0

    private init() {}

    /// Compiles a schema already checked by `JSONSchemaSubset` (call that first).
    init(_ schema: EvalJSON) throws {
        root = try add(schema, at: "schema", depth: 1)
    }

    private static func fail(_ m: String, hint: String? = nil) -> EvalError {
        EvalError.other(m, location: "response_format", hint: hint)
    }

    private mutating func add(_ s: EvalJSON, at place: String, depth: Int) throws -> Int32 {
        guard depth <= Self.maxDepth else {
            throw Self.fail("\(place): schema nested deeper than \(Self.maxDepth) levels")
        }
        var n = Node()
        if let t = s["type"] {
            let names: [String]
            if case .array(let a) = t { names = a.map(\.plainText) } else { names = [t.plainText] }
            n.types = 0
            for name in names {
                switch name {
                case "object": n.types |= Self.object
                case "array": n.types |= Self.array
                case "string": n.types |= Self.string
                case "number": n.types |= Self.number | Self.integer
                case "integer": n.types |= Self.integer
                case "boolean": n.types |= Self.boolean
                default: n.types |= Self.null
                }
            }
            guard n.types != 0 else { throw Self.fail("\(place).type: an empty list allows no value") }
        }
        if case .array(let options)? = s["enum"] {
            // Only values the type admits (as the validator judges types), in one spelling each.
            let typeOnly = s["type"].map { EvalJSON.object([("type", $0)]) } ?? .object([])
            let allowed = options.filter { JSONSchemaSubset.violation(typeOnly, $0, at: "$") == nil }
            guard !allowed.isEmpty else { throw Self.fail("\(place).enum: no value has the schema's type") }
            guard allowed.count <= Self.maxEnum else {
                throw Self.fail("\(place).enum: more than \(Self.maxEnum) values are not supported for constrained output")
            }
            n.enumValues = allowed.map { Array($0.jsonText.utf8) }
        }
        if case .bool(let b)? = s["additionalProperties"] { n.additional = b }
        var names: [String] = []
        if case .object(let props)? = s["properties"] {
            for (name, _) in props where !names.contains(name) { names.append(name) }
        }
        var requiredNames: [String] = []
        if case .array(let req)? = s["required"] { requiredNames = req.map(\.plainText) }
        for r in requiredNames where !names.contains(r) {
            guard n.additional else {
                throw Self.fail("\(place).required: '\(r)' is not in properties and additionalProperties is false")
            }
            names.append(r)
        }
        guard names.count <= Self.maxKeys else {
            throw Self.fail("\(place).properties: more than \(Self.maxKeys) properties are not supported for constrained output")
        }
        let index = Int32(nodes.count)
        nodes.append(n)   // reserve the slot: children are added after it
        for (i, name) in names.enumerated() {
            let quoted = JSONString.quoted(name)
            n.keys.append(Array(quoted.utf8.dropFirst().dropLast()))
            var member: Int32 = 0   // required-only names take any value
            if let sub = s["properties"]?[name] { member = try add(sub, at: "\(place).properties.\(name)", depth: depth + 1) }
            n.keySchemas.append(member)
            if requiredNames.contains(name) { n.required |= 1 << UInt64(i) }
        }
        if let items = s["items"] { n.items = try add(items, at: "\(place).items", depth: depth + 1) }
        nodes[Int(index)] = n
        return index
    }
}
