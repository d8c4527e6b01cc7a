import FTXCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Which split a file plays in a multi-file check.
public enum SplitRole: String, Codable, Sendable, CaseIterable {
    case train, valid, test, all

    /// "train.jsonl", "data/valid.jsonl", "my_test.jsonl" → their role; anything else → .all.
    public static func guess(from path: String) -> SplitRole {
        let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension.lowercased()
        for (role, words) in [(SplitRole.train, ["train", "training"]), (.valid, ["valid", "validation", "val", "dev", "eval"]),
                              (.test, ["test", "testing"])] {
            let parts = name.split(whereSeparator: { !$0.isLetter })
            if parts.contains(where: { words.contains(String($0)) }) { return role }
        }
        return .all
    }
}

public struct DatasetInput: Sendable {
    public var path: String
    public var role: SplitRole
    public init(path: String, role: SplitRole = .all) {
        self.path = path
        self.role = role
    }
}

/// What the single streaming pass computes besides the basic record.
struct AnalysisOptions {
    var read = ReadOptions()
    var minHash = MinHashParams(threshold: 0.8)
    var contentBands = true      // near duplicates of whole examples
    var inputBands = false       // near-equal inputs (leakage, split clusters)
    var tokenCounter: ((String) -> Int)?
    var tokenCounterIsThreadSafe = false
    var progress = false
    var stratifyField: String?   // keep the value of this field per example (split --stratify)

    /// Options and a validated check config for a near-duplicate threshold (clean and split).
    static func forThreshold(_ threshold: Double, read: ReadOptions, progress: Bool) throws -> (DataCheckConfig, AnalysisOptions) {
        var config = DataCheckConfig()
        config.nearDuplicateThreshold = threshold
        try config.validate()
        var a = AnalysisOptions()
        a.read = read
        a.minHash = MinHashParams(threshold: threshold)
        a.progress = progress
        return (config, a)
    }
}

/// One streaming pass over every input file, in parallel batches, keeping only an `ExampleRecord`
/// and LSH band hashes per example. Later checks work on these; the few that need text (verifying
/// candidate pairs) re-read single lines by offset.
final class DatasetAnalysis {
    struct FileInfo {
        var path: String
        var role: SplitRole
        var format: ExampleFormat
        var examples: Int
        var firstIndex: Int
    }

    let options: AnalysisOptions
    private(set) var files: [FileInfo] = []
    var records: [ExampleRecord] = []
    var contentBands: [[UInt32]] = []   // [band][example]; 0 = no signature
    var inputBands: [[UInt32]] = []
    private(set) var jsonShapes: [String] = []
    private var shapeIndex: [String: Int32] = [:]
    private(set) var systemPrompts: [UInt64: String] = [:]
    private(set) var strata: [String] = []      // values of the stratify field; index = record.stratum
    private var stratumIndex: [String: Int32] = [:]
    private var stratifiedExamples = 0          // examples that have the stratify field
    private var fieldNames = Set<String>()      // what they have instead, while none has it
    private var fds: [Int32] = []

    var count: Int { records.count }

    init(inputs: [DatasetInput], options: AnalysisOptions) throws {
        self.options = options
        let bands = options.minHash.bands
        if options.contentBands { contentBands = Array(repeating: [], count: bands) }
        if options.inputBands { inputBands = Array(repeating: [], count: bands) }
        let totalBytes = inputs.reduce(Int64(0)) { acc, i in
            acc + ((try? FileManager.default.attributesOfItem(atPath: i.path)[.size] as? Int64) ?? 0)
        }
        let progress = ProgressReporter(label: "reading", total: Int(max(1, totalBytes / 1_000_000)), enabled: options.progress)
        var doneBytes: Int64 = 0
        for (fileIdx, input) in inputs.enumerated() {
            let first = records.count
            let format = try ExampleReader.forEachBatch(path: input.path, options: options.read, computeID: false) { examples, spans, _ in
                try self.absorb(examples, spans, fileIndex: Int32(fileIdx))
                if let last = spans.last { doneBytes = Int64(last.fileOffset) + Int64(last.length) }
                progress.update(Int((Self.bytesBefore(inputs, fileIdx) + doneBytes) / 1_000_000), ["\(self.records.count) examples"])
            }
            files.append(FileInfo(path: input.path, role: input.role, format: format, examples: records.count - first, firstIndex: first))
        }
        progress.update(progress.total, ["\(records.count) examples"], force: true)
        if let field = options.stratifyField, stratifiedExamples == 0, !records.isEmpty {
            throw DataError.invalidArgument("no example has the field '\(field)' to stratify by",
                                            hint: fieldNames.isEmpty ? "the examples have no other fields; completion.KEY reads KEY from JSON outputs"
                                                : "fields: " + fieldNames.sorted().joined(separator: ", "))
        }
        for f in files {
            let fd = open(f.path, O_RDONLY | O_CLOEXEC)
            fds.append(fd)
        }
    }

    deinit { for fd in fds where fd >= 0 { close(fd) } }

    private static func bytesBefore(_ inputs: [DatasetInput], _ k: Int) -> Int64 {
        inputs.prefix(k).reduce(Int64(0)) { acc, i in
            acc + ((try? FileManager.default.attributesOfItem(atPath: i.path)[.size] as? Int64) ?? 0)
        }
    }

    private struct Computed {
        var record: ExampleRecord
        var shape: String?
    }

    private func stratum(of e: Example) -> Int32 {
        guard let field = options.stratifyField else { return -1 }
        let found = StratifyField(name: field).value(of: e)
        if found != nil { stratifiedExamples += 1 } else if stratifiedExamples == 0 { fieldNames.formUnion(StratifyField.names(in: e)) }
        let v = found ?? ""
        if let i = stratumIndex[v] { return i }
        let i = Int32(strata.count)
        stratumIndex[v] = i
        strata.append(v)
        return i
    }

    private func absorb(_ examples: [Example], _ spans: [LineSpan], fileIndex: Int32) throws {
        let params = options.minHash
        let nb = params.bands
        let wantContent = options.contentBands, wantInput = options.inputBands
        var cBands = [UInt32](repeating: 0, count: wantContent ? examples.count * nb : 0)
        var iBands = [UInt32](repeating: 0, count: wantInput ? examples.count * nb : 0)
        let parallelTokens = options.tokenCounterIsThreadSafe ? options.tokenCounter : nil
        let computed: [Computed] = cBands.withUnsafeMutableBufferPointer { cb in
            iBands.withUnsafeMutableBufferPointer { ib in
                let cbp = wantContent ? cb.baseAddress : nil, ibp = wantInput ? ib.baseAddress : nil
                return Threads.map(examples.count, minChunk: 16) { k -> Computed in
                    let e = examples[k], span = spans[k]
                    let words = ExampleWords(e, wantInputNoSystem: wantInput)
                    var r = ExampleRecord()
                    r.file = fileIndex
                    r.line = Int32(clamping: span.line)
                    r.length = Int32(clamping: span.length)
                    r.offset = span.fileOffset
                    r.contentHash = ExampleFeatures.contentHash(e)
                    r.normContentHash = TextNormalizer.sequenceHash(words.content[...])
                    r.normInputHash = TextNormalizer.sequenceHash(words.input[...])
                    r.normOutputHash = TextNormalizer.sequenceHash(words.output[...])
                    if let sys = e.systemPrompt { r.systemHash = FastHash.string(sys) | 1 }
                    r.outputChars = Int32(clamping: ExampleFeatures.scalarCount(e.output))
                    let (style, shape) = ExampleFeatures.style(e)
                    r.style = style
                    if let tc = parallelTokens { r.tokens = Int32(clamping: tc(Self.tokenText(e))) }
                    if let cbp {
                        let sh = TextNormalizer.shingleHashes(words.content)
                        if !sh.isEmpty { MinHash.bandHashes(sh, params: params, into: cbp + k * nb) }
                    }
                    if let ibp {
                        let sh = TextNormalizer.shingleHashes(words.inputNoSystem)
                        if !sh.isEmpty { MinHash.bandHashes(sh, params: params, into: ibp + k * nb) }
                    }
                    return Computed(record: r, shape: shape)
                }
            }
        }
        for (k, c) in computed.enumerated() {
            var r = c.record
            if let s = c.shape {
                if let idx = shapeIndex[s] { r.jsonShape = idx } else {
                    r.jsonShape = Int32(jsonShapes.count)
                    shapeIndex[s] = r.jsonShape
                    jsonShapes.append(s)
                }
            }
            if r.systemHash != 0 && systemPrompts[r.systemHash] == nil { systemPrompts[r.systemHash] = examples[k].systemPrompt }
            r.stratum = stratum(of: examples[k])
            if r.tokens < 0, let tc = options.tokenCounter { r.tokens = Int32(clamping: tc(Self.tokenText(examples[k]))) }
            records.append(r)
        }
        // Band-major storage: one array per band, so LSH can sort a band at a time.
        if wantContent {
            for b in 0..<nb { for k in 0..<examples.count { contentBands[b].append(cBands[k * nb + b]) } }
        }
        if wantInput {
            for b in 0..<nb { for k in 0..<examples.count { inputBands[b].append(iBands[k * nb + b]) } }
        }
    }

    /// The text whose tokens are counted: the input turns and the output, as the model sees them.
    static func tokenText(_ e: Example) -> String {
        e.format == .text ? (e.text ?? "") : e.input + "\n" + e.output
    }

    func location(_ i: Int) -> SourceLocation {
        let r = records[i]
        return SourceLocation(file: files[Int(r.file)].path, line: Int(r.line))
    }

    func role(_ i: Int) -> SplitRole { files[Int(records[i].file)].role }

    /// Re-reads and parses example `i` (thread-safe: pread on a shared descriptor).
    func example(_ i: Int) -> Example? {
        let r = records[i]
        let fd = fds[Int(r.file)]
        guard fd >= 0, let bytes = LineReader.readLine(fd: fd, offset: r.offset, length: Int(r.length)) else { return nil }
        return bytes.withUnsafeBufferPointer {
            try? ExampleParser.parse($0, file: files[Int(r.file)].path, line: Int(r.line), computeID: true)
        }
    }
}
