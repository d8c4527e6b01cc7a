import Foundation

/// Corpus metrics of a report (everything deterministic; tokens/s lives in `timing`).
public struct EvalMetrics: Codable, Equatable {
    public var cases: Int
    public var passed: Int
    public var passRate: Double
    /// Share of cases whose output equals the expected output (surrounding whitespace ignored).
    public var exactMatch: Double
    /// Mean of the per-case weighted assertion scores.
    public var meanScore: Double
    /// Mean NLL per expected-output token (nats), and exp(loss); nil when nothing was scored.
    public var loss: Double?
    public var perplexity: Double?
    public var scoredTokens: Int
    public var outputTokens: Int
    /// Pass rate per assertion (keyed by its `metric`, else its type, e.g. "not-contains").
    public var assertionPassRates: [String: Double]

    enum CodingKeys: String, CodingKey {
        case cases, passed, passRate = "pass_rate", exactMatch = "exact_match", meanScore = "mean_score"
        case loss, perplexity, scoredTokens = "scored_tokens", outputTokens = "output_tokens"
        case assertionPassRates = "assertion_pass_rates"
    }

    /// The metric names gates and diffs know, and whether higher is better.
    public static let headline: [(name: String, higherIsBetter: Bool)] = [
        ("pass_rate", true), ("exact_match", true), ("mean_score", true), ("loss", false), ("perplexity", false),
    ]

    public init(cases: [CaseReport]) {
        self.cases = cases.count
        passed = cases.filter(\.pass).count
        let n = Double(max(cases.count, 1))
        passRate = cases.isEmpty ? 0 : Double(passed) / n
        exactMatch = cases.isEmpty ? 0 : Double(cases.filter(\.exactMatch).count) / n
        // Fixed summation order (case order) so the bytes are reproducible.
        var scoreSum = 0.0, nllSum = 0.0, tokens = 0, outTokens = 0
        var perAssertion: [String: (pass: Int, total: Int)] = [:]
        for c in cases {
            scoreSum += c.score
            if let l = c.nll, let t = c.scoredTokens { nllSum += l; tokens += t }
            outTokens += c.outputTokens
            for a in c.assertions {
                let key = a.metric ?? a.type
                var e = perAssertion[key] ?? (0, 0)
                e.total += 1
                if a.pass { e.pass += 1 }
                perAssertion[key] = e
            }
        }
        meanScore = cases.isEmpty ? 0 : scoreSum / n
        scoredTokens = tokens
        outputTokens = outTokens
        if tokens > 0 {
            loss = nllSum / Double(tokens)
            perplexity = exp(nllSum / Double(tokens))
        }
        assertionPassRates = perAssertion.mapValues { Double($0.pass) / Double($0.total) }
    }

    /// A named metric's value: headline names, `assert.<key>` for an assertion's pass rate,
    /// `tokens_per_second`/`cases_per_second` from the report's timing.
    public func value(_ name: String, timing: EvalReport.Timing? = nil) -> Double? {
        switch name {
        case "pass_rate": return passRate
        case "exact_match": return exactMatch
        case "mean_score": return meanScore
        case "loss": return loss
        case "perplexity": return perplexity
        case "cases": return Double(cases)
        case "passed": return Double(passed)
        case "tokens_per_second": return timing?.tokensPerSecond
        case "cases_per_second": return timing?.casesPerSecond
        default:
            if name.hasPrefix("assert.") { return assertionPassRates[String(name.dropFirst(7))] }
            return nil
        }
    }
}
