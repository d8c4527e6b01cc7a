import ArgumentParser
import FTXData
import Foundation

struct DataStatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Counts, lengths, formats and role distribution of JSONL files.",
        discussion: reflow("""
        Lengths are in characters (Unicode scalars); with --model, token counts too.

        Examples:
          ftx data stats data/train.jsonl
          ftx data stats data/*.jsonl --json
        """)
    )

    @Argument(help: "JSONL files.") var files: [String]
    @Option(help: "Model (GGUF) whose tokenizer counts tokens.") var model: String?
    @Option(help: "Refuse lines longer than this many bytes (default 32 MiB).") var maxLineBytes: Int?
    @Flag(help: "Print the statistics as JSON (an array, one object per file).") var json = false

    func run() throws {
        guard !files.isEmpty else { throw DataError.invalidArgument("no dataset files given", hint: "ftx data stats FILE…") }
        var read = ReadOptions()
        if let maxLineBytes { try DataCLI.positiveInt(maxLineBytes, "--max-line-bytes"); read.maxLineBytes = maxLineBytes }
        let counter = try DataCLI.tokenCounter(modelPath: model)
        let reports = try files.map { try DataStats.compute(path: $0, read: read, tokenCounter: counter) }
        if json { try JSONOutput.emit(reports); return }
        for (k, r) in reports.enumerated() {
            if k > 0 { print("") }
            print("\(r.path): \(r.examples) \(r.format.rawValue) examples")
            print("  input chars   \(DataCLI.distribution(r.inputChars))")
            if r.format != .text { print("  output chars  \(DataCLI.distribution(r.outputChars))") }
            if let t = r.tokens { print("  tokens        \(DataCLI.distribution(t))") }
            if let m = r.messagesPerExample { print("  messages      \(DataCLI.distribution(m))") }
            if let roles = r.roles {
                print("  roles         " + roles.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
            }
            if let s = r.withSystemPrompt { print("  system prompt \(s) examples, \(r.distinctSystemPrompts ?? 0) distinct") }
            if r.format != .text { print("  empty outputs \(r.emptyOutputs)") }
            if !r.fields.isEmpty {
                print("  fields        " + r.fields.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
            }
        }
    }
}
