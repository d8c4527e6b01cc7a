import ArgumentParser
import FTXData
import Foundation

struct DataSplitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "split",
        abstract: "Deterministic train/valid/test split by a seeded hash of each example's input.",
        discussion: reflow("""
        The same file and seed always give the same split, and appending rows never moves existing ones. Examples with equal or near-equal inputs (Jaccard ≥ --near-threshold) stay in one split, so nothing leaks. Writes train.jsonl, valid.jsonl and test.jsonl into --out (default: the input's directory), all or nothing.

        --stratify FIELD keeps each value's proportions exact (rows near the boundary may then move when rows are added). FIELD is a top-level field of the rows, or completion.KEY for a key of the JSON the rows' completions (or last assistant messages) hold; a field no row has is an error that lists the fields there are.

        Examples:
          ftx data split data/all.jsonl --valid 0.1 --test 0.1 --seed 1 --out data/
          ftx data split data/all.jsonl --stratify completion.category --json
        """)
    )

    @Argument(help: "The JSONL file to split.") var file: String
    @Option(help: "Share of examples for validation.") var valid: Double = 0.1
    @Option(help: "Share of examples for test.") var test: Double = 0.1
    @Option(help: "Seed of the split hash.") var seed: UInt64 = 0
    @Option(name: .customLong("out"), help: "Output directory (default: the input's directory).") var out: String?
    @Option(help: "Field whose values keep their proportions in every split: a top-level field, or completion.KEY for a key of JSON outputs.") var stratify: String?
    @Option(help: "Jaccard threshold above which inputs are kept together.") var nearThreshold: Double = 0.8
    @Option(help: "Refuse lines longer than this many bytes (default 32 MiB).") var maxLineBytes: Int?
    @Flag(help: "Print the report as JSON.") var json = false

    func run() throws {
        var o = DataSplitter.Options()
        o.valid = valid
        o.test = test
        o.seed = seed
        o.outDir = out
        o.stratify = stratify
        o.nearDuplicateThreshold = nearThreshold
        if let maxLineBytes { try DataCLI.positiveInt(maxLineBytes, "--max-line-bytes"); o.read.maxLineBytes = maxLineBytes }
        o.progress = DataCLI.wantsProgress([file], json: json)
        let r = try DataSplitter.split(input: file, options: o)
        if json { try JSONOutput.emit(r); return }
        print("split \(r.examples) examples (seed \(r.seed)): train \(r.counts.train), valid \(r.counts.valid), test \(r.counts.test)")
        print("  \(r.clusters) groups of equal or near-equal inputs (\(r.clusteredExamples) examples) kept within one split")
        for name in ["train", "valid", "test"] { if let p = r.files[name] { print("  wrote \(p)") } }
        if let per = r.perStratum {
            for (k, c) in per.sorted(by: { $0.key < $1.key }) {
                print("  \(stratify ?? "")=\(k.isEmpty ? "(missing)" : k): train \(c.train), valid \(c.valid), test \(c.test)")
            }
        }
    }
}
