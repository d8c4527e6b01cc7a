import ArgumentParser

enum EvalCommands {
    static let all: [ParsableCommand.Type] = []
}
