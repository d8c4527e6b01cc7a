import ArgumentParser
import FTXData
import Foundation

struct DataCleanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clean",
        abstract: "Write a cleaned copy: no exact duplicates, one example per near-duplicate cluster, contradictions handled.",
        discussion: reflow("""
        The input is never modified; the output is written atomically (complete or absent). The first example of each duplicate group or cluster (in file order) is kept. Contradictions (same input, different outputs): drop removes the whole group, keep-first keeps its first example, flag keeps all and lists them.

        Examples:
          ftx data clean data/all.jsonl --out data/clean.jsonl
          ftx data clean data/all.jsonl --out data/clean.jsonl \\
              --contradictions keep-first --json
        """)
    )

    @Argument(help: "The JSONL file to clean.") var file: String
    @Option(name: .customLong("out"), help: "Where to write the cleaned copy (must differ from the input).") var out: String
    @Option(help: "drop | keep-first | flag.") var contradictions: String = "drop"
    @Flag(help: "Keep near duplicates (drop only exact ones).") var keepNear = false
    @Option(help: "Jaccard threshold for near duplicates.") var nearThreshold: Double = 0.8
    @Option(help: "Refuse lines longer than this many bytes (default 32 MiB).") var maxLineBytes: Int?
    @Flag(help: "Print the report as JSON.") var json = false

    func run() throws {
        guard let policy = ContradictionPolicy(rawValue: contradictions) else {
            throw DataError.invalidArgument("unknown --contradictions policy \"\(contradictions)\"", hint: "use drop, keep-first or flag")
        }
        var o = DataCleaner.Options()
        o.contradictions = policy
        o.dropNearDuplicates = !keepNear
        o.nearDuplicateThreshold = nearThreshold
        if let maxLineBytes { try DataCLI.positiveInt(maxLineBytes, "--max-line-bytes"); o.read.maxLineBytes = maxLineBytes }
        o.progress = DataCLI.wantsProgress([file], json: json)
        let r = try DataCleaner.clean(input: file, output: out, options: o)
        if json { try JSONOutput.emit(r); return }
        var byReason: [String: Int] = [:]
        for x in r.removed { byReason[x.reason, default: 0] += 1 }
        print("wrote \(r.out): kept \(r.kept) of \(r.examples) examples, removed \(r.removed.count)"
              + (byReason.isEmpty ? "" : " (" + byReason.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ") + ")"))
        for x in r.removed {
            print("  removed \(x.location)  \(x.reason)" + (x.of.map { " of \($0)" } ?? ""))
        }
        for f in r.flagged { print("  flagged contradiction: " + f.locations.joined(separator: "  ")) }
    }
}

private extension CleanReport {
    var out: String { output }
}
