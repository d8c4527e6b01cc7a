import ArgumentParser

enum DataCommands {
    static let all: [ParsableCommand.Type] = []
}
