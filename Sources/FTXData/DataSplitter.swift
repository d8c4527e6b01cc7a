import FTXCore
import Foundation

public struct SplitCounts: Codable, Sendable, Equatable {
    public var train = 0
    public var valid = 0
    public var test = 0
}

public struct SplitReport: Codable, Sendable {
    public var input: String
    public var examples: Int
    public var seed: UInt64
    public var validFraction: Double
    public var testFraction: Double
    public var stratify: String?
    public var counts: SplitCounts
    /// Groups of similar inputs (exactly or nearly equal) kept together in one split.
    public var clusters: Int
    public var clusteredExamples: Int
    public var perStratum: [String: SplitCounts]?
    public var files: [String: String]   // split name → path written
    /// Split of each example, in file order ("train", "valid", "test").
    public var assignment: [String]?
}

/// `ftx data split`: deterministic train/valid/test by a seeded hash of each example's input, so the
/// same file and seed always give the same split and appending rows never moves existing ones.
/// Examples with equal or near-equal inputs form a cluster that goes wholly into one split, decided by
/// the hash of the cluster's first example (file order), which appended rows cannot change.
public enum DataSplitter {
    public struct Options {
        public var valid = 0.1
        public var test = 0.1
        public var seed: UInt64 = 0
        public var outDir: String?          // default: the input's directory
        public var stratify: String?
        public var nearDuplicateThreshold = 0.8
        public var read = ReadOptions()
        public var progress = false
        public var includeAssignment = false
        public init() {}
    }

    public enum Split: String, CaseIterable { case train, valid, test }

    public static func split(input: String, options: Options = Options()) throws -> SplitReport {
        guard options.valid >= 0, options.test >= 0, options.valid + options.test < 1 else {
            throw DataError.invalidArgument("--valid and --test must be ≥ 0 and sum to less than 1",
                                            hint: "e.g. --valid 0.1 --test 0.1")
        }
        var (config, a) = try AnalysisOptions.forThreshold(options.nearDuplicateThreshold, read: options.read, progress: options.progress)
        a.contentBands = false
        a.inputBands = true
        a.stratifyField = options.stratify
        let analysis = try DatasetAnalysis(inputs: [DatasetInput(path: input)], options: a)
        let ctx = CheckContext(analysis: analysis, config: config)
        let records = analysis.records
        let n = records.count

        let clusters = inputClusters(ctx)
        // Cluster id of each example = its first member; the key hashes that member's input.
        var rep = Array(0..<n)
        for g in clusters { for m in g { rep[m] = g[0] } }
        func unit(_ i: Int) -> Double {
            let r = records[i]
            let key = r.normInputHash != 0 ? r.normInputHash : r.contentHash
            let h = FastHash.finalize(FastHash.combine(FastHash.combine(0x5B117, options.seed), key))
            return Double(h >> 11) / Double(UInt64(1) << 53)
        }
        var assign = [Split](repeating: .train, count: n)
        if options.stratify == nil {
            for i in 0..<n {
                let u = unit(rep[i])
                assign[i] = u < options.test ? .test : u < options.test + options.valid ? .valid : .train
            }
        } else {
            // Per stratum (of the cluster's first member): clusters in hash order fill test, then valid,
            // to the exact proportions of that stratum.
            var clusterSize = [Int](repeating: 0, count: n)
            for i in 0..<n { clusterSize[rep[i]] += 1 }
            var byStratum: [Int32: [Int]] = [:]
            for i in 0..<n where rep[i] == i { byStratum[records[i].stratum, default: []].append(i) }
            var clusterSplit = [Split](repeating: .train, count: n)
            for (_, reps) in byStratum {
                let total = reps.reduce(0) { $0 + clusterSize[$1] }
                let wantTest = Int((Double(total) * options.test).rounded())
                let wantValid = Int((Double(total) * options.valid).rounded())
                var gotTest = 0, gotValid = 0
                for r in reps.sorted(by: { (unit($0), $0) < (unit($1), $1) }) {
                    if gotTest < wantTest { clusterSplit[r] = .test; gotTest += clusterSize[r] }
                    else if gotValid < wantValid { clusterSplit[r] = .valid; gotValid += clusterSize[r] }
                }
            }
            for i in 0..<n { assign[i] = clusterSplit[rep[i]] }
        }

        var counts = SplitCounts()
        var perStratum: [String: SplitCounts] = [:]
        for i in 0..<n {
            switch assign[i] { case .train: counts.train += 1; case .valid: counts.valid += 1; case .test: counts.test += 1 }
            if options.stratify != nil {
                let s = analysis.strata[Int(records[i].stratum)]
                var c = perStratum[s] ?? SplitCounts()
                switch assign[i] { case .train: c.train += 1; case .valid: c.valid += 1; case .test: c.test += 1 }
                perStratum[s] = c
            }
        }

        let dir = options.outDir ?? ((input as NSString).deletingLastPathComponent.isEmpty ? "." : (input as NSString).deletingLastPathComponent)
        let paths = Dictionary(uniqueKeysWithValues: Split.allCases.map { ($0, (dir as NSString).appendingPathComponent("\($0.rawValue).jsonl")) })
        for p in paths.values where DataCleaner.samePath(p, input) {
            throw DataError.invalidArgument("the split would overwrite its input \(input)", hint: "choose another --out directory")
        }
        try writeSplits(input: input, options: options.read, assign: assign, paths: paths)

        return SplitReport(input: input, examples: n, seed: options.seed, validFraction: options.valid, testFraction: options.test,
                           stratify: options.stratify, counts: counts, clusters: clusters.count,
                           clusteredExamples: clusters.reduce(0) { $0 + $1.count },
                           perStratum: options.stratify == nil ? nil : perStratum,
                           files: Dictionary(uniqueKeysWithValues: paths.map { ($0.key.rawValue, $0.value) }),
                           assignment: options.includeAssignment ? assign.map(\.rawValue) : nil)
    }

    /// Equal normalized inputs, plus near-equal inputs (LSH on input shingles, verified by Jaccard).
    static func inputClusters(_ ctx: CheckContext) -> [[Int]] {
        let records = ctx.analysis.records
        var uf = UnionFind(records.count)
        for g in ctx.groups(where: { $0.normInputHash != 0 }, key: { $0.normInputHash }) {
            for m in g.dropFirst() { uf.union(g[0], m) }
        }
        var seen = Set<UInt64>()
        let bands = ctx.analysis.inputBands
        let members = (0..<records.count).filter { i in
            bands.contains { $0[i] != 0 } && seen.insert(records[i].normInputHash).inserted
        }
        let cands = NearDuplicateSearch.candidates(bands: bands, members: members)
        let pairs = NearDuplicateSearch.verify(cands, threshold: ctx.config.nearDuplicateThreshold) { i in
            guard let e = ctx.analysis.example(i) else { return [] }
            return TextNormalizer.shingles(ExampleWords(e, wantInputNoSystem: true).inputNoSystem)
        }
        for p in pairs { uf.union(p.a, p.b) }
        return uf.groups()
    }

    /// Streams the input once into three temp files; all three are renamed into place only after
    /// every byte is written, so a failure leaves none of them.
    static func writeSplits(input: String, options: ReadOptions, assign: [Split], paths: [Split: String]) throws {
        guard let trainPath = paths[.train], let validPath = paths[.valid], let testPath = paths[.test] else { return }
        try AtomicFile.write(to: trainPath) { trainFD in
            try AtomicFile.write(to: validPath) { validFD in
                try AtomicFile.write(to: testPath) { testFD in
                    var bufs: [[UInt8]] = [[], [], []]
                    let fds = [trainFD, validFD, testFD], names = [trainPath, validPath, testPath]
                    var index = 0
                    try LineReader(path: input, maxLineBytes: options.maxLineBytes, blockSize: options.blockSize).forEachBatch { batch in
                        for span in batch.lines where index < assign.count {
                            let k = assign[index] == .train ? 0 : assign[index] == .valid ? 1 : 2
                            bufs[k].append(contentsOf: batch.bytes(span))
                            bufs[k].append(0x0A)
                            index += 1
                        }
                        for k in 0..<3 where bufs[k].count >= 1 << 20 { try DataCleaner.flush(&bufs[k], fds[k], names[k]) }
                    }
                    for k in 0..<3 { try DataCleaner.flush(&bufs[k], fds[k], names[k]) }
                }
            }
        }
    }
}
