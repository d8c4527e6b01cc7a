import Foundation
import FTXCore

/// The result of running a suite over a model: every case with its prompt, expected and actual
/// output, assertion verdicts and scores; the corpus metrics; gate verdicts; who was evaluated.
///
/// Determinism: everything outside `timing` depends only on the model, the suite and the cases, so
/// two runs at temperature 0 produce identical bytes once `timing` is cleared (`withoutTiming()`).
/// Wall-clock figures (latencies, tokens/s) live in `timing` only. JSON keys are sorted and floats
/// are written in their shortest round-trip form, so the bytes are stable.
public struct EvalReport: Codable, Equatable {
    public static let formatName = "ftx-eval-report/1"
    public var format: String = EvalReport.formatName
    public var suite: SuiteInfo
    public var model: ModelIdentity
    public var cases: [CaseReport]
    public var metrics: EvalMetrics
    public var gates: [GateResult]
    public var timing: Timing

    public init(suite: SuiteInfo, model: ModelIdentity, cases: [CaseReport], metrics: EvalMetrics,
                gates: [GateResult] = [], timing: Timing = Timing()) {
        self.suite = suite; self.model = model; self.cases = cases; self.metrics = metrics
        self.gates = gates; self.timing = timing
    }

    public struct SuiteInfo: Codable, Equatable {
        public var name: String
        public var path: String
        public var sha256: String
        public var casesPath: String
        public var casesSHA256: String
        public var generation: EvalSuite.Generation
        /// The suite-level assertions (`AssertionSpec.canonicalText`), its default case threshold
        /// and case limit, so a diff can say which of them changed. Nil in reports written before
        /// they were recorded.
        public var assertions: [String]?
        public var threshold: Double?
        public var limit: Int?
        public init(name: String, path: String = "", sha256: String = "", casesPath: String = "",
                    casesSHA256: String = "", generation: EvalSuite.Generation = .init(),
                    assertions: [String]? = nil, threshold: Double? = nil, limit: Int? = nil) {
            self.name = name; self.path = path; self.sha256 = sha256; self.casesPath = casesPath
            self.casesSHA256 = casesSHA256; self.generation = generation
            self.assertions = assertions; self.threshold = threshold; self.limit = limit
        }
        enum CodingKeys: String, CodingKey {
            case name, path, sha256, casesPath = "cases_path", casesSHA256 = "cases_sha256", generation
            case assertions, threshold, limit
        }
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decode(String.self, forKey: .name)
            path = try c.decode(String.self, forKey: .path)
            sha256 = try c.decode(String.self, forKey: .sha256)
            casesPath = try c.decode(String.self, forKey: .casesPath)
            casesSHA256 = try c.decode(String.self, forKey: .casesSHA256)
            generation = try c.decode(EvalSuite.Generation.self, forKey: .generation)
            assertions = try c.decodeIfPresent([String].self, forKey: .assertions)
            threshold = try c.decodeIfPresent(Double.self, forKey: .threshold)
            limit = try c.decodeIfPresent(Int.self, forKey: .limit)
        }
    }

    public struct Timing: Codable, Equatable {
        public var totalSeconds = 0.0
        public var generationSeconds = 0.0
        public var scoringSeconds = 0.0
        /// Generated tokens per second of generation time.
        public var tokensPerSecond = 0.0
        public var casesPerSecond = 0.0
        /// Per case, in `cases` order: the wall time of its generation (its batch's, when batched).
        public var caseLatencyMs: [Double] = []
        public init() {}
        /// Every timing field is optional on input (a report without timings is still a report).
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            totalSeconds = try c.decodeIfPresent(Double.self, forKey: .totalSeconds) ?? 0
            generationSeconds = try c.decodeIfPresent(Double.self, forKey: .generationSeconds) ?? 0
            scoringSeconds = try c.decodeIfPresent(Double.self, forKey: .scoringSeconds) ?? 0
            tokensPerSecond = try c.decodeIfPresent(Double.self, forKey: .tokensPerSecond) ?? 0
            casesPerSecond = try c.decodeIfPresent(Double.self, forKey: .casesPerSecond) ?? 0
            caseLatencyMs = try c.decodeIfPresent([Double].self, forKey: .caseLatencyMs) ?? []
        }
        enum CodingKeys: String, CodingKey {
            case totalSeconds = "total_seconds", generationSeconds = "generation_seconds"
            case scoringSeconds = "scoring_seconds", tokensPerSecond = "tokens_per_second"
            case casesPerSecond = "cases_per_second", caseLatencyMs = "case_latency_ms"
        }
    }

    /// The report with its wall-clock section cleared: equal across runs at temperature 0.
    public func withoutTiming() -> EvalReport {
        var r = self
        r.timing = Timing()
        return r
    }

    // MARK: JSON

    public func jsonData() throws -> Data { try StableJSON.encode(self) }

    public static func read(path: String) throws -> EvalReport {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EvalError.report("cannot read report", file: path,
                                   hint: FileManager.default.fileExists(atPath: path) ? nil : "no such file")
        }
        return try decode(data, file: path)
    }

    /// Reads several reports concurrently (a diff reads two large ones); errors as `read`.
    public static func read(paths: [String]) throws -> [EvalReport] {
        try Threads.map(paths.count, minChunk: 1) { i in Result { try read(path: paths[i]) } }.map { try $0.get() }
    }

    public static func decode(_ data: Data, file: String) throws -> EvalReport {
        let r: EvalReport
        do { r = try ReportReader.decode(data) } catch let e as ReportReader.Failure {
            throw EvalError.report("not an ftx eval report: \(e.message)", file: file,
                                   hint: "reports are written by `ftx eval --out FILE`")
        }
        guard r.format == formatName else {
            throw EvalError.report("unsupported report format '\(r.format)'", file: file, hint: "expected \(formatName)")
        }
        return r
    }

    static func describe(_ e: DecodingError) -> String {
        func path(_ c: [CodingKey]) -> String {
            c.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        switch e {
        case .keyNotFound(let k, let ctx): return "missing key '\(k.stringValue)' at \(path(ctx.codingPath).isEmpty ? "top level" : path(ctx.codingPath))"
        case .typeMismatch(_, let ctx), .valueNotFound(_, let ctx): return "wrong type at \(path(ctx.codingPath))"
        case .dataCorrupted(let ctx): return ctx.codingPath.isEmpty ? "invalid JSON" : "bad value at \(path(ctx.codingPath))"
        @unknown default: return "\(e)"
        }
    }

    public func write(to path: String) throws {
        try AtomicFile.write(try jsonData(), to: path)
    }
}

/// One case of a report.
public struct CaseReport: Codable, Equatable {
    public var id: String
    public var prompt: String
    public var expected: String
    public var output: String
    public var pass: Bool
    /// Weighted mean of assertion scores (0…1).
    public var score: Double
    /// Pass threshold on `score` used for this case, if any.
    public var threshold: Double?
    public var exactMatch: Bool
    public var outputTokens: Int
    public var promptTokens: Int
    public var finishReason: String
    /// NLL (nats) of the expected output under the model, and how many tokens it covers.
    public var nll: Double?
    public var scoredTokens: Int?
    public var assertions: [AssertionResult]
    /// Where the case came from ("file:line").
    public var source: String?

    public init(id: String, prompt: String, expected: String, output: String, pass: Bool, score: Double,
                threshold: Double? = nil, exactMatch: Bool, outputTokens: Int = 0, promptTokens: Int = 0,
                finishReason: String = "stop", nll: Double? = nil, scoredTokens: Int? = nil,
                assertions: [AssertionResult] = [], source: String? = nil) {
        self.id = id; self.prompt = prompt; self.expected = expected; self.output = output; self.pass = pass
        self.score = score; self.threshold = threshold; self.exactMatch = exactMatch
        self.outputTokens = outputTokens; self.promptTokens = promptTokens; self.finishReason = finishReason
        self.nll = nll; self.scoredTokens = scoredTokens; self.assertions = assertions; self.source = source
    }

    enum CodingKeys: String, CodingKey {
        case id, prompt, expected, output, pass, score, threshold, exactMatch = "exact_match"
        case outputTokens = "output_tokens", promptTokens = "prompt_tokens", finishReason = "finish_reason"
        case nll, scoredTokens = "scored_tokens", assertions, source
    }
}

/// The one JSON encoding of reports and diffs: sorted keys (deterministic order), shortest
/// round-trip floats, non-finite numbers as strings, a trailing newline.
public enum StableJSON {
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        var d = try enc.encode(value)
        d.append(0x0A)
        return d
    }
}
