import ArgumentParser
import Foundation
import FTXCore
import FTXRegistry

struct RunExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a run's adapter: PEFT files, a GGUF-LoRA file, or merged into the base as one GGUF.",
        discussion: reflow("""
        peft         adapter_model.safetensors + adapter_config.json (load with PEFT)
        gguf         adapter.gguf (llama.cpp --lora)
        merged-gguf  the base model with W + s·B·A folded into each adapted projection (F32 for
                     those tensors; every other tensor and metadata key copied verbatim)

        Examples:
          ftx export HEAD --format peft --out export/peft
          ftx export prod --format gguf --out export
          ftx export v1 --format merged-gguf --out export
        """))

    @Argument(help: "The run commit (any revision, e.g. prod for what is deployed).") var revision: String = "HEAD"
    @Option(help: "peft, gguf or merged-gguf.") var format: String
    @Option(help: "Directory to write into (created if missing).") var out: String

    func run() throws {
        guard let f = Registry.ExportFormat(rawValue: format) else {
            throw ValidationError("--format must be one of: \(Registry.ExportFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let registry = try Registry.discover()
        for path in try registry.export(revision, format: f, to: out) { print(path) }
    }
}

struct RunLineageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lineage",
        abstract: "Show where a run's adapter came from: config, data, base, adapter, metrics, gates, provenance.",
        discussion: reflow("""
        Everything a run commit recorded, in one place: the data files with ids, sizes and row
        counts per split, the base model (and whether its bytes are stored or linked), the adapter
        files, headline metrics and gate verdicts, code provenance (git commit, branch, dirty),
        host and wall time, the environments it is deployed in, and the resolved config.

        Examples:
          ftx lineage HEAD
          ftx lineage prod --json
        """))

    @Argument(help: "A run commit.") var revision: String = "HEAD"
    @Flag(help: "Machine-readable output.") var json = false

    func run() throws {
        let l = try Registry.discover().lineage(revision)
        if json { try RunOutput.json(l.json) } else { print(l.text, terminator: "") }
    }
}
