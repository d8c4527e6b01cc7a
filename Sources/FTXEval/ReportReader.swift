import Foundation
import FTXData

/// Fast report loading for large reports (`ftx diff` of 10,000-case reports): the document is
/// parsed once by FTXData's byte-level JSONParser; the per-case records (the bulk) are read field by
/// field, and the small sections go through Codable. Keys come from the Codable CodingKeys, so the
/// two paths cannot drift apart (a round-trip test checks it).
enum ReportReader {
    struct Failure: Error { let message: String }

    static func decode(_ data: Data) throws -> EvalReport {
        // Well-formed reports take the one-pass scanner; anything it rejects comes here for the message.
        if let r = ReportScanner.decode(data) { return r }
        return try decodeTree(data)
    }

    /// The reference path: the whole document as a JSON tree, then the cases field by field.
    static func decodeTree(_ data: Data) throws -> EvalReport {
        let root: JSONValue
        do {
            root = try data.withUnsafeBytes { raw in
                try JSONParser.parse(UnsafeBufferPointer(start: raw.baseAddress?.assumingMemoryBound(to: UInt8.self), count: raw.count))
            }
        } catch let e as JSONParseError {
            throw Failure(message: "invalid JSON at byte \(e.offset): \(e.detail)")
        }
        guard case .object(let top) = root else { throw Failure(message: "the top level is not an object") }
        func member(_ k: String) -> JSONValue? { top.first { $0.key == k }?.value }

        // Small sections: re-encode and decode with Codable.
        func small<T: Decodable>(_ key: String, _ type: T.Type) throws -> T {
            guard let v = member(key) else { throw Failure(message: "missing key '\(key)' at top level") }
            let dec = JSONDecoder()
            dec.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            do { return try dec.decode(T.self, from: Data(EvalJSON(v).jsonText.utf8)) } catch let e as DecodingError {
                throw Failure(message: EvalReport.describe(e).replacingOccurrences(of: " at ", with: " at .\(key)"))
            }
        }
        guard case .string(let format)? = member("format") else { throw Failure(message: "missing key 'format' at top level") }
        let suite = try small("suite", EvalReport.SuiteInfo.self)
        let model = try small("model", ModelIdentity.self)
        let metrics = try small("metrics", EvalMetrics.self)
        let gates = try small("gates", [GateResult].self)
        let timing = member("timing") == nil ? EvalReport.Timing() : try small("timing", EvalReport.Timing.self)
        guard case .array(let rows)? = member("cases") else { throw Failure(message: "missing key 'cases' at top level") }
        var cases: [CaseReport] = []
        cases.reserveCapacity(rows.count)
        for (i, row) in rows.enumerated() { cases.append(try caseReport(row, index: i)) }
        var r = EvalReport(suite: suite, model: model, cases: cases, metrics: metrics, gates: gates, timing: timing)
        r.format = format
        return r
    }

    typealias K = CaseReport.CodingKeys

    static func caseReport(_ v: JSONValue, index i: Int) throws -> CaseReport {
        guard case .object(let m) = v else { throw Failure(message: "wrong type at .cases[\(i)]") }
        let f = Fields(members: m, caseIndex: i, assertionIndex: nil)
        // One pass over the members (a case has ~15; scanning per field would cost a retain each).
        var c = CaseReport(id: "", prompt: "", expected: "", output: "", pass: false, score: 0, exactMatch: false)
        var seen = Set<K>()
        for member in m {
            guard let key = K(rawValue: member.key) else { continue }
            seen.insert(key)
            let x = member.value
            switch key {
            case .id: c.id = try f.string(x, key)
            case .prompt: c.prompt = try f.string(x, key)
            case .expected: c.expected = try f.string(x, key)
            case .output: c.output = try f.string(x, key)
            case .pass: c.pass = try f.bool(x, key)
            case .score: c.score = try f.number(x, key)
            case .threshold: c.threshold = try f.optNumber(x, key)
            case .exactMatch: c.exactMatch = try f.bool(x, key)
            case .outputTokens: c.outputTokens = try f.integer(x, key)
            case .promptTokens: c.promptTokens = try f.integer(x, key)
            case .finishReason: c.finishReason = try f.optString(x, key) ?? "stop"
            case .nll: c.nll = try f.optNumber(x, key)
            case .scoredTokens: c.scoredTokens = try f.optNumber(x, key) == nil ? nil : try f.integer(x, key)
            case .source: c.source = try f.optString(x, key)
            case .assertions:
                guard case .array(let items) = x else { throw f.wrong(key.stringValue) }
                c.assertions.reserveCapacity(items.count)
                for (j, item) in items.enumerated() { c.assertions.append(try assertion(item, case: i, index: j)) }
            }
        }
        for key in [K.id, .prompt, .expected, .output, .pass, .score, .exactMatch] where !seen.contains(key) {
            throw f.missing(key.stringValue)
        }
        return c
    }

    static func assertion(_ item: JSONValue, case i: Int, index j: Int) throws -> AssertionResult {
        guard case .object(let am) = item else { throw Failure(message: "wrong type at .cases[\(i)].assertions[\(j)]") }
        let a = Fields(members: am, caseIndex: i, assertionIndex: j)
        var r = AssertionResult(type: "", pass: false, score: 0, weight: 1, reason: nil, metric: nil)
        var seen = 0
        for member in am {
            let x = member.value
            switch member.key {
            case "type": r.type = try a.string(x, "type"); seen |= 1
            case "pass": r.pass = try a.bool(x, "pass"); seen |= 2
            case "score": r.score = try a.number(x, "score"); seen |= 4
            case "weight": r.weight = try a.number(x, "weight")
            case "reason": r.reason = try a.optString(x, "reason")
            case "metric": r.metric = try a.optString(x, "metric")
            default: continue
            }
        }
        if seen != 7 { throw a.missing(seen & 1 == 0 ? "type" : seen & 2 == 0 ? "pass" : "score") }
        return r
    }

    /// Typed reading of member values with "missing key"/"wrong type" errors naming the path.
    struct Fields {
        let members: [JSONMember]
        // The path is formatted only for an error message (never per case on the happy path).
        let caseIndex: Int
        let assertionIndex: Int?
        var path: String { ".cases[\(caseIndex)]" + (assertionIndex.map { ".assertions[\($0)]" } ?? "") }
        func missing(_ k: String) -> Failure { Failure(message: "missing key '\(k)' at \(path)") }
        func wrong(_ k: String) -> Failure { Failure(message: "wrong type at \(path).\(k)") }

        func string(_ x: JSONValue, _ k: K) throws -> String { try string(x, k.stringValue) }
        func optString(_ x: JSONValue, _ k: K) throws -> String? { try optString(x, k.stringValue) }
        func bool(_ x: JSONValue, _ k: K) throws -> Bool { try bool(x, k.stringValue) }
        func number(_ x: JSONValue, _ k: K) throws -> Double { try number(x, k.stringValue) }
        func optNumber(_ x: JSONValue, _ k: K) throws -> Double? { try optNumber(x, k.stringValue) }
        /// A count: a finite number in Int's range (a NaN or 1e300 here is a wrong value, not a crash).
        func integer(_ x: JSONValue, _ k: K) throws -> Int {
            let d = try number(x, k)
            guard d.isFinite, abs(d) < 9.0e18 else { throw wrong(k.stringValue) }
            return Int(d)
        }

        func string(_ x: JSONValue, _ k: String) throws -> String {
            guard case .string(let s) = x else { throw wrong(k) }
            return s
        }
        func optString(_ x: JSONValue, _ k: String) throws -> String? {
            if case .null = x { return nil }
            return try string(x, k)
        }
        func bool(_ x: JSONValue, _ k: String) throws -> Bool {
            guard case .bool(let b) = x else { throw wrong(k) }
            return b
        }
        func number(_ x: JSONValue, _ k: String) throws -> Double {
            guard let d = try optNumber(x, k) else { throw wrong(k) }
            return d
        }
        func optNumber(_ x: JSONValue, _ k: String) throws -> Double? {
            switch x {
            case .null: return nil
            case .number(let s): guard let d = Double(s) else { throw wrong(k) }; return d
            case .string(let s):  // non-finite floats are written as strings
                switch s { case "nan": return .nan; case "inf": return .infinity; case "-inf": return -.infinity; default: throw wrong(k) }
            default: throw wrong(k)
            }
        }
    }
}
