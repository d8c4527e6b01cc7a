import ArgumentParser

enum ModelCommands {
    static let all: [ParsableCommand.Type] = []
}
