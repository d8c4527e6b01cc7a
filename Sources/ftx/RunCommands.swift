import ArgumentParser
import Foundation
import FTXCore
import FTXRegistry

/// Registry porcelain: runs, the run index, base models, deploy and rollback, lineage.
enum RunCommands {
    static let all: [ParsableCommand.Type] = [
        RunRunCommand.self, RunReproduceCommand.self, RunDeployCommand.self, RunBaseCommand.self, RunRunsCommand.self,
        RunLineageCommand.self, RunExportCommand.self,
    ]
}

/// Output helpers shared by the registry commands.
enum RunOutput {
    /// Writes rendered text to stdout in one go (after anything `print` buffered).
    static func write(_ bytes: [UInt8]) {
        fflush(stdout)
        FileHandle.standardOutput.write(Data(bytes))
    }

    static func date(_ t: Int64) -> String { RunTable.day(t) }

    static func table(_ header: [String], _ rows: [[String]]) -> String { RunTable.table(header, rows) }
}
