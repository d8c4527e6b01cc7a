import Foundation
import FTXEval

/// A pass rate with its Wilson 95% score interval.
public struct RateEstimate: Codable, Equatable, Sendable {
    public var passed: Int
    public var n: Int
    public var rate: Double
    public var low: Double
    public var high: Double

    public init(passed: Int, n: Int) {
        self.passed = passed; self.n = n
        rate = n == 0 ? 0 : Double(passed) / Double(n)
        let ci = Statistics.wilson(successes: passed, n: n)
        low = ci.low; high = ci.high
    }
}

/// One assertion (by its report key: `metric`, else its type such as `is-json`) on live outputs,
/// beside the deployed run's eval report.
public struct AssertionDrift: Codable, Equatable, Sendable {
    public var key: String
    public var production: RateEstimate
    /// nil when the report has no verdicts for it (the suite gained the assertion since the run).
    public var eval: RateEstimate?
    /// Production is significantly worse: its Wilson 95% interval lies wholly below the eval's
    /// (production.high < eval.low).
    public var drift: Bool
}

/// Output quality of one adapter version: the suite's reference-free assertions on logged outputs.
public struct QualityReport: Codable, Equatable, Sendable {
    /// The suite name and file the assertions came from.
    public var suite: String
    /// Successful requests whose output was logged (checked), and those without content.
    public var checked: Int
    public var withoutContent: Int
    public var assertions: [AssertionDrift]
    /// Why some or all of it could not be checked, for the reader.
    public var notes: [String]

    enum CodingKeys: String, CodingKey {
        case suite, checked, withoutContent = "without_content", assertions, notes
    }
}

public enum MonitorQuality {
    /// Assertions that judge an output alone: no `{{…}}` placeholder (case fields, the expected
    /// output) and no default that compares with the expected output (`equals`, `similar` and
    /// `json-field` without a `value`).
    public static func isReferenceFree(_ spec: AssertionSpec) -> Bool {
        if let v = spec.value { return !Template.hasPlaceholders(v) }
        return ![AssertionKind.equals, .similar, .jsonField].contains(spec.kind)
    }

    static func key(_ spec: AssertionSpec) -> String { spec.metric ?? spec.typeName }

    /// Runs `suite`'s reference-free assertions (the suite-level ones: live traffic has no case
    /// rows) through `AssertionEvaluator` on each successful line's logged output, and sets each
    /// key's production pass rate beside `report`'s (the same assertions' verdicts on the eval cases).
    public static func check(_ lines: [RequestLogLine], suiteName: String, assertions: [AssertionSpec],
                             report: EvalReport?) -> QualityReport {
        let free = assertions.enumerated().filter { isReferenceFree($0.element) }
        var notes: [String] = []
        let skipped = assertions.count - free.count
        if skipped > 0 { notes.append("\(skipped) assertion(s) need an expected output and are not checked on live traffic") }
        let ok = lines.filter { $0.error == nil }
        let withContent = ok.filter { $0.output != nil }
        if free.isEmpty { notes.append("the suite has no reference-free assertions") }
        if withContent.isEmpty && !ok.isEmpty {
            notes.append("no outputs were logged (ftx serve --no-log-content): nothing to check")
        }

        var prod: [String: (pass: Int, n: Int)] = [:], order: [String] = []
        for (_, spec) in free where prod[key(spec)] == nil {
            prod[key(spec)] = (0, 0)
            order.append(key(spec))
        }
        for line in withContent {
            let out = CaseOutput(text: line.output ?? "", outputTokens: line.completionTokens, latencyMs: line.latencyMs)
            let input = line.prompt ?? (line.messages ?? []).map { "\($0.role): \($0.content)" }.joined(separator: "\n")
            var ctx = CaseContext(id: line.id, input: input, expected: "", fields: [:])
            for (_, spec) in free {
                let r = AssertionEvaluator.evaluate(spec, output: out, context: &ctx)
                prod[key(spec), default: (0, 0)].n += 1
                if r.pass { prod[key(spec), default: (0, 0)].pass += 1 }
            }
        }

        let evalCounts = report.map { evalVerdicts($0, free: free.map { ($0.offset, $0.element) }) } ?? [:]
        let drifts = order.map { k -> AssertionDrift in
            let p = RateEstimate(passed: prod[k]!.pass, n: prod[k]!.n)
            let e = evalCounts[k].flatMap { $0.n > 0 ? RateEstimate(passed: $0.pass, n: $0.n) : nil }
            let drift = p.n > 0 && e.map { p.high < $0.low } == true
            return AssertionDrift(key: k, production: p, eval: e, drift: drift)
        }
        return QualityReport(suite: suiteName, checked: withContent.count, withoutContent: ok.count - withContent.count,
                             assertions: drifts, notes: notes)
    }

    /// Pass counts per key over the report's cases. A case's verdicts start with the suite-level
    /// assertions in suite order; the report records their canonical texts, so an assertion is
    /// matched by text (by position in reports that predate the record).
    static func evalVerdicts(_ report: EvalReport, free: [(Int, AssertionSpec)]) -> [String: (pass: Int, n: Int)] {
        var out: [String: (pass: Int, n: Int)] = [:]
        var used = Set<Int>()
        for (i, spec) in free {
            let index: Int?
            if let recorded = report.suite.assertions {
                index = recorded.indices.first { !used.contains($0) && recorded[$0] == spec.canonicalText }
            } else {
                index = i
            }
            guard let j = index else { continue }
            used.insert(j)
            for c in report.cases where j < c.assertions.count {
                out[key(spec), default: (0, 0)].n += 1
                if c.assertions[j].pass { out[key(spec), default: (0, 0)].pass += 1 }
            }
        }
        return out
    }
}
