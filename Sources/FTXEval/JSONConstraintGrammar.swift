/// The byte-level JSON automaton behind `JSONConstraint` (RFC 8259, narrowed by a compiled
/// schema). `step` consumes one byte or refuses it; a refused byte means no valid document starts
/// with the bytes so far plus this one. Every state it accepts can still be completed, so a
/// model driven by it never reaches a dead end. A value type: the vocabulary walk copies it per
/// trie edge (the container stack is copy-on-write and changes only at brackets).
struct JSONGrammarState: Hashable {
    enum Mode: UInt8 {
        case value          // a value of `node` starts here (whitespace allowed)
        case arrayFirst     // after '[': a value or ']'
        case objectFirst    // after '{': a key or '}'
        case objectKey      // after ',' in an object: a key
        case key            // inside a key string
        case colon          // after a key
        case afterValue     // inside a container after a value: ',' or the closer
        case string         // inside a string value
        case number
        case literal        // true/false/null or an enum value, matched byte by byte
        case done           // the top-level value is closed
    }
    struct Frame: Hashable {
        var isObject: Bool
        var node: Int32
        /// Declared keys already written (objects).
        var seen: UInt64 = 0
        /// Declared key of the member being written; -1 for an undeclared one.
        var key: Int32 = -1
    }

    /// Whitespace bytes allowed in a row: a model cannot loop on whitespace, yet indented output fits.
    static let maxWhitespace: UInt8 = 12
    static let literals: [[UInt8]] = [Array("true".utf8), Array("false".utf8), Array("null".utf8)]

    var mode = Mode.value
    var node: Int32
    var whitespace: UInt8 = 0
    var stack: [Frame] = []
    // Strings: a pending UTF-8 sequence (bytes left and the range of the next one), escapes.
    var utf8Left: UInt8 = 0, utf8Lo: UInt8 = 0x80, utf8Hi: UInt8 = 0xBF
    /// 0 none, 1 after '\', 2…5 reading hex digit 1…4 of \u.
    var escape: UInt8 = 0
    var hex: UInt16 = 0
    /// After a high surrogate escape: 1 expects '\', 2 expects 'u', 3 reads the low surrogate's digits.
    var surrogate: UInt8 = 0
    // Keys of objects with declared properties: candidates still matching, and whether an
    // undeclared (escape-free) key is still possible.
    var keyMask: UInt64 = 0, keyFree = false
    var pos: Int32 = 0
    // Numbers: phase (see `number`), digits in the current part, integer only.
    var numPhase: UInt8 = 0, numDigits: UInt8 = 0, integerOnly = false
    // Literals: candidates still matching, from the enum of `node` or `literals`.
    var litMask: UInt64 = 0, litEnum = false

    init(root: Int32) { node = root }

    /// True when the output may end here: the top-level value is closed, or it is a number (or
    /// number enum value) that could also go on.
    func canEnd(_ schema: JSONConstraintSchema) -> Bool {
        if mode == .done { return true }
        guard stack.isEmpty else { return false }
        if mode == .number { return numberAccepts }
        if mode == .literal { return literalComplete(schema) }
        return false
    }

    var isDone: Bool { mode == .done }

    @inline(__always) static func isWhitespace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }

    mutating func step(_ b: UInt8, _ schema: JSONConstraintSchema) -> Bool {
        switch mode {
        case .string:
            switch stringByte(b) {
            case .reject: return false
            case .more: return true
            case .close: finishValue(schema); return true
            }
        case .key: return keyByte(b, schema)
        case .number: return numberByte(b, schema)
        case .literal: return literalByte(b, schema)
        default: break
        }
        if Self.isWhitespace(b) {
            guard whitespace < Self.maxWhitespace else { return false }
            whitespace += 1
            return true
        }
        whitespace = 0
        switch mode {
        case .value: return valueStart(b, schema)
        case .arrayFirst:
            if b == UInt8(ascii: "]") { return close(schema) }
            mode = .value; node = schema.nodes[Int(stack[stack.count - 1].node)].items
            return valueStart(b, schema)
        case .objectFirst, .objectKey:
            if b == UInt8(ascii: "}"), mode == .objectFirst { return close(schema) }
            guard b == UInt8(ascii: "\"") else { return false }
            return startKey(schema)
        case .colon:
            guard b == UInt8(ascii: ":") else { return false }
            let f = stack[stack.count - 1]
            mode = .value
            node = f.key >= 0 ? schema.nodes[Int(f.node)].keySchemas[Int(f.key)] : 0
            return true
        case .afterValue:
            let f = stack[stack.count - 1]
            if f.isObject {
                if b == UInt8(ascii: "}") { return close(schema) }
                guard b == UInt8(ascii: ","), moreKeysPossible(f, schema) else { return false }
                mode = .objectKey
                return true
            }
            if b == UInt8(ascii: "]") { return close(schema) }
            guard b == UInt8(ascii: ",") else { return false }
            mode = .value; node = schema.nodes[Int(f.node)].items
            return true
        default:   // .done: only whitespace
            return false
        }
    }

    private mutating func valueStart(_ b: UInt8, _ schema: JSONConstraintSchema) -> Bool {
        let n = schema.nodes[Int(node)]
        if !n.enumValues.isEmpty {
            mode = .literal; litEnum = true; pos = 0
            litMask = n.enumValues.count == 64 ? ~0 : (1 << UInt64(n.enumValues.count)) - 1
            return literalByte(b, schema)
        }
        let t = n.types
        switch b {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let isObject = b == UInt8(ascii: "{")
            guard t & (isObject ? JSONConstraintSchema.object : JSONConstraintSchema.array) != 0,
                  stack.count < JSONConstraintSchema.maxDepth else { return false }
            stack.append(Frame(isObject: isObject, node: node))
            mode = isObject ? .objectFirst : .arrayFirst
            return true
        case UInt8(ascii: "\""):
            guard t & JSONConstraintSchema.string != 0 else { return false }
            mode = .string; escape = 0; surrogate = 0; utf8Left = 0
            return true
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            litMask = 0
            if t & JSONConstraintSchema.boolean != 0 { litMask |= 3 }
            if t & JSONConstraintSchema.null != 0 { litMask |= 4 }
            mode = .literal; litEnum = false; pos = 0
            return literalByte(b, schema)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            guard t & (JSONConstraintSchema.number | JSONConstraintSchema.integer) != 0 else { return false }
            integerOnly = t & JSONConstraintSchema.number == 0
            mode = .number; numPhase = 0; numDigits = 0
            return numberByte(b, schema)
        default:
            return false
        }
    }

    /// Closes the innermost container if its schema allows it here.
    private mutating func close(_ schema: JSONConstraintSchema) -> Bool {
        let f = stack[stack.count - 1]
        if f.isObject {
            let req = schema.nodes[Int(f.node)].required
            guard req & f.seen == req else { return false }
        }
        stack.removeLast()
        finishValue(schema)
        return true
    }

    private mutating func finishValue(_ schema: JSONConstraintSchema) {
        whitespace = 0
        guard !stack.isEmpty else { mode = .done; return }
        mode = .afterValue
        let top = stack.count - 1
        if stack[top].isObject, stack[top].key >= 0 { stack[top].seen |= 1 << UInt64(stack[top].key) }
    }

    private func moreKeysPossible(_ f: Frame, _ schema: JSONConstraintSchema) -> Bool {
        let n = schema.nodes[Int(f.node)]
        if n.additional { return true }
        return n.keys.indices.contains { f.seen & (1 << UInt64($0)) == 0 }
    }

    // MARK: keys

    private mutating func startKey(_ schema: JSONConstraintSchema) -> Bool {
        let f = stack[stack.count - 1]
        let n = schema.nodes[Int(f.node)]
        escape = 0; surrogate = 0; utf8Left = 0; pos = 0
        if n.keys.isEmpty {
            // No declared names: any key (none at all when additionalProperties is false).
            guard n.additional else { return false }
            keyMask = 0; keyFree = true
        } else {
            let all: UInt64 = n.keys.count == 64 ? ~0 : (1 << UInt64(n.keys.count)) - 1
            keyMask = n.additional ? all : all & ~f.seen
            keyFree = n.additional
        }
        stack[stack.count - 1].key = -1
        mode = .key
        return true
    }

    private mutating func keyByte(_ b: UInt8, _ schema: JSONConstraintSchema) -> Bool {
        let top = stack.count - 1
        let n = schema.nodes[Int(stack[top].node)]
        if n.keys.isEmpty {
            // Untracked object: the key is a plain JSON string.
            switch stringByte(b) {
            case .reject: return false
            case .more: return true
            case .close: mode = .colon; whitespace = 0; return true
            }
        }
        if b == UInt8(ascii: "\""), escape == 0, utf8Left == 0, surrogate == 0 {
            var m = keyMask
            while m != 0 {
                let c = m.trailingZeroBitCount
                m &= m - 1
                if n.keys[c].count == Int(pos) {
                    // A declared name: once per object.
                    guard stack[top].seen & (1 << UInt64(c)) == 0 else { return false }
                    stack[top].key = Int32(c)
                    mode = .colon; whitespace = 0
                    return true
                }
            }
            guard keyFree else { return false }
            mode = .colon; whitespace = 0
            return true
        }
        guard stringByte(b) == .more else { return false }
        var m = keyMask, next: UInt64 = 0
        let p = Int(pos)
        while m != 0 {
            let c = m.trailingZeroBitCount
            m &= m - 1
            let k = n.keys[c]
            if p < k.count, k[p] == b { next |= 1 << UInt64(c) }
        }
        // Undeclared keys are written without escapes, so their bytes are their text.
        if b == UInt8(ascii: "\\") { keyFree = false }
        keyMask = next
        pos += 1
        return next != 0 || keyFree
    }

    // MARK: strings

    enum StringStep { case reject, more, close }

    /// One byte inside a string: UTF-8 validated across tokens (no overlongs, surrogates or
    /// code points past U+10FFFF), escapes per RFC 8259, \u surrogates only in pairs.
    mutating func stringByte(_ b: UInt8) -> StringStep {
        if utf8Left > 0 {
            guard b >= utf8Lo, b <= utf8Hi else { return .reject }
            utf8Left -= 1; utf8Lo = 0x80; utf8Hi = 0xBF
            return .more
        }
        if surrogate == 1 { guard b == UInt8(ascii: "\\") else { return .reject }; surrogate = 2; return .more }
        if surrogate == 2 {
            guard b == UInt8(ascii: "u") else { return .reject }
            surrogate = 3; escape = 2; hex = 0
            return .more
        }
        switch escape {
        case 0:
            switch b {
            case UInt8(ascii: "\""): return .close
            case UInt8(ascii: "\\"): escape = 1; return .more
            case 0..<0x20: return .reject
            case 0x20..<0x80: return .more
            case 0xC2...0xDF: utf8Left = 1
            case 0xE0: utf8Left = 2; utf8Lo = 0xA0
            case 0xED: utf8Left = 2; utf8Hi = 0x9F
            case 0xE1...0xEF: utf8Left = 2
            case 0xF0: utf8Left = 3; utf8Lo = 0x90
            case 0xF1...0xF3: utf8Left = 3
            case 0xF4: utf8Left = 3; utf8Hi = 0x8F
            default: return .reject
            }
            return .more
        case 1:
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                 UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                escape = 0; return .more
            case UInt8(ascii: "u"): escape = 2; hex = 0; return .more
            default: return .reject
            }
        default:
            let d: UInt16
            switch b {
            case 0x30...0x39: d = UInt16(b - 0x30)
            case 0x41...0x46: d = UInt16(b - 0x41 + 10)
            case 0x61...0x66: d = UInt16(b - 0x61 + 10)
            default: return .reject
            }
            hex = hex << 4 | d
            let digit = escape - 1   // 1…4
            if surrogate == 3 {
                // The low half of a pair: DC00–DFFF.
                if digit == 1, hex != 0xD { return .reject }
                if digit == 2, hex < 0xDC { return .reject }
            } else if digit == 2, hex >= 0xDC, hex <= 0xDF {
                return .reject   // a lone low surrogate
            }
            if digit < 4 { escape += 1; return .more }
            escape = 0
            if surrogate == 3 { surrogate = 0 } else if hex >= 0xD800, hex <= 0xDBFF { surrogate = 1 }
            return .more
        }
    }

    // MARK: numbers

    /// Digits allowed in the integer part (15 for integers: the validator's integers stay below
    /// 10^15), the fraction and the exponent; bounded so a number cannot grow forever.
    private var maxIntDigits: UInt8 { integerOnly ? 15 : 20 }

    /// Phases: 0 start, 8 after '-', 1 after a leading 0, 2 integer digits, 3 after '.', 4 fraction digits,
    /// 5 after 'e', 6 after the exponent sign, 7 exponent digits.
    private var numberAccepts: Bool { numPhase == 1 || numPhase == 2 || numPhase == 4 || numPhase == 7 }

    private mutating func numberByte(_ b: UInt8, _ schema: JSONConstraintSchema) -> Bool {
        let isDigit = b >= 0x30 && b <= 0x39
        switch (numPhase, b) {
        case (0, UInt8(ascii: "-")):
            numPhase = 8; return true
        case (0, _) where isDigit, (8, _) where isDigit:
            numPhase = b == 0x30 ? 1 : 2; numDigits = 1; return true
        case (2, _) where isDigit:
            guard numDigits < maxIntDigits else { return false }
            numDigits += 1; return true
        case (1, UInt8(ascii: ".")), (2, UInt8(ascii: ".")):
            guard !integerOnly else { return false }
            numPhase = 3; numDigits = 0; return true
        case (1, UInt8(ascii: "e")), (1, UInt8(ascii: "E")), (2, UInt8(ascii: "e")), (2, UInt8(ascii: "E")),
             (4, UInt8(ascii: "e")), (4, UInt8(ascii: "E")):
            guard !integerOnly else { return false }
            numPhase = 5; numDigits = 0; return true
        case (3, _) where isDigit, (4, _) where isDigit:
            guard numDigits < 20 else { return false }
            numPhase = 4; numDigits += 1; return true
        case (5, UInt8(ascii: "+")), (5, UInt8(ascii: "-")):
            numPhase = 6; return true
        case (5, _) where isDigit, (6, _) where isDigit, (7, _) where isDigit:
            guard numDigits < 3 else { return false }
            numPhase = 7; numDigits += 1; return true
        default:
            // Anything else ends the number (if it can end) and belongs to what follows.
            guard numberAccepts else { return false }
            return endValue(then: b, schema)
        }
    }

    /// Ends a self-undelimited value (number, number enum value) at byte `b`, which must then be
    /// valid after it.
    private mutating func endValue(then b: UInt8, _ schema: JSONConstraintSchema) -> Bool {
        finishValue(schema)
        if mode == .done { return Self.isWhitespace(b) && step(b, schema) }
        return step(b, schema)
    }

    // MARK: literals and enum values

    private func candidates(_ schema: JSONConstraintSchema) -> [[UInt8]] {
        litEnum ? schema.nodes[Int(node)].enumValues : Self.literals
    }

    private func literalComplete(_ schema: JSONConstraintSchema) -> Bool {
        let cands = candidates(schema)
        var m = litMask
        while m != 0 {
            let c = m.trailingZeroBitCount
            m &= m - 1
            if cands[c].count == Int(pos) { return true }
        }
        return false
    }

    private mutating func literalByte(_ b: UInt8, _ schema: JSONConstraintSchema) -> Bool {
        let cands = candidates(schema)
        var m = litMask, next: UInt64 = 0, complete = false
        let p = Int(pos)
        while m != 0 {
            let c = m.trailingZeroBitCount
            m &= m - 1
            let v = cands[c]
            if v.count == p { complete = true } else if v[p] == b { next |= 1 << UInt64(c) }
        }
        if next == 0 {
            // Only a value that ends here (a number such as 1 beside 12) is left: `b` follows it.
            guard complete else { return false }
            return endValue(then: b, schema)
        }
        litMask = next
        pos += 1
        // Close at once when every remaining candidate is complete (strings, objects, true, …).
        var rest = next, longer = false
        while rest != 0 {
            let c = rest.trailingZeroBitCount
            rest &= rest - 1
            if cands[c].count > Int(pos) { longer = true; break }
        }
        if !longer {
            // A number enum value such as 12 may still be followed by a digit only if another
            // candidate is longer; none is, so the value is over.
            finishValue(schema)
        }
        return true
    }
}
