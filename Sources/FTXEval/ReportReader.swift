import Foundation
import FTXData

/// Fast report loading for large reports (`ftx diff` of 10,000-case reports): the document is
/// parsed once by FTXData's byte-level JSONParser; the per-case records (the bulk) are read field by
/// field, and the small sections go through Codable. Keys come from the Codable CodingKeys, so the
/// two paths cannot drift apart (a round-trip test checks it).
enum ReportReader {
    struct Failure: Error { let message: String }

    static func decode(_ data: Data) throws -> EvalReport {
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
        var assertions: [AssertionResult] = []
        if case .array(let items)? = f.value(K.assertions.stringValue) {
            assertions.reserveCapacity(items.count)
            for (j, item) in items.enumerated() {
                guard case .object(let am) = item else { throw Failure(message: "wrong type at .cases[\(i)].assertions[\(j)]") }
                let a = Fields(members: am, caseIndex: i, assertionIndex: j)
                assertions.append(AssertionResult(type: try a.string("type"), pass: try a.bool("pass"), score: try a.number("score"),
                                                  weight: try a.number("weight"), reason: try a.optString("reason"),
                                                  metric: try a.optString("metric")))
            }
        }
        return CaseReport(
            id: try f.string(K.id.stringValue), prompt: try f.string(K.prompt.stringValue),
            expected: try f.string(K.expected.stringValue), output: try f.string(K.output.stringValue),
            pass: try f.bool(K.pass.stringValue), score: try f.number(K.score.stringValue),
            threshold: try f.optNumber(K.threshold.stringValue), exactMatch: try f.bool(K.exactMatch.stringValue),
            outputTokens: Int(try f.optNumber(K.outputTokens.stringValue) ?? 0),
            promptTokens: Int(try f.optNumber(K.promptTokens.stringValue) ?? 0),
            finishReason: try f.optString(K.finishReason.stringValue) ?? "stop",
            nll: try f.optNumber(K.nll.stringValue), scoredTokens: try f.optNumber(K.scoredTokens.stringValue).map { Int($0) },
            assertions: assertions, source: try f.optString(K.source.stringValue))
    }

    /// Typed access to an object's members with "missing key"/"wrong type" errors naming the path.
    struct Fields {
        let members: [JSONMember]
        // The path is formatted only for an error message (never per case on the happy path).
        let caseIndex: Int
        let assertionIndex: Int?
        var path: String { ".cases[\(caseIndex)]" + (assertionIndex.map { ".assertions[\($0)]" } ?? "") }
        func value(_ k: String) -> JSONValue? { members.first { $0.key == k }?.value }
        func missing(_ k: String) -> Failure { Failure(message: "missing key '\(k)' at \(path)") }
        func wrong(_ k: String) -> Failure { Failure(message: "wrong type at \(path).\(k)") }
        func string(_ k: String) throws -> String { guard let s = try optString(k) else { throw missing(k) }; return s }
        func optString(_ k: String) throws -> String? {
            switch value(k) {
            case nil, .null?: return nil
            case .string(let s)?: return s
            default: throw wrong(k)
            }
        }
        func bool(_ k: String) throws -> Bool {
            switch value(k) {
            case nil: throw missing(k)
            case .bool(let b)?: return b
            default: throw wrong(k)
            }
        }
        func number(_ k: String) throws -> Double { guard let d = try optNumber(k) else { throw missing(k) }; return d }
        func optNumber(_ k: String) throws -> Double? {
            switch value(k) {
            case nil, .null?: return nil
            case .number(let s)?: guard let d = Double(s) else { throw wrong(k) }; return d
            case .string(let s)?:  // non-finite floats are written as strings
                switch s { case "nan": return .nan; case "inf": return .infinity; case "-inf": return -.infinity; default: throw wrong(k) }
            default: throw wrong(k)
            }
        }
    }
}
