import Foundation
import FTXData
#if canImport(Glibc)
import Glibc
#endif

/// The fast path of report loading (`ftx diff` of two 10,000-case reports): one pass over the
/// bytes that builds the `CaseReport`s directly, with no intermediate JSON tree. The small top-level
/// sections are decoded by Codable from their byte ranges. It accepts exactly the documents the
/// tree path (`ReportReader`) accepts when they are well formed; on anything else (bad syntax, a
/// missing key, a wrong type) it gives up and the tree path runs, so error messages come from one
/// place. A test compares both paths on varied reports.
struct ReportScanner {
    /// Where the scanner stopped (the source line names the rule; for tests and debugging).
    struct GiveUp: Error {
        let line: UInt
        init(line: UInt = #line) { self.line = line }
    }

    let p: UnsafeBufferPointer<UInt8>
    var i = 0
    var depth = 0
    static let maxDepth = JSONParser.maxDepth

    init(_ p: UnsafeBufferPointer<UInt8>) { self.p = p }

    static func decode(_ data: Data) -> EvalReport? {
        data.withUnsafeBytes { raw -> EvalReport? in
            let p = UnsafeBufferPointer(start: raw.baseAddress?.assumingMemoryBound(to: UInt8.self), count: raw.count)
            var s = ReportScanner(p)
            return try? s.report()
        }
    }

    /// Why the scanner gives up on `data` ("rule at line L, byte B"), nil when it does not.
    static func diagnose(_ data: Data) -> String? {
        data.withUnsafeBytes { raw -> String? in
            var s = ReportScanner(UnsafeBufferPointer(start: raw.baseAddress?.assumingMemoryBound(to: UInt8.self), count: raw.count))
            do { _ = try s.report(); return nil } catch let e as GiveUp { return "rule at line \(e.line), byte \(s.i)" } catch {
                return "\(error)"
            }
        }
    }

    // MARK: Top level

    mutating func report() throws -> EvalReport {
        var sections: [String: Range<Int>] = [:]
        var format: String?
        var cases: [CaseReport]?
        try members { k, s in
            let key = k.text ?? String(decoding: k.bytes!, as: UTF8.self)
            if sections[key] != nil || (key == "format" && format != nil) || (key == "cases" && cases != nil) {
                try s.skipValue()  // the tree path takes the first of duplicate keys
                return
            }
            switch key {
            case "format": format = try s.string()
            case "cases": cases = try s.caseArray()
            default:
                let start = s.i
                try s.skipValue()
                sections[key] = start..<s.i
            }
        }
        skipWS()
        guard i == p.count, let format, let cases else { throw GiveUp() }
        func section<T: Decodable>(_ key: String, _ type: T.Type) throws -> T {
            guard let r = sections[key] else { throw GiveUp() }
            let dec = JSONDecoder()
            dec.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            return try dec.decode(T.self, from: Data(UnsafeBufferPointer(rebasing: p[r])))
        }
        var r = EvalReport(suite: try section("suite", EvalReport.SuiteInfo.self), model: try section("model", ModelIdentity.self),
                           cases: cases, metrics: try section("metrics", EvalMetrics.self),
                           gates: try section("gates", [GateResult].self),
                           timing: sections["timing"] == nil ? EvalReport.Timing() : try section("timing", EvalReport.Timing.self))
        r.format = format
        return r
    }

    mutating func caseArray() throws -> [CaseReport] {
        var out: [CaseReport] = []
        try elements { s in out.append(try s.caseReport()) }
        return out
    }

    mutating func caseReport() throws -> CaseReport {
        var c = CaseReport(id: "", prompt: "", expected: "", output: "", pass: false, score: 0, exactMatch: false)
        var seen: UInt32 = 0
        try members { key, s in
            switch key {
            case "id": c.id = try s.string(); seen |= 1
            case "prompt": c.prompt = try s.string(); seen |= 2
            case "expected": c.expected = try s.string(); seen |= 4
            case "output": c.output = try s.string(); seen |= 8
            case "pass": c.pass = try s.bool(); seen |= 16
            case "score": c.score = try s.number(); seen |= 32
            case "exact_match": c.exactMatch = try s.bool(); seen |= 64
            case "threshold": c.threshold = try s.optNumber()
            case "output_tokens": c.outputTokens = try s.integer()
            case "prompt_tokens": c.promptTokens = try s.integer()
            case "finish_reason": c.finishReason = try s.optString() ?? "stop"
            case "nll": c.nll = try s.optNumber()
            case "scored_tokens": c.scoredTokens = try s.optNumber().map(Self.int)
            case "source": c.source = try s.optString()
            case "assertions":
                try s.elements { s in c.assertions.append(try s.assertion()) }
            default: try s.skipValue()
            }
        }
        guard seen == 127 else { throw GiveUp() }
        return c
    }

    mutating func assertion() throws -> AssertionResult {
        var r = AssertionResult(type: "", pass: false, score: 0, weight: 1, reason: nil, metric: nil)
        var seen = 0
        try members { key, s in
            switch key {
            case "type": r.type = try s.string(); seen |= 1
            case "pass": r.pass = try s.bool(); seen |= 2
            case "score": r.score = try s.number(); seen |= 4
            case "weight": r.weight = try s.number()
            case "reason": r.reason = try s.optString()
            case "metric": r.metric = try s.optString()
            default: try s.skipValue()
            }
        }
        guard seen == 7 else { throw GiveUp() }
        return r
    }

    static func int(_ d: Double) throws -> Int {
        guard d.isFinite, abs(d) < 9.0e18 else { throw GiveUp() }
        return Int(d)
    }

    // MARK: Structure

    /// Calls `body` with each member key of the object at `i` (the scanner positioned on its value).
    /// Keys are compared as bytes against `StaticString`s through `Key` (no String per key).
    @inline(__always) mutating func members(_ body: (Key, inout ReportScanner) throws -> Void) throws {
        try container(UInt8(ascii: "{"), UInt8(ascii: "}")) { s in
            let key = try s.keyBytes()
            s.skipWS()
            try s.expect(UInt8(ascii: ":"))
            s.skipWS()
            try body(key, &s)
        }
    }

    /// Calls `body` with the scanner on each element of the array at `i`.
    @inline(__always) mutating func elements(_ body: (inout ReportScanner) throws -> Void) throws {
        try container(UInt8(ascii: "["), UInt8(ascii: "]"), body)
    }

    /// The comma-separated items between `open` and `close` (depth-limited); `item` reads one.
    @inline(__always) private mutating func container(_ open: UInt8, _ close: UInt8, _ item: (inout ReportScanner) throws -> Void) throws {
        skipWS()
        try expect(open)
        depth += 1
        guard depth <= Self.maxDepth else { throw GiveUp() }
        defer { depth -= 1 }
        skipWS()
        if peek == close { i += 1; return }
        while true {
            skipWS()
            try item(&self)
            skipWS()
            guard i < p.count else { throw GiveUp() }
            if p[i] == UInt8(ascii: ",") { i += 1; continue }
            if p[i] == close { i += 1; return }
            throw GiveUp()
        }
    }

    /// A member key: its bytes when it has no escapes (compared with `==` against literals),
    /// else its decoded text.
    struct Key {
        let bytes: UnsafeBufferPointer<UInt8>?
        let text: String?
        static func ~= (pattern: StaticString, key: Key) -> Bool {
            if let text = key.text { return text == pattern.description }
            let b = key.bytes!
            return b.count == pattern.utf8CodeUnitCount && (b.count == 0 || memcmp(b.baseAddress!, pattern.utf8Start, b.count) == 0)
        }
        static func == (key: Key, s: String) -> Bool {
            if let text = key.text { return text == s }
            return String(decoding: key.bytes!, as: UTF8.self) == s
        }
    }

    mutating func keyBytes() throws -> Key {
        guard peek == UInt8(ascii: "\"") else { throw GiveUp() }
        let start = i + 1
        var j = start
        while j < p.count, p[j] != UInt8(ascii: "\""), p[j] != UInt8(ascii: "\\"), p[j] >= 0x20 { j += 1 }
        if j < p.count, p[j] == UInt8(ascii: "\"") {
            i = j + 1
            return Key(bytes: UnsafeBufferPointer(rebasing: p[start..<j]), text: nil)
        }
        return Key(bytes: nil, text: try string())
    }

    // MARK: Values

    var peek: UInt8? { i < p.count ? p[i] : nil }

    mutating func expect(_ c: UInt8) throws {
        guard i < p.count, p[i] == c else { throw GiveUp() }
        i += 1
    }

    mutating func skipWS() {
        while i < p.count {
            let c = p[i]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { i += 1 } else { return }
        }
    }

    mutating func literal(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        guard i + n <= p.count, memcmp(p.baseAddress! + i, word.utf8Start, n) == 0 else { throw GiveUp() }
        i += n
    }

    mutating func bool() throws -> Bool {
        switch peek {
        case UInt8(ascii: "t"): try literal("true"); return true
        case UInt8(ascii: "f"): try literal("false"); return false
        default: throw GiveUp()
        }
    }

    mutating func isNull() throws -> Bool {
        guard peek == UInt8(ascii: "n") else { return false }
        try literal("null")
        return true
    }

    mutating func optString() throws -> String? { try isNull() ? nil : string() }

    mutating func number() throws -> Double {
        guard let d = try optNumber() else { throw GiveUp() }
        return d
    }

    mutating func integer() throws -> Int { try Self.int(number()) }

    /// A number, null, or the strings "nan"/"inf"/"-inf" (non-finite floats as written).
    mutating func optNumber() throws -> Double? {
        switch peek {
        case UInt8(ascii: "n"): try literal("null"); return nil
        case UInt8(ascii: "\""):
            switch try string() {
            case "nan": return .nan
            case "inf": return .infinity
            case "-inf": return -.infinity
            default: throw GiveUp()
            }
        default:
            let r = try numberRange()
            return try Self.parseDouble(UnsafeBufferPointer(rebasing: p[r]))
        }
    }

    /// The extent of a JSON number (the grammar the tree parser checks).
    mutating func numberRange() throws -> Range<Int> {
        let start = i
        func digit() -> Bool { i < p.count && p[i] >= 0x30 && p[i] <= 0x39 }
        if peek == UInt8(ascii: "-") { i += 1 }
        guard digit() else { throw GiveUp() }
        if p[i] == UInt8(ascii: "0") { i += 1 } else { while digit() { i += 1 } }
        if peek == UInt8(ascii: ".") {
            i += 1
            guard digit() else { throw GiveUp() }
            while digit() { i += 1 }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            i += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { i += 1 }
            guard digit() else { throw GiveUp() }
            while digit() { i += 1 }
        }
        return start..<i
    }

    /// Exactly `Double(String)` of the number's text: small integers directly, the rest through
    /// the standard library's parser on a stack copy (no heap String).
    static func parseDouble(_ b: UnsafeBufferPointer<UInt8>) throws -> Double {
        if b.count <= 15, b.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            var v = 0
            for c in b { v = v * 10 + Int(c - 0x30) }
            return Double(v)
        }
        let s = String(decoding: b, as: UTF8.self)
        guard let d = Double(s) else { throw GiveUp() }
        return d
    }

    mutating func string() throws -> String {
        guard peek == UInt8(ascii: "\"") else { throw GiveUp() }
        let open = i
        i += 1
        while i < p.count {
            let c = p[i]
            if c == UInt8(ascii: "\"") {
                let s = String(decoding: UnsafeBufferPointer(rebasing: p[(open + 1)..<i]), as: UTF8.self)
                i += 1
                return s
            }
            if c == UInt8(ascii: "\\") { break }
            if c < 0x20 { throw GiveUp() }
            i += 1
        }
        // Escapes (rare in reports): find the closing quote, then decode with FTXData's parser.
        while i < p.count, p[i] != UInt8(ascii: "\"") {
            if p[i] < 0x20 { throw GiveUp() }
            i += p[i] == UInt8(ascii: "\\") ? 2 : 1
        }
        guard i < p.count else { throw GiveUp() }
        i += 1
        guard case .string(let s)? = try? JSONParser.parse(UnsafeBufferPointer(rebasing: p[open..<i])) else { throw GiveUp() }
        return s
    }

    /// Skips any value, checking its syntax as the tree parser would.
    mutating func skipValue() throws {
        skipWS()
        switch peek {
        case UInt8(ascii: "{"): try members { _, s in try s.skipValue() }
        case UInt8(ascii: "["): try elements { s in try s.skipValue() }
        case UInt8(ascii: "\""): _ = try string()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default: _ = try numberRange()
        }
    }
}
