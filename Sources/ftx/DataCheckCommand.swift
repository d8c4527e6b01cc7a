import ArgumentParser
import FTXCore
import FTXData
import Foundation

struct DataCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Report duplicates, near duplicates, contradictions, style drift, leakage and token lengths.",
        discussion: reflow("""
        Every finding names file:line of each example involved. A check whose severity is `error` and that finds something makes the command exit 1 (CI-friendly); `warn` only reports. Defaults: contradictions and leakage are errors, everything else warns.

        Checks: exact-duplicates, near-duplicates, contradictions, json-mix, json-shape, casing, trailing-whitespace, length-outliers, empty-outputs, system-prompts, leakage, truncation. Groups for --severity: all, style.

        Leakage needs a train file and a valid or test file: name them with --train/--valid/--test, or pass files whose names say train/valid/test.

        Examples:
          ftx data check data/all.jsonl
          ftx data check data/train.jsonl data/valid.jsonl data/test.jsonl --json
          ftx data check all.jsonl --severity near-duplicates=error --near-threshold 0.9
          ftx data check all.jsonl --config data-check.yaml --severity style=off
        """)
    )

    @Argument(help: "JSONL files (role from the name: train/valid/test, else checked on their own).")
    var files: [String] = []
    @Option(name: .customLong("train"), help: "A training split file.") var trainFiles: [String] = []
    @Option(name: .customLong("valid"), help: "A validation split file.") var validFiles: [String] = []
    @Option(name: .customLong("test"), help: "A test split file.") var testFiles: [String] = []
    @Option(help: "YAML file with thresholds and severities (see docs/data.md).") var config: String?
    @Option(name: .customLong("severity"), help: "NAME=error|warn|off (repeatable; NAME may be all or style).")
    var severities: [String] = []
    @Option(help: "Jaccard threshold for near duplicates and near leakage (default 0.8).") var nearThreshold: Double?
    @Option(help: "MinHash permutations (default 128).") var permutations: Int?
    @Option(help: "Robust z-score beyond which an output length is an outlier (default 3.5).") var lengthOutlierZ: Double?
    @Option(help: "Largest share of examples breaking a style convention that is still reported (default 0.25).")
    var styleMinorityShare: Double?
    @Option(help: "Model (GGUF) whose tokenizer counts tokens.") var model: String?
    @Option(help: "Token limit for the truncation check (needs --model).") var maxSeqLength: Int?
    @Option(help: "Refuse lines longer than this many bytes (default 32 MiB).") var maxLineBytes: Int?
    @Option(help: "Findings shown per check in the text report (the JSON has all).") var maxFindings: Int = 10
    @Flag(help: "Print the report as JSON.") var json = false

    func run() throws {
        var inputs: [DatasetInput] = files.map { DatasetInput(path: $0, role: SplitRole.guess(from: $0)) }
        inputs += trainFiles.map { DatasetInput(path: $0, role: .train) }
        inputs += validFiles.map { DatasetInput(path: $0, role: .valid) }
        inputs += testFiles.map { DatasetInput(path: $0, role: .test) }
        guard !inputs.isEmpty else {
            throw DataError.invalidArgument("no dataset files given", hint: "ftx data check FILE… (or --train/--valid/--test)")
        }
        var cfg = DataCheckConfig()
        if let config { try cfg.load(yamlFile: config) }
        for s in severities { try cfg.apply(severitySpec: s) }
        if let nearThreshold { cfg.nearDuplicateThreshold = nearThreshold }
        if let permutations { cfg.minhashPermutations = permutations }
        if let lengthOutlierZ { cfg.lengthOutlierZ = lengthOutlierZ }
        if let styleMinorityShare { cfg.styleMinorityShare = styleMinorityShare }
        if let maxSeqLength { cfg.maxSeqLength = maxSeqLength }
        if let maxLineBytes { cfg.maxLineBytes = maxLineBytes }
        try DataCLI.positiveInt(maxFindings, "--max-findings")
        try cfg.validate()

        var opts = DataChecker.Options()
        opts.config = cfg
        opts.tokenCounter = try DataCLI.tokenCounter(modelPath: model)
        opts.progress = DataCLI.wantsProgress(inputs.map(\.path), json: json)
        let report = try DataChecker.check(inputs, options: opts)
        if json { try JSONOutput.emit(report) } else { print(render(report)) }
        if report.failed { throw ExitCode(1) }
    }

    func render(_ r: DataCheckReport) -> String {
        var out: [String] = []
        out.append("checked \(r.examples) examples in \(r.files.count) file\(r.files.count == 1 ? "" : "s")")
        for f in r.files {
            out.append("  \(DataCLI.pad(f.path, 32))\(DataCLI.pad(f.format.rawValue, 11))\(DataCLI.pad(f.role.rawValue, 6))\(f.examples) examples")
        }
        out.append("")
        out.append("  \(DataCLI.pad("check", 21))\(DataCLI.pad("severity", 9))\(DataCLI.pad("status", 7))summary")
        for c in r.checks {
            out.append("  \(DataCLI.pad(c.name, 21))\(DataCLI.pad(c.severity.rawValue, 9))\(DataCLI.pad(c.status.rawValue.uppercased(), 7))\(c.summary)")
        }
        if let t = r.tokenStatistics {
            out.append("")
            out.append("tokens: \(DataCLI.distribution(t.tokens))")
            if let limit = t.maxSeqLength, let over = t.overMaxSeqLength, let share = t.shareOverMaxSeqLength {
                out.append(String(format: "over max_seq_length %d: %d (%.1f%%)", limit, over, share * 100))
            }
        }
        for c in r.checks where !c.findings.isEmpty {
            out.append("")
            out.append("\(c.name) (\(c.status.rawValue)):")
            for f in c.findings.prefix(maxFindings) {
                out.append("  - \(f.message)")
                let shown = f.locations.prefix(8)
                out.append("      " + shown.joined(separator: "  ") + (f.locations.count > shown.count ? "  … and \(f.locations.count - shown.count) more" : ""))
            }
            if c.findings.count > maxFindings { out.append("  … \(c.findings.count - maxFindings) more findings (--json lists all)") }
        }
        out.append("")
        let failed = r.checks.filter { $0.status == .fail }.map(\.name)
        let warned = r.checks.filter { $0.status == .warn }.count
        out.append(failed.isEmpty ? "result: passed\(warned > 0 ? " with \(warned) warning\(warned == 1 ? "" : "s")" : "")"
                                  : "result: FAILED (\(failed.joined(separator: ", ")))")
        return out.joined(separator: "\n")
    }
}
