import ArgumentParser
import FTXCore

/// A misspelt subcommand (`ftx stauts`, `ftx comit -m x`, `ftx data chek`): ArgumentParser reports
/// only the argument or option it could not place, so after a failed parse the words before the
/// first option are walked down the command tree, and the first that names no subcommand of a
/// command that needs one is the typo.
enum CommandTypo {
    struct Typo { let word: String; let hint: String }

    static func find(in args: [String]) -> Typo? {
        var command: ParsableCommand.Type = FTX.self
        var path = ["ftx"]
        for word in args {
            if word.hasPrefix("-") { return nil }
            let subcommands = command.configuration.subcommands
            if subcommands.isEmpty || command.configuration.defaultSubcommand != nil { return nil }
            if path.count == 1 && word == "help" { return nil }
            let names = subcommands.map(name)
            if let i = names.firstIndex(of: word) ?? subcommands.firstIndex(where: { $0.configuration.aliases.contains(word) }) {
                command = subcommands[i]
                path.append(names[i])
                continue
            }
            let prefix = path.joined(separator: " ")
            let hint = DidYouMean.suggest(word, names).map { "did you mean `\(prefix) \($0)`?" }
                ?? "the commands of `\(prefix)`: \(names.joined(separator: ", "))"
            return Typo(word: word, hint: hint)
        }
        return nil
    }

    static func name(_ command: ParsableCommand.Type) -> String {
        command.configuration.commandName ?? String(describing: command).lowercased()
    }
}
