import Foundation
import FTXCore

/// A quality gate, declared before training (run config `eval: {suite, gates}`):
///   - "pass_rate >= 0.85"                  threshold on a metric of the report
///   - {regression_vs: base, max_drop: 0.02} no metric may drop by more than 0.02 vs the baseline
///   - {regression_vs: base, max_flips: 3}   no more than 3 cases may flip pass → fail
public struct GateSpec: Codable, Equatable, Sendable {
    public enum Op: String, Codable, Sendable, CaseIterable {
        case ge = ">=", gt = ">", le = "<=", lt = "<", eq = "=="
        /// Whether `value OP limit` holds.
        public func holds(_ value: Double, _ limit: Double) -> Bool {
            switch self {
            case .ge: return value >= limit
            case .gt: return value > limit
            case .le: return value <= limit
            case .lt: return value < limit
            case .eq: return value == limit
            }
        }
    }
    // Threshold gate.
    public var metric: String?
    public var op: Op?
    public var value: Double?
    // Regression gate.
    public var regressionVs: String?
    public var maxDrop: Double?
    public var maxFlips: Int?
    /// Metrics a max_drop applies to (default: the rate metrics pass_rate, exact_match, mean_score).
    public var metrics: [String]?

    public static let defaultRegressionMetrics = ["pass_rate", "exact_match", "mean_score"]

    enum CodingKeys: String, CodingKey {
        case metric, op, value, regressionVs = "regression_vs", maxDrop = "max_drop", maxFlips = "max_flips", metrics
    }

    public static func threshold(_ metric: String, _ op: Op, _ value: Double) -> GateSpec {
        GateSpec(metric: metric, op: op, value: value)
    }
    public static func regression(vs baseline: String, maxDrop: Double? = nil, maxFlips: Int? = nil, metrics: [String]? = nil) -> GateSpec {
        GateSpec(regressionVs: baseline, maxDrop: maxDrop, maxFlips: maxFlips, metrics: metrics)
    }

    public var isRegression: Bool { regressionVs != nil }

    /// Canonical text, e.g. "pass_rate >= 0.85" or "regression_vs base: max_drop 0.02 (pass_rate)".
    public var text: String {
        if let m = metric, let op, let value { return "\(m) \(op.rawValue) \(Self.fmt(value))" }
        var parts: [String] = []
        if let d = maxDrop { parts.append("max_drop \(Self.fmt(d)) (\((metrics ?? Self.defaultRegressionMetrics).joined(separator: ", ")))") }
        if let f = maxFlips { parts.append("max_flips \(f)") }
        return "regression_vs \(regressionVs ?? "?"): " + parts.joined(separator: ", ")
    }

    static func fmt(_ d: Double) -> String { d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : "\(d)" }

    static let knownMetrics = EvalMetrics.headline.map(\.name) + ["tokens_per_second", "cases_per_second", "cases", "passed"]

    /// Lower-is-better metrics (for max_drop direction).
    public static func higherIsBetter(_ metric: String) -> Bool {
        !["loss", "perplexity"].contains(metric)
    }

    /// Parses "metric OP number" (e.g. "pass_rate >= 0.85", "assert.is-json>=0.9"). The operator is
    /// the first run of `<>=!` characters, so a misspelt one (`=>`, `=<`, `!=`) is named as such
    /// rather than read as part of the metric's name.
    public static func parse(expression raw: String) throws -> GateSpec {
        try parse(expression: raw, noun: "gate", examples: "pass_rate >= 0.85, perplexity <= 12", checkMetric: checkMetric)
    }

    /// The same grammar over another set of metric names (`ftx monitor --fail-on`): `checkMetric`
    /// throws for a name it does not know; `noun` names the expression in messages, `examples` shows two.
    public static func parse(expression raw: String, noun: String, examples: String,
                             checkMetric: (String) throws -> Void) throws -> GateSpec {
        let s = raw.trimmingCharacters(in: .whitespaces)
        let opChars: Set<Character> = ["<", ">", "=", "!"]
        let operators = Op.allCases.map(\.rawValue)
        guard let start = s.firstIndex(where: { opChars.contains($0) }) else {
            throw EvalError.gate("\(noun) '\(raw)' is not 'metric OP number'", location: nil,
                                 hint: "e.g. \(examples) (operators \(operators.joined(separator: " ")))")
        }
        let end = s[start...].firstIndex(where: { !opChars.contains($0) }) ?? s.endIndex
        let opText = String(s[start..<end])
        guard let op = Op(rawValue: opText) else {
            let reversed = Op(rawValue: String(opText.reversed())).map { "did you mean '\($0.rawValue)'? " } ?? ""
            throw EvalError.gate("\(noun) '\(raw)': '\(opText)' is not an operator", location: nil,
                                 hint: reversed + "operators: \(operators.joined(separator: " "))")
        }
        let name = s[..<start].trimmingCharacters(in: .whitespaces)
        let num = s[end...].trimmingCharacters(in: .whitespaces)
        try checkMetric(name)
        guard let v = Double(num.hasSuffix("%") ? String(num.dropLast()) : num), v.isFinite else {
            throw EvalError.gate("\(noun) '\(raw)': '\(num)' is not a number", location: nil)
        }
        return .threshold(name, op, num.hasSuffix("%") ? v / 100 : v)
    }

    static func checkMetric(_ name: String) throws {
        if name.hasPrefix("assert.") && name.count > 7 { return }
        guard knownMetrics.contains(name) else {
            throw EvalError.gate("unknown metric '\(name)' in gate", location: nil,
                                 hint: Suggest.closest(name, in: knownMetrics).map { "did you mean '\($0)'?" }
                                     ?? "metrics: \(knownMetrics.joined(separator: ", ")), assert.<type or metric name>")
        }
    }

    /// Parses a YAML gates list (strings and regression mappings). Errors name `file:line`.
    public static func parseList(_ node: LocatedNode, file: String) throws -> [GateSpec] {
        func at(_ e: Error, _ line: Int?) -> Error {
            if case EvalError.gate(let m, _, let h) = e { return EvalError.gate(m, location: "\(file):\(line ?? 0)", hint: h) }
            return e
        }
        guard let items = node.sequence else {
            throw EvalError.gate("'gates' must be a list", location: "\(file):\(node.line ?? 0)",
                                 hint: "gates:\n  - pass_rate >= 0.85\n  - regression_vs: base\n    max_drop: 0.02")
        }
        var out: [GateSpec] = []
        for item in items {
            if let s = item.string {
                do { out.append(try parse(expression: s)) } catch { throw at(error, item.line) }
                continue
            }
            guard let pairs = item.mapping else {
                throw EvalError.gate("a gate is an expression or a regression mapping", location: "\(file):\(item.line ?? 0)")
            }
            var g = GateSpec()
            let keys = ["regression_vs", "max_drop", "max_flips", "metric", "metrics"]
            for (k, v) in pairs {
                let loc = "\(file):\(v.line ?? 0)"
                switch k {
                case "regression_vs":
                    guard let s = v.text, !s.isEmpty else { throw EvalError.gate("regression_vs names a baseline (base, a tag, a commit)", location: loc) }
                    g.regressionVs = s
                case "max_drop":
                    guard let d = v.number, d >= 0 else { throw EvalError.gate("max_drop must be a number ≥ 0", location: loc) }
                    g.maxDrop = d
                case "max_flips":
                    guard let d = v.number, d >= 0, d == d.rounded() else { throw EvalError.gate("max_flips must be an integer ≥ 0", location: loc) }
                    g.maxFlips = Int(d)
                case "metric", "metrics":
                    let names = v.string.map { [$0] } ?? v.sequence?.compactMap(\.string) ?? []
                    guard !names.isEmpty else { throw EvalError.gate("'\(k)' must name metrics", location: loc) }
                    do { for n in names { try checkMetric(n) } } catch { throw at(error, v.line) }
                    g.metrics = names
                default:
                    throw EvalError.gate("unknown gate key '\(k)'", location: loc, hint: Suggest.hint(k, in: keys))
                }
            }
            guard g.regressionVs != nil else {
                throw EvalError.gate("a gate mapping needs 'regression_vs'", location: "\(file):\(item.line ?? 0)",
                                     hint: "threshold gates are strings: - pass_rate >= 0.85")
            }
            guard g.maxDrop != nil || g.maxFlips != nil else {
                throw EvalError.gate("a regression gate needs max_drop and/or max_flips", location: "\(file):\(item.line ?? 0)")
            }
            out.append(g)
        }
        return out
    }

    /// Reads `eval.gates` (and `eval.suite`) from a run config YAML file, ignoring its other keys.
    public static func fromRunConfig(path: String) throws -> (suite: String?, gates: [GateSpec]) {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw EvalError.other("cannot read config", location: path)
        }
        return try fromRunConfig(text: text, file: path)
    }

    /// The same, from the config's text; errors name `file` and the line within `text`.
    public static func fromRunConfig(text: String, file path: String) throws -> (suite: String?, gates: [GateSpec]) {
        guard let top = try compose(text, file: path)?.mapping,
              let evalNode = top.first(where: { $0.0 == "eval" })?.1 else { return (nil, []) }
        return try evalSection(evalNode, file: path)
    }

    /// Parses the `eval:` section of a run config given as YAML text (FTXTrain keeps it opaque):
    /// `{suite: PATH, gates: [...]}`. Errors name `file` and the line within `text`.
    public static func fromEvalSection(yaml text: String, file: String) throws -> (suite: String?, gates: [GateSpec]) {
        guard let node = try compose(text, file: file) else { return (nil, []) }
        return try evalSection(node, file: file)
    }

    static func compose(_ text: String, file: String) throws -> LocatedNode? {
        do { return try YAMLDocument.compose(text, file: file).map { LocatedNode(yaml: $0) } } catch let e as YAMLError {
            throw EvalError.other(e.problem, location: e.location ?? file)
        }
    }

    static func evalSection(_ node: LocatedNode, file: String) throws -> (suite: String?, gates: [GateSpec]) {
        guard let ev = node.mapping else {
            throw EvalError.other("'eval' must be a mapping {suite, gates}", location: "\(file):\(node.line ?? 0)")
        }
        var suite: String?, gates: [GateSpec] = []
        for (k, v) in ev {
            switch k {
            case "suite":
                guard let s = v.string else { throw EvalError.other("eval.suite must be a path", location: "\(file):\(v.line ?? 0)") }
                suite = s
            case "gates": gates = try parseList(v, file: file)
            default:
                throw EvalError.other("unknown key 'eval.\(k)'", location: "\(file):\(v.line ?? 0)", hint: Suggest.hint(k, in: ["suite", "gates"]))
            }
        }
        return (suite, gates)
    }
}

/// A gate's verdict.
public struct GateResult: Codable, Equatable, Sendable {
    public enum Status: String, Codable, Sendable { case pass, fail, pending }
    public var gate: String
    public var spec: GateSpec
    public var status: Status
    /// The metric value a threshold gate saw (nil for regression gates).
    public var value: Double?
    public var detail: String
}
