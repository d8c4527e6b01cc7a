import ArgumentParser

/// The engine's commands: run, inspect and tokenize GGUF base models.
enum ModelCommands {
    static let all: [ParsableCommand.Type] = [ModelGenerateCommand.self, ModelGroupCommand.self,
                                              ModelTokenizeCommand.self, ModelScoreCommand.self]
}

struct ModelGroupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Inspect GGUF base models.",
        discussion: reflow("""
        Example:
          ftx model info models/SmolLM2-135M-Instruct.Q4_1.gguf
          ftx model info models/SmolLM2-135M-Instruct.Q4_1.gguf --json
        """),
        subcommands: [ModelInfoCommand.self, ModelBenchCommand.self])
}
