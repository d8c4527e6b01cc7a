import ArgumentParser

enum StoreCommands {
    static let all: [ParsableCommand.Type] = []
}
