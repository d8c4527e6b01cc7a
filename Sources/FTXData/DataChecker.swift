import Foundation

/// `ftx data check`: one streaming pass, then each enabled check over the per-example records.
public enum DataChecker {
    public struct Options {
        public var config = DataCheckConfig()
        /// Counts the tokens of a text with the model's tokenizer (FTXData knows no models).
        public var tokenCounter: ((String) -> Int)?
        /// Set when `tokenCounter` may be called from several threads at once.
        public var tokenCounterIsThreadSafe = false
        public var progress = false
        public init() {}
    }

    public static func check(_ inputs: [DatasetInput], options: Options = Options()) throws -> DataCheckReport {
        let config = options.config
        try config.validate()
        guard !inputs.isEmpty else { throw DataError.invalidArgument("no dataset files given", hint: "ftx data check FILE…") }
        let hasTrain = inputs.contains { $0.role == .train }
        let hasEval = inputs.contains { $0.role == .valid || $0.role == .test }
        let leakage = hasTrain && hasEval && config.severity(.leakage) != .off

        var a = AnalysisOptions()
        a.read = ReadOptions(maxLineBytes: config.maxLineBytes)
        a.minHash = MinHashParams(threshold: config.nearDuplicateThreshold, permutations: config.minhashPermutations)
        a.contentBands = config.severity(.nearDuplicates) != .off
        a.inputBands = leakage
        a.tokenCounter = options.tokenCounter
        a.tokenCounterIsThreadSafe = options.tokenCounterIsThreadSafe
        a.progress = options.progress
        let timer = PhaseTimer()
        let analysis = try DatasetAnalysis(inputs: inputs, options: a)
        timer.mark("read+features")
        let ctx = CheckContext(analysis: analysis, config: config)

        var results: [CheckResult] = []
        for name in CheckName.allCases {
            let sev = config.severity(name)
            if sev == .off || (name == .leakage && !leakage) || (name == .truncation && (options.tokenCounter == nil || config.maxSeqLength == nil)) {
                let why = sev == .off ? "off" : name == .leakage ? "needs a train file and a valid or test file"
                    : "needs --model and --max-seq-length"
                results.append(CheckResult(name: name.rawValue, severity: sev, status: .off, summary: why, examplesAffected: 0, findings: []))
                continue
            }
            let (summary, findings) = ctx.run(name)
            timer.mark(name.rawValue)
            let affected = Set(findings.flatMap(\.locations)).count
            let status: CheckStatus = findings.isEmpty ? .pass : (sev == .error ? .fail : .warn)
            results.append(CheckResult(name: name.rawValue, severity: sev, status: status, summary: summary,
                                       examplesAffected: affected, findings: findings))
        }
        return DataCheckReport(
            files: analysis.files.map { FileSummary(path: $0.path, role: $0.role, format: $0.format, examples: $0.examples) },
            examples: analysis.count, nearDuplicateThreshold: config.nearDuplicateThreshold, minhash: a.minHash,
            checks: results, tokenStatistics: ctx.tokenStatistics(), failed: results.contains { $0.status == .fail })
    }
}

/// Shared state and helpers of the individual checks (they live in extensions, one file per family).
final class CheckContext {
    let analysis: DatasetAnalysis
    let config: DataCheckConfig
    private var nearClustersCache: [[Int]]?

    init(analysis: DatasetAnalysis, config: DataCheckConfig) {
        self.analysis = analysis
        self.config = config
    }

    var records: [ExampleRecord] { analysis.records }

    func run(_ name: CheckName) -> (String, [Finding]) {
        switch name {
        case .exactDuplicates: return exactDuplicates()
        case .nearDuplicates: return nearDuplicates()
        case .contradictions: return contradictions()
        case .jsonMix: return jsonMix()
        case .jsonShape: return jsonShape()
        case .casing: return casing()
        case .trailingWhitespace: return trailingWhitespace()
        case .lengthOutliers: return lengthOutliers()
        case .emptyOutputs: return emptyOutputs()
        case .systemPrompts: return systemPrompts()
        case .leakage: return leakage()
        case .truncation: return truncation()
        }
    }

    func loc(_ i: Int) -> String { analysis.location(i).description }
    func locs(_ idx: [Int]) -> [String] { idx.map(loc) }

    /// Groups of indices (in file order) sharing `key`, for those passing `filter`; only groups of ≥ 2.
    func groups(where filter: (ExampleRecord) -> Bool = { _ in true }, key: (ExampleRecord) -> UInt64) -> [[Int]] {
        var keys: [UInt64] = [], idx: [Int32] = []
        keys.reserveCapacity(records.count)
        idx.reserveCapacity(records.count)
        records.withUnsafeBufferPointer { rs in
            for i in 0..<rs.count where filter(rs[i]) { keys.append(key(rs[i])); idx.append(Int32(i)) }
        }
        RadixSort.sortPairs(&keys, &idx)  // stable: equal keys keep ascending indices
        var out: [[Int]] = []
        var s = 0
        while s < keys.count {
            var e = s + 1
            while e < keys.count && keys[e] == keys[s] { e += 1 }
            if e - s > 1 { out.append(idx[s..<e].map { Int($0) }) }
            s = e
        }
        return out.sorted { $0[0] < $1[0] }
    }

    /// A short quote of a text for messages.
    static func quote(_ s: String, max: Int = 60) -> String {
        let flat = s.replacingOccurrences(of: "\n", with: "⏎")
        return "\"" + (flat.count > max ? String(flat.prefix(max)) + "…" : flat) + "\""
    }

    /// Near-duplicate clusters over whole examples: normalized-equal groups plus LSH candidates
    /// verified by exact Jaccard ≥ threshold. Cached (clean and check share it).
    func nearClusters() -> [[Int]] {
        if let c = nearClustersCache { return c }
        let n = records.count
        var uf = UnionFind(n)
        for g in groups(where: { $0.normContentHash != 0 }, key: { $0.normContentHash }) {
            for m in g.dropFirst() { uf.union(g[0], m) }
        }
        if !analysis.contentBands.isEmpty {
            var seen = Set<UInt64>()
            var members: [Int] = []
            for i in 0..<n where records[i].normContentHash != 0 && seen.insert(records[i].normContentHash).inserted {
                members.append(i)
            }
            let cands = NearDuplicateSearch.candidates(bands: analysis.contentBands, members: members)
            let pairs = NearDuplicateSearch.verify(cands, threshold: config.nearDuplicateThreshold) { i in
                guard let e = self.analysis.example(i) else { return [] }
                return TextNormalizer.shingles(ExampleWords(e, wantInputNoSystem: false).content)
            }
            for p in pairs { uf.union(p.a, p.b) }
        }
        let c = uf.groups()
        nearClustersCache = c
        return c
    }
}
