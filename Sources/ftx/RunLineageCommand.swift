import ArgumentParser
import Foundation
import FTXCore
import FTXRegistry

struct RunLineageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lineage",
        abstract: "Show where a run's adapter came from: config, data, base, adapter, metrics, gates, provenance.",
        discussion: reflow("""
        Everything a run commit recorded, in one place: the data files with ids, sizes and row
        counts per split, the base model (and whether its bytes are stored or linked), the adapter
        files, headline metrics and gate verdicts, code provenance (git commit, branch, dirty),
        host and wall time, the environments it is deployed in, and the resolved config.

        Examples:
          ftx lineage HEAD
          ftx lineage prod --json
        """))

    @Argument(help: "A run commit.") var revision: String = "HEAD"
    @Flag(help: "Machine-readable output.") var json = false

    func run() throws {
        let l = try Registry.discover().lineage(revision)
        if json { try JSONOutput.emit(l.json) } else { print(l.text, terminator: "") }
    }
}
