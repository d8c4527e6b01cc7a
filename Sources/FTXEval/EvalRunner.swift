import Foundation
import FTXCore

/// Runs a suite over an EvalModel: builds prompts, generates in batches of `batch_size` (with
/// progress), scores the expected outputs (loss/perplexity), applies the assertions, computes
/// metrics and gate verdicts, and returns the report.
public struct EvalRunner {
    public var suite: EvalSuite
    public var gates: [GateSpec]
    /// Baseline report for regression gates (nil: they stay `pending`).
    public var baseline: EvalReport?
    /// Compute NLL of expected outputs (loss, perplexity).
    public var scoreExpected: Bool
    public var showProgress: Bool

    public init(suite: EvalSuite, gates: [GateSpec] = [], baseline: EvalReport? = nil,
                scoreExpected: Bool = true, showProgress: Bool = true) {
        self.suite = suite; self.gates = gates; self.baseline = baseline
        self.scoreExpected = scoreExpected; self.showProgress = showProgress
    }

    /// Loads the suite's cases (validating every per-case assertion first), then runs them.
    public func run(model: EvalModel) throws -> EvalReport {
        let loaded = try CaseLoader.load(suite: suite)
        return try run(model: model, cases: loaded.cases, casesSHA256: loaded.sha256)
    }

    /// The prompt text the model is given for a case.
    public func prompt(for c: EvalCase, model: EvalModel) throws -> String {
        let g = suite.generation
        if g.chatTemplate {
            var messages = c.messages.isEmpty ? [EvalMessage(role: "user", content: c.input)] : c.messages
            if let sys = g.systemPrompt, messages.first?.role != "system" {
                messages.insert(EvalMessage(role: "system", content: sys), at: 0)
            }
            return try model.renderChat(messages)
        }
        if let sys = g.systemPrompt { return sys + "\n\n" + c.input }
        return c.input
    }

    /// Cases handed to `EvalModel.score(batch:)` per call.
    static let scoreBatch = 32

    public func run(model: EvalModel, cases: [EvalCase], casesSHA256: String = "") throws -> EvalReport {
        let start = Date()
        let prompts = try cases.map { try prompt(for: $0, model: model) }
        let params = suite.generation.params
        let batch = max(1, suite.generation.batchSize)
        let progress = ProgressReporter(label: "eval \(suite.name)", total: cases.count, enabled: showProgress)
        var outputs: [GenerationOutput] = []
        outputs.reserveCapacity(cases.count)
        var genSeconds = 0.0, genTokens = 0
        var offset = 0
        while offset < prompts.count {
            let end = min(prompts.count, offset + batch)
            let t0 = Date()
            let got = try model.generate(Array(prompts[offset..<end]), params: params)
            guard got.count == end - offset else {
                throw EvalError.model("the model returned \(got.count) outputs for \(end - offset) prompts")
            }
            genSeconds += Date().timeIntervalSince(t0)
            genTokens += got.reduce(0) { $0 + $1.outputTokens }
            outputs += got
            offset = end
            progress.update(offset, [String(format: "%.1f tok/s", genSeconds > 0 ? Double(genTokens) / genSeconds : 0)])
        }

        var scoreSeconds = 0.0
        var nlls: [(Double, Int)?] = Array(repeating: nil, count: cases.count)
        if scoreExpected {
            let t0 = Date()
            // Several cases per call: a model batches them into shared forward passes.
            let todo = cases.indices.filter { !cases[$0].expected.isEmpty }
            var offset = 0
            while offset < todo.count {
                let chunk = Array(todo[offset..<min(todo.count, offset + Self.scoreBatch)])
                let got = try model.score(batch: chunk.map { (prompts[$0], cases[$0].expected) })
                guard got.count == chunk.count else {
                    throw EvalError.model("the model returned \(got.count) scores for \(chunk.count) cases")
                }
                for (i, s) in zip(chunk, got) where s.tokens > 0 { nlls[i] = (s.nll, s.tokens) }
                offset += chunk.count
            }
            scoreSeconds = Date().timeIntervalSince(t0)
        }

        var reports: [CaseReport] = []
        reports.reserveCapacity(cases.count)
        var latencies: [Double] = []
        for (i, c) in cases.enumerated() {
            let out = outputs[i]
            let latencyMs = out.seconds * 1000
            latencies.append(latencyMs)
            reports.append(Self.judge(c, prompt: prompts[i], output: out, latencyMs: latencyMs, suite: suite, nll: nlls[i]))
        }
        var report = EvalReport(
            suite: .init(name: suite.name, path: suite.path, sha256: suite.sha256, casesPath: suite.casesDeclared,
                         casesSHA256: casesSHA256, generation: suite.generation,
                         assertions: suite.assertions.map(\.canonicalText), threshold: suite.threshold, limit: suite.limit),
            model: model.identity, cases: reports, metrics: EvalMetrics(cases: reports))
        var timing = EvalReport.Timing()
        timing.generationSeconds = genSeconds
        timing.scoringSeconds = scoreSeconds
        timing.totalSeconds = Date().timeIntervalSince(start)
        timing.tokensPerSecond = genSeconds > 0 ? Double(genTokens) / genSeconds : 0
        timing.casesPerSecond = genSeconds > 0 ? Double(cases.count) / genSeconds : 0
        timing.caseLatencyMs = latencies
        report.timing = timing
        report.gates = GateEvaluator.evaluate(gates, report: report, baseline: baseline)
        return report
    }

    /// Applies the suite's and the case's assertions to one output.
    public static func judge(_ c: EvalCase, prompt: String, output out: GenerationOutput, latencyMs: Double,
                             suite: EvalSuite, nll: (Double, Int)?) -> CaseReport {
        var specs = suite.assertions + c.assertions
        if specs.isEmpty {
            specs = [AssertionSpec(kind: .equals, negated: false, value: nil, threshold: nil, weight: 1, metric: nil,
                                   path: nil, method: .chrf, compiledRegex: nil, schema: nil, location: "default")]
        }
        var ctx = CaseContext(id: c.id, input: c.input, expected: c.expected, fields: c.fields)
        let caseOutput = CaseOutput(text: out.text, outputTokens: out.outputTokens, latencyMs: latencyMs)
        let results = specs.map { AssertionEvaluator.evaluate($0, output: caseOutput, context: &ctx) }
        let weighted = results.filter { $0.weight > 0 }
        let totalWeight = weighted.reduce(0) { $0 + $1.weight }
        let allPass = weighted.allSatisfy(\.pass)
        let score = totalWeight > 0 ? weighted.reduce(0) { $0 + $1.weight * $1.score } / totalWeight : (allPass ? 1 : 0)
        let threshold = c.threshold ?? suite.threshold
        let pass = threshold.map { score >= $0 } ?? allPass
        let exact = out.text.trimmingCharacters(in: .whitespacesAndNewlines) == c.expected.trimmingCharacters(in: .whitespacesAndNewlines)
        return CaseReport(id: c.id, prompt: prompt, expected: c.expected, output: out.text, pass: pass, score: score,
                          threshold: threshold, exactMatch: exact, outputTokens: out.outputTokens,
                          promptTokens: out.promptTokens, finishReason: out.finishReason,
                          nll: nll?.0, scoredTokens: nll?.1, assertions: results, source: c.source)
    }
}
