import ArgumentParser
import Foundation
import FTXCore

/// The root command. Each area keeps its subcommands in its own file (`*Commands.swift`) and
/// lists them in a static array, so areas never edit each other's files.
struct FTX: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ftx",
        abstract: "Version, train, evaluate and deploy LoRA adapters — shaped like git.",
        discussion: reflow("""
        Typical day:
          ftx init                         create .ftx/ in this directory
          ftx data check data/all.jsonl    duplicates, contradictions, leakage
          ftx run -c configs/lora.yaml     train -> eval -> gates -> commit
          ftx diff HEAD~1 HEAD             did this change regress anything?
        See docs/ for a page per concept.
        """),
        version: FTXVersion.string,
        subcommands: StoreCommands.all + ModelCommands.all + TrainCommands.all
            + DataCommands.all + EvalCommands.all + RunCommands.all + RemoteCommands.all
            + ServeCommands.all + UICommands.all + MonitorCommands.all
    )
}

enum FTXVersion {
    /// Also the engine version a run records (`engine ftx X`): bumped when training gives other
    /// bytes for the same inputs (0.3.1: RoPE angles in double precision), so `ftx reproduce` of an
    /// older run names the change.
    static let string = "0.3.1"
}

@main
enum Entry {
    static func main() {
        var command: ParsableCommand
        do {
            command = try FTX.parseAsRoot(RemoteCommands.normalize(Array(CommandLine.arguments.dropFirst())))
        } catch {
            if let typo = CommandTypo.find(in: Array(CommandLine.arguments.dropFirst())) {
                report(GenericError("unknown command '\(typo.word)'", at: nil, hint: typo.hint))
                exit(2)
            }
            exitUsage(error)
        }
        do {
            try command.run()
        } catch let error as FTXError {
            report(error)
            exit(error.exitCode)
        } catch let error as ExitCode {
            exit(error.rawValue)
        } catch {
            // parseAsRoot hands back a HelpCommand for --help / `ftx help …`; its run() throws
            // ArgumentParser's CommandError, which exit(withError:) renders as the help text.
            if error is CleanExit || error is ValidationError || String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") {
                exitUsage(error)
            }
            FileHandle.standardError.write(Data("ftx: \(error)\n".utf8))
            exit(2)
        }
    }

    /// ArgumentParser's exit, except that a usage error exits 2 (its default is EX_USAGE, 64): ftx
    /// has one status for every error (docs/store.md).
    static func exitUsage(_ error: Error) -> Never {
        guard FTX.exitCode(for: error) == .validationFailure else { FTX.exit(withError: error) }
        FileHandle.standardError.write(Data((FTX.fullMessage(for: error) + "\n").utf8))
        exit(2)
    }

    /// `ftx: <what went wrong> (<where>)` and, when there is one, a hint on the next line.
    static func report(_ error: FTXError) {
        var text = "ftx: \(error.description)\n"
        if let hint = error.hint { text += "hint: \(hint)\n" }
        FileHandle.standardError.write(Data(text.utf8))
    }
}
