import Foundation

/// What differs between the suites two reports were made with, key by key (file hash, generation
/// settings, suite-level assertions, threshold, limit, case file and case count), and which
/// metrics that leaves comparable: a metric measured under different settings is labelled "not
/// comparable", and no regression is judged on it.
public struct SuiteChanges: Equatable {
    public var changes: [ReportDiff.ConfigChange] = []
    /// Generated outputs may differ (generation settings, limit): every output-based metric.
    var outputs = false
    /// Prompts or cases differ (the case file, chat template, system prompt, or an unrecorded
    /// change): nothing is comparable, the loss of the expected outputs included.
    var prompts = false
    /// Verdicts differ (assertions, case threshold): pass_rate, mean_score and assert.*.
    var verdicts = false

    /// Keys that are shown but change no measurement (a comment edit changes only the hash).
    static let informational: Set<String> = ["sha256", "name", "path", "cases_path"]
    static let promptKeys: Set<String> = ["cases", "cases_sha256", "generation.chat_template", "generation.system_prompt"]

    public var comparable: Bool { !(outputs || prompts || verdicts) }

    public func comparable(_ metric: String) -> Bool {
        if prompts { return false }
        switch metric {
        case "loss", "perplexity": return true
        case "exact_match", "tokens_per_second": return !outputs
        default: return !outputs && !verdicts
        }
    }

    public init(_ a: EvalReport, _ b: EvalReport) {
        let sa = Self.settings(a), sb = Self.settings(b)
        for key in Set(sa.keys).union(sb.keys).sorted() where sa[key] != sb[key] {
            // A setting one report does not record (an older report, an empty hash) is unknown, not changed.
            guard sa[key] != nil, sb[key] != nil else { continue }
            changes.append(.init(key: key, a: sa[key], b: sb[key]))
            if Self.promptKeys.contains(key) { prompts = true }
            else if key == "threshold" { verdicts = true }
            else if !Self.informational.contains(key) { outputs = true }
        }
        if let x = a.suite.assertions, let y = b.suite.assertions {
            // As multisets, so a reordered list is no change; each removed or added one is a line.
            var count: [String: Int] = [:]
            for t in x { count[t, default: 0] += 1 }
            for t in y { count[t, default: 0] -= 1 }
            for (t, n) in count.sorted(by: { $0.key < $1.key }) where n != 0 {
                for _ in 0..<abs(n) { changes.append(.init(key: "assert", a: n > 0 ? t : nil, b: n > 0 ? nil : t)) }
                verdicts = true
            }
        } else if changes.contains(where: { $0.key == "sha256" }) {
            // The file changed and the report cannot say how: assume anything did.
            prompts = true
        }
        changes.sort { ($0.key, $0.a ?? "", $0.b ?? "") < ($1.key, $1.a ?? "", $1.b ?? "") }
    }

    /// A report's recorded suite settings, flattened (`generation.max_tokens` …). A key is left out
    /// when the report cannot say (an empty hash; threshold and limit in reports that predate them).
    static func settings(_ r: EvalReport) -> [String: String] {
        let s = r.suite
        var out: [String: String] = ["name": s.name, "cases": String(r.cases.count),
                                     "generation.system_prompt": s.generation.systemPrompt ?? "(none)"]
        if !s.sha256.isEmpty { out["sha256"] = s.sha256 }
        if !s.casesSHA256.isEmpty { out["cases_sha256"] = s.casesSHA256 }
        if !s.casesPath.isEmpty { out["cases_path"] = s.casesPath }
        if s.assertions != nil {
            out["threshold"] = s.threshold.map(EvalJSON.formatNumber) ?? "(none)"
            out["limit"] = s.limit.map(String.init) ?? "(none)"
        }
        if let data = try? StableJSON.encode(s.generation), let g = EvalJSON.parse(String(decoding: data, as: UTF8.self)) {
            ConfigDiff.flatten(g, prefix: "generation", into: &out)
        }
        return out
    }
}
