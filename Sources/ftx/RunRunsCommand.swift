import ArgumentParser
import Foundation
import FTXCore
import FTXRegistry

struct RunRunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "Query runs by params and metrics (from the run index in index.sqlite).",
        discussion: reflow("""
        --where takes a small expression language: comparisons (<, <=, >, >=, =, !=) between a
        field and a number or quoted string, joined with and / or / not and parentheses. Fields
        are params from the run config (lora_r, learning_rate, …), metrics (pass_rate, loss, …),
        `params.X` / `metrics.X` to be explicit, and status, seed, base, message, time, author.
        --sort NAME sorts highest first; NAME:asc (or -NAME) lowest first.
        --history lists the first-parent history of a revision with metrics and gate status
        (what `ftx log --metrics` shows). --reindex rebuilds the index from commit headers.

        Examples:
          ftx runs --where 'lora_r <= 16 and pass_rate > 0.8' --sort pass_rate
          ftx runs --where "status = 'failed'" --json
          ftx runs --sort loss:asc --limit 5
          ftx runs --history HEAD -n 20
        """))

    @Option(name: .customLong("where"), help: "Filter expression over params and metrics.")
    var filter: String?

    @Option(help: "Field to sort by (NAME, NAME:asc, NAME:desc).")
    var sort: String?

    @Option(name: [.customShort("n"), .customLong("limit")], help: "At most N rows.")
    var limit: Int?

    @Option(help: "Show the first-parent history of this revision with metrics (as log --metrics).")
    var history: String?

    @Flag(help: "Rebuild the run index from the objects first.")
    var reindex = false

    @Flag(help: "Machine-readable output.")
    var json = false

    func run() throws {
        let registry = try Registry.discover()
        if reindex {
            let n = try registry.reindex()
            if !json && history == nil && filter == nil && sort == nil { print("reindexed \(n) commits"); return }
        }
        if let rev = history {
            if json { return try JSONOutput.emit(registry.logWithMetrics(from: rev, limit: limit).map(RunTable.json)) }
            return RunOutput.write(try registry.logListing(from: rev, limit: limit).logText())
        }
        if json { return try JSONOutput.emit(registry.queryRuns(where: filter, sort: sort, limit: limit).map(RunTable.json)) }
        let listing = try registry.queryRunsListing(where: filter, sort: sort, limit: limit)
        if listing.count == 0 { print("no runs match"); return }
        RunOutput.write(listing.runsText())
    }
}
