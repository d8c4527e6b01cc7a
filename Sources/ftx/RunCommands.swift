import ArgumentParser

enum RunCommands {
    static let all: [ParsableCommand.Type] = []
}
