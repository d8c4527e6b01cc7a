import ArgumentParser
import Foundation
import FTXCore
import FTXRegistry

struct RunExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a run's adapter: PEFT files, a GGUF-LoRA file, or merged into the base as one GGUF.",
        discussion: reflow("""
        Formats (--format):
          peft         adapter_model.safetensors + adapter_config.json (load with PEFT)
          gguf         adapter.gguf (llama.cpp --lora)
          merged-gguf  the base model with W + s·B·A folded into each adapted
                       projection (F32 for those tensors; every other tensor and
                       metadata key copied verbatim)

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
