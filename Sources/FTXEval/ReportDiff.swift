import Foundation

/// Case-by-case comparison of two reports (A = old/baseline, B = new): first what changed in the
/// suite itself (a changed suite makes metrics not comparable), then metric deltas with seeded
/// paired-bootstrap 95% CIs, McNemar's exact test on pass/fail flips, Wilson intervals, the flipped
/// cases side by side, cases on one side only, (when given) config and dataset changes, and the
/// verdict: regression against A, B's own gates and improvement, each on its own.
public struct ReportDiff: Codable {
    public struct Side: Codable, Equatable {
        public var model: ModelIdentity
        public var suite: String
        public var cases: Int
        public var passRate: Double
        /// Wilson 95% interval of the pass rate over the paired cases.
        public var passRateWilson: Statistics.Interval
        enum CodingKeys: String, CodingKey { case model, suite, cases, passRate = "pass_rate", passRateWilson = "pass_rate_wilson" }
    }
    public struct MetricDelta: Codable, Equatable {
        public var name: String
        public var a: Double?
        public var b: Double?
        public var delta: Double?
        /// 95% paired-bootstrap interval of b − a (nil for metrics without per-case values).
        public var ci: Statistics.Interval?
        public var higherIsBetter: Bool
        /// The CI excludes zero.
        public var significant: Bool
        /// Significant, in the bad direction, and larger than the gate tolerance.
        public var regressed: Bool
        /// False when the suite changed in a way that affects this metric (see SuiteChanges).
        public var comparable: Bool = true
        enum CodingKeys: String, CodingKey {
            case name, a, b, delta, ci, higherIsBetter = "higher_is_better", significant, regressed, comparable, direction
        }

        public enum Direction: String, Codable, Sendable { case better, worse }
        /// Better or worse for this metric's direction (higher or lower is better); nil unless the
        /// change is significant and the metric comparable.
        public var direction: Direction? {
            guard significant, comparable, let d = delta, d != 0 else { return nil }
            return (d > 0) == higherIsBetter ? .better : .worse
        }

        public init(name: String, a: Double?, b: Double?, delta: Double?, ci: Statistics.Interval?, higherIsBetter: Bool,
                    significant: Bool, regressed: Bool, comparable: Bool = true) {
            self.name = name; self.a = a; self.b = b; self.delta = delta; self.ci = ci; self.higherIsBetter = higherIsBetter
            self.significant = significant; self.regressed = regressed; self.comparable = comparable
        }
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decode(String.self, forKey: .name)
            a = try c.decodeIfPresent(Double.self, forKey: .a)
            b = try c.decodeIfPresent(Double.self, forKey: .b)
            delta = try c.decodeIfPresent(Double.self, forKey: .delta)
            ci = try c.decodeIfPresent(Statistics.Interval.self, forKey: .ci)
            higherIsBetter = try c.decode(Bool.self, forKey: .higherIsBetter)
            significant = try c.decode(Bool.self, forKey: .significant)
            regressed = try c.decode(Bool.self, forKey: .regressed)
            comparable = try c.decodeIfPresent(Bool.self, forKey: .comparable) ?? true
        }
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name)
            try c.encodeIfPresent(a, forKey: .a)
            try c.encodeIfPresent(b, forKey: .b)
            try c.encodeIfPresent(delta, forKey: .delta)
            try c.encodeIfPresent(ci, forKey: .ci)
            try c.encode(higherIsBetter, forKey: .higherIsBetter)
            try c.encode(significant, forKey: .significant)
            try c.encode(regressed, forKey: .regressed)
            try c.encode(comparable, forKey: .comparable)
            try c.encodeIfPresent(direction, forKey: .direction)
        }
    }
    public struct McNemar: Codable, Equatable {
        /// Pass in A, fail in B (regressions).
        public var b: Int
        /// Fail in A, pass in B (fixes).
        public var c: Int
        public var p: Double
    }
    public struct FlippedCase: Codable, Equatable {
        public var id: String
        public var prompt: String
        public var expected: String
        public var outputA: String
        public var outputB: String
        public var scoreA: Double
        public var scoreB: Double
        /// Each side's failing assertions, e.g. "json-field: $.category is \"x\", expected \"y\"",
        /// shown with that side's output.
        public var failedA: [String]
        public var failedB: [String]
        enum CodingKeys: String, CodingKey {
            case id, prompt, expected, outputA = "output_a", outputB = "output_b", scoreA = "score_a", scoreB = "score_b"
            case failedA = "failed_a", failedB = "failed_b"
        }
    }
    public struct ConfigChange: Codable, Equatable {
        public var key: String
        public var a: String?
        public var b: String?
    }
    public struct DatasetChange: Codable, Equatable {
        public var split: String
        public var added: Int
        public var removed: Int
        public var rowsA: Int
        public var rowsB: Int
        enum CodingKeys: String, CodingKey { case split, added, removed, rowsA = "rows_a", rowsB = "rows_b" }
    }

    public var a: Side
    public var b: Side
    /// What differs between the two suites, key by key (empty when they are the same).
    public var suiteChanges: [ConfigChange]
    /// False when a suite change affects a metric: those deltas are shown but not judged.
    public var comparable: Bool
    public var pairedCases: Int
    public var onlyInA: [String]
    public var onlyInB: [String]
    public var metrics: [MetricDelta]
    /// Per-assertion pass rates A → B (no CI).
    public var assertionMetrics: [MetricDelta]
    public var mcnemar: McNemar
    public var regressed: [FlippedCase]
    public var fixed: [FlippedCase]
    public var configChanges: [ConfigChange]
    public var datasetChanges: [DatasetChange]
    public var gates: [GateResult]
    public var bootstrap: BootstrapInfo
    /// True when a regression gate failed: B regressed against A (`ftx diff` exits 1). B's own
    /// threshold gates are reported apart, in `verdict`.
    public var gateRegressed: Bool
    public var verdict: Verdict

    public struct BootstrapInfo: Codable, Equatable { public var resamples: Int; public var seed: UInt64 }

    enum CodingKeys: String, CodingKey {
        case a, b, suiteChanges = "suite_changes", comparable, pairedCases = "paired_cases", onlyInA = "only_in_a"
        case onlyInB = "only_in_b", metrics, assertionMetrics = "assertion_metrics", mcnemar, regressed, fixed
        case configChanges = "config_changes", datasetChanges = "dataset_changes", gates, bootstrap
        case gateRegressed = "gate_regressed", verdict
    }

    /// Optional context: the two run configs (flattened key by key) and datasets (row ids per split).
    public struct Context {
        public var configA: EvalJSON?
        public var configB: EvalJSON?
        public var datasetsA: [String: [String]]?
        public var datasetsB: [String: [String]]?
        public init(configA: EvalJSON? = nil, configB: EvalJSON? = nil,
                    datasetsA: [String: [String]]? = nil, datasetsB: [String: [String]]? = nil) {
            self.configA = configA; self.configB = configB; self.datasetsA = datasetsA; self.datasetsB = datasetsB
        }
    }

    /// Compares A (baseline) with B. `gates`: the regression/threshold gates to evaluate (threshold
    /// gates against B); when empty, B's declared gates are used; B's declared threshold gates
    /// apply unless `gates` has thresholds of its own; without any regression gate the default is
    /// `max_drop: 0` on pass_rate, exact_match and mean_score (any significant drop). Where the
    /// suite changed, regression gates are `pending` (not judged).
    public init(_ ra: EvalReport, _ rb: EvalReport, gates: [GateSpec] = [], context: Context = .init(),
                bootstrap: PairedBootstrap = PairedBootstrap()) {
        // Pair by id (first occurrence wins; ids are unique in well-formed reports).
        let idsA = ra.cases.map(\.id), idsB = rb.cases.map(\.id)
        func firstIndex(_ ids: [String]) -> [String: Int] {
            var index: [String: Int] = [:]
            index.reserveCapacity(ids.count)
            for (i, id) in ids.enumerated() where index[id] == nil { index[id] = i }
            return index
        }
        let indexA = firstIndex(idsA), indexB = firstIndex(idsB)
        var pairs: [(Int, Int)] = []
        pairs.reserveCapacity(rb.cases.count)
        for (i, id) in idsA.enumerated() where indexA[id] == i {
            if let j = indexB[id] { pairs.append((i, j)) }
        }
        onlyInA = idsA.enumerated().filter { indexA[$0.element] == $0.offset && indexB[$0.element] == nil }.map(\.element)
        onlyInB = idsB.enumerated().filter { indexB[$0.element] == $0.offset && indexA[$0.element] == nil }.map(\.element)
        pairedCases = pairs.count

        // Per-case rows for the bootstrap: Δpass, Δexact, Δscore, nllA, tokA, nllB, tokB.
        var rows = [SIMD8<Double>]()
        rows.reserveCapacity(pairs.count)
        var sums = SIMD8<Double>.zero
        var passA = 0, passB = 0, flipsDown = 0, flipsUp = 0
        var hasNLL = !pairs.isEmpty
        var regressedCases: [FlippedCase] = [], fixedCases: [FlippedCase] = []
        var exactA = 0, exactB = 0, scoreA = 0.0, scoreB = 0.0
        // Fields are read in place (a CaseReport copy costs a retain per string and array).
        ra.cases.withUnsafeBufferPointer { ca in
            rb.cases.withUnsafeBufferPointer { cb in
                for (i, j) in pairs {
                    let xPass = ca[i].pass, yPass = cb[j].pass, xExact = ca[i].exactMatch, yExact = cb[j].exactMatch
                    let xScore = ca[i].score, yScore = cb[j].score
                    let xNLL = ca[i].nll, yNLL = cb[j].nll, xTok = ca[i].scoredTokens, yTok = cb[j].scoredTokens
                    let pa = xPass ? 1.0 : 0, pb = yPass ? 1.0 : 0
                    let ea = xExact ? 1.0 : 0, eb = yExact ? 1.0 : 0
                    if xNLL == nil || yNLL == nil || xTok == nil || yTok == nil { hasNLL = false }
                    let row = SIMD8<Double>(pb - pa, eb - ea, yScore - xScore,
                                            xNLL ?? 0, Double(xTok ?? 0), yNLL ?? 0, Double(yTok ?? 0), 0)
                    rows.append(row)
                    sums += row
                    passA += xPass ? 1 : 0; passB += yPass ? 1 : 0
                    exactA += xExact ? 1 : 0; exactB += yExact ? 1 : 0
                    scoreA += xScore; scoreB += yScore
                    if xPass && !yPass { flipsDown += 1; regressedCases.append(Self.flipped(ca[i], cb[j])) }
                    if !xPass && yPass { flipsUp += 1; fixedCases.append(Self.flipped(ca[i], cb[j])) }
                }
            }
        }
        regressed = regressedCases
        fixed = fixedCases
        mcnemar = McNemar(b: flipsDown, c: flipsUp, p: Statistics.mcNemarExact(b: flipsDown, c: flipsUp))
        let n = pairs.count, nd = Double(max(n, 1))
        a = Side(model: ra.model, suite: ra.suite.name, cases: ra.cases.count, passRate: Double(passA) / nd,
                 passRateWilson: Statistics.wilson(successes: passA, n: n))
        b = Side(model: rb.model, suite: rb.suite.name, cases: rb.cases.count, passRate: Double(passB) / nd,
                 passRateWilson: Statistics.wilson(successes: passB, n: n))
        self.bootstrap = BootstrapInfo(resamples: bootstrap.resamples, seed: bootstrap.seed)

        // Bootstrap distributions of each delta.
        let resampled = n > 0 ? bootstrap.resampleSums(rows) : []
        func ci(_ f: (SIMD8<Double>) -> Double) -> Statistics.Interval? {
            guard !resampled.isEmpty else { return nil }
            var v = resampled.map(f)
            return PairedBootstrap.percentileInterval(&v)
        }
        let lossA = sums[4] > 0 ? sums[3] / sums[4] : 0, lossB = sums[6] > 0 ? sums[5] / sums[6] : 0
        var deltas: [MetricDelta] = [
            Self.delta("pass_rate", Double(passA) / nd, Double(passB) / nd, ci { $0[0] / nd }, true),
            Self.delta("exact_match", Double(exactA) / nd, Double(exactB) / nd, ci { $0[1] / nd }, true),
            Self.delta("mean_score", scoreA / nd, scoreB / nd, ci { $0[2] / nd }, true),
        ]
        if hasNLL && sums[4] > 0 && sums[6] > 0 {
            func ratio(_ s: SIMD8<Double>, _ k: Int) -> Double { s[k + 1] > 0 ? s[k] / s[k + 1] : 0 }
            deltas.append(Self.delta("loss", lossA, lossB, ci { ratio($0, 5) - ratio($0, 3) }, false))
            deltas.append(Self.delta("perplexity", exp(lossA), exp(lossB), ci { exp(ratio($0, 5)) - exp(ratio($0, 3)) }, false))
        }
        // Throughput is wall-clock: shown, never significance-tested.
        deltas.append(Self.delta("tokens_per_second", ra.timing.tokensPerSecond, rb.timing.tokensPerSecond, nil, true))

        // Per-assertion pass rates over all cases of each report.
        let keys = Set(ra.metrics.assertionPassRates.keys).union(rb.metrics.assertionPassRates.keys).sorted()
        assertionMetrics = keys.map {
            Self.delta("assert.\($0)", ra.metrics.assertionPassRates[$0], rb.metrics.assertionPassRates[$0], nil, true)
        }

        // The suite is part of what is compared: a metric it changed is shown but not judged.
        let suite = SuiteChanges(ra, rb)
        suiteChanges = suite.changes
        comparable = suite.comparable
        for k in deltas.indices { deltas[k].comparable = suite.comparable(deltas[k].name) }
        for k in assertionMetrics.indices { assertionMetrics[k].comparable = suite.comparable(assertionMetrics[k].name) }

        // Key-by-key changes only between two run configs: a side without one (the base model)
        // would list every key as added, which says nothing.
        if context.configA != nil && context.configB != nil {
            configChanges = ConfigDiff.changes(context.configA, context.configB)
        } else {
            configChanges = []
        }
        datasetChanges = ConfigDiff.datasetChanges(context.datasetsA, context.datasetsB)

        // Gates: explicit, else B's declared ones (B's own thresholds always), else the default significant-drop gate.
        let declared = rb.gates.map(\.spec)
        var specs = gates.isEmpty ? declared : gates
        if !gates.isEmpty && !gates.contains(where: { !$0.isRegression }) { specs += declared.filter { !$0.isRegression } }
        if !specs.contains(where: \.isRegression) {
            specs.append(.regression(vs: "A", maxDrop: 0))
        }
        var results: [GateResult] = []
        for spec in specs {
            if spec.isRegression && !suite.comparable {
                let changed = suite.changes.map(\.key).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
                results.append(GateResult(gate: spec.text, spec: spec, status: .pending, value: nil,
                                          detail: "not judged: the suite changed (\(changed.joined(separator: ", ")))"))
            } else if spec.isRegression {
                let (r, marked) = GateEvaluator.regression(spec, metrics: deltas, mcnemar: mcnemar)
                results.append(r)
                for name in marked { if let k = deltas.firstIndex(where: { $0.name == name }) { deltas[k].regressed = true } }
            } else {
                results.append(GateEvaluator.threshold(spec, report: rb))
            }
        }
        metrics = deltas
        self.gates = results
        gateRegressed = results.contains { $0.spec.isRegression && $0.status == .fail }
        verdict = Verdict(suite: suite, gates: results, metrics: deltas + assertionMetrics)
    }

    static func delta(_ name: String, _ a: Double?, _ b: Double?, _ ci: Statistics.Interval?, _ higher: Bool) -> MetricDelta {
        let d = (a != nil && b != nil) ? b! - a! : nil
        let sig = ci.map { !$0.contains(0) } ?? false
        return MetricDelta(name: name, a: a, b: b, delta: d, ci: ci, higherIsBetter: higher, significant: sig, regressed: false)
    }

    static func flipped(_ x: CaseReport, _ y: CaseReport) -> FlippedCase {
        func failing(_ c: CaseReport) -> [String] { c.assertions.filter { !$0.pass }.map { "\($0.type): \($0.reason ?? "failed")" } }
        return FlippedCase(id: x.id, prompt: y.prompt, expected: y.expected, outputA: x.output, outputB: y.output,
                           scoreA: x.score, scoreB: y.score, failedA: failing(x), failedB: failing(y))
    }

    public func jsonData() throws -> Data { try StableJSON.encode(self) }
}
