import FTXCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum ContradictionPolicy: String, Codable, Sendable, CaseIterable {
    case drop        // remove every example of a contradicting group
    case keepFirst = "keep-first"  // keep the first, remove the others
    case flag        // keep all; list them in the report
}

public struct RemovedExample: Codable, Sendable, Equatable {
    public var location: String
    public var reason: String      // "exact-duplicate", "near-duplicate", "contradiction"
    public var of: String?         // the kept example it duplicates / contradicts
}

public struct CleanReport: Codable, Sendable {
    public var input: String
    public var output: String
    public var examples: Int
    public var kept: Int
    public var removed: [RemovedExample]
    public var flagged: [Finding]
}

/// `ftx data clean`: a cleaned copy, never the input in place, written atomically.
public enum DataCleaner {
    public struct Options {
        public var contradictions: ContradictionPolicy = .drop
        public var dropNearDuplicates = true
        public var nearDuplicateThreshold = 0.8
        public var read = ReadOptions()
        public var progress = false
        public init() {}
    }

    public static func clean(input: String, output: String, options: Options = Options()) throws -> CleanReport {
        if samePath(input, output) {
            throw DataError.invalidArgument("refusing to clean \(input) in place", hint: "choose another --out file")
        }
        var (config, a) = try AnalysisOptions.forThreshold(options.nearDuplicateThreshold, read: options.read, progress: options.progress)
        a.contentBands = options.dropNearDuplicates
        let analysis = try DatasetAnalysis(inputs: [DatasetInput(path: input)], options: a)
        let ctx = CheckContext(analysis: analysis, config: config)
        let n = analysis.count

        var removed = [RemovedExample?](repeating: nil, count: n)
        for g in ctx.exactDuplicateGroups() {
            for m in g.dropFirst() { removed[m] = RemovedExample(location: ctx.loc(m), reason: "exact-duplicate", of: ctx.loc(g[0])) }
        }
        if options.dropNearDuplicates {
            for g in ctx.nearClusters() {
                for m in g.dropFirst() where removed[m] == nil {
                    removed[m] = RemovedExample(location: ctx.loc(m), reason: "near-duplicate", of: ctx.loc(g[0]))
                }
            }
        }
        var flagged: [Finding] = []
        for g in ctx.contradictionGroups() {
            switch options.contradictions {
            case .drop:
                for m in g where removed[m] == nil { removed[m] = RemovedExample(location: ctx.loc(m), reason: "contradiction", of: nil) }
            case .keepFirst:
                for m in g.dropFirst() where removed[m] == nil {
                    removed[m] = RemovedExample(location: ctx.loc(m), reason: "contradiction", of: ctx.loc(g[0]))
                }
            case .flag:
                flagged.append(Finding(message: "same input, different outputs", locations: ctx.locs(g)))
            }
        }

        // Second pass: copy the kept lines byte for byte (CRLF and BOM dropped), atomically.
        var index = 0
        try AtomicFile.write(to: output) { fd in
            var out: [UInt8] = []
            out.reserveCapacity(1 << 20)
            try LineReader(path: input, maxLineBytes: options.read.maxLineBytes, blockSize: options.read.blockSize).forEachBatch { batch in
                for span in batch.lines {
                    defer { index += 1 }
                    guard index < n, removed[index] == nil else { continue }
                    out.append(contentsOf: batch.bytes(span))
                    out.append(0x0A)
                }
                if out.count >= 1 << 20 { try flush(&out, fd, output) }
            }
            try flush(&out, fd, output)
        }
        let rem = removed.compactMap { $0 }
        return CleanReport(input: input, output: output, examples: n, kept: n - rem.count, removed: rem, flagged: flagged)
    }

    static func flush(_ buf: inout [UInt8], _ fd: Int32, _ path: String) throws {
        try buf.withUnsafeBytes { try AtomicFile.writeAll(fd: fd, $0, path: path) }
        buf.removeAll(keepingCapacity: true)
    }

    /// True when both paths name the same file (an existing output compared by device and inode).
    static func samePath(_ a: String, _ b: String) -> Bool {
        var sa = stat(), sb = stat()
        if stat(a, &sa) == 0 && stat(b, &sb) == 0 { return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino }
        return (a as NSString).standardizingPath == (b as NSString).standardizingPath
    }
}
