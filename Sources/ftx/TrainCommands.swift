import ArgumentParser

enum TrainCommands {
    static let all: [ParsableCommand.Type] = []
}
