import Foundation
import FTXCore
import FTXData

/// Reads a suite's cases from its JSONL split (through FTXData, so every dataset format works and
/// malformed rows are reported with file:line), gives each a stable id, and validates per-case
/// assertions — all before any generation starts.
public enum CaseLoader {
    public struct Loaded {
        public var cases: [EvalCase]
        /// SHA-256 of the case file's bytes (recorded in the report).
        public var sha256: String
    }

    public static func load(suite: EvalSuite) throws -> Loaded {
        let path = suite.casesPath
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EvalError.suite("cannot read case file '\(suite.casesDeclared)'", file: suite.path, line: nil)
        }
        let sha = SHA256.hash(data: data).hex
        let examples = try ExampleReader.readAll(path: path)
        let extras = try rowExtras(data, field: suite.caseAssertField, file: path)
        var cases: [EvalCase] = []
        cases.reserveCapacity(examples.count)
        var seen: [String: Int] = [:]
        for ex in examples {
            let line = ex.source?.line
            let id = ex.fields[suite.idField] ?? ex.id
            if let first = seen[id] {
                throw EvalError.caseFile("duplicate case id '\(id)' (first at line \(first))", file: path, line: line,
                                         hint: "case ids must be unique; remove the duplicate row or give it another '\(suite.idField)'")
            }
            seen[id] = line ?? 0
            func fail(_ m: String, _ l: Int?, _ h: String?) -> EvalError { .caseFile(m, file: path, line: l ?? line, hint: h) }
            var assertions: [AssertionSpec] = []
            if let list = line.flatMap({ extras[$0] }) {
                guard let items = list.sequence else {
                    throw fail("'\(suite.caseAssertField)' must be a list of assertions", line, nil)
                }
                assertions = try items.map { try AssertionSpec.parse($0, file: path, fail: fail) }
            }
            var threshold: Double?
            if let t = ex.fields["threshold"] {
                guard let d = Double(t), (0...1).contains(d) else { throw fail("'threshold' must be a number between 0 and 1", line, nil) }
                threshold = d
            }
            var messages: [EvalMessage] = []
            if ex.format == .chat {
                let end = ex.lastAssistantIndex ?? ex.messages.count
                messages = ex.messages[..<end].map { EvalMessage(role: $0.role, content: $0.content) }
            }
            cases.append(EvalCase(id: id, messages: messages, input: ex.input, expected: ex.output, fields: ex.fields,
                                  assertions: assertions, threshold: threshold, source: ex.source?.description))
            if let limit = suite.limit, cases.count >= limit { break }
        }
        if cases.isEmpty {
            throw EvalError.caseFile("the case file has no cases", file: path, line: nil)
        }
        return Loaded(cases: cases, sha256: sha)
    }

    /// The per-case assertion lists, by 1-based line number. Only lines that mention the field
    /// are parsed (FTXData keeps scalar fields only; assertion lists are structured).
    static func rowExtras(_ data: Data, field: String, file: String) throws -> [Int: LocatedNode] {
        let needle = Array("\"\(field)\"".utf8)
        var out: [Int: LocatedNode] = [:]
        var lineNo = 0
        for lineBytes in data.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNo += 1
            guard lineBytes.count >= needle.count, lineBytes.firstRange(of: needle) != nil else { continue }
            guard let row = EvalJSON.parse(String(decoding: lineBytes, as: UTF8.self)),
                  let list = row[field] else { continue }
            out[lineNo] = LocatedNode(json: list, line: lineNo)
        }
        return out
    }
}
