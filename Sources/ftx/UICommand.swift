import ArgumentParser
import Foundation
import FTXRegistry
import FTXServe

/// `ftx ui`: the registry as web pages, served or exported (issue #17; the pages live in FTXServe/UI).
enum UICommands {
    static let all: [ParsableCommand.Type] = [UICommand.self]
}

struct UICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ui",
        abstract: "Browse runs, curves, comparisons, deployments and data in a web page.",
        discussion: reflow("""
        Serves the repository read-only on 127.0.0.1:8700: the runs table (sort by any column,
        filter with the `ftx runs --where` language, pick columns, tick runs to compare), a page
        per run (lineage, loss curves, eval metrics with Wilson intervals, gates, failing cases,
        artifacts to download by object id), comparisons, deployments and data. Every view has a
        URL. A non-loopback --host needs --api-key-env, as `ftx serve` does.

        --export DIR writes the same pages as a static site (the same bytes the server sends),
        opening from file:// with no server: for CI artifacts and sharing. It holds every run
        page, each run compared with its parent run, and the --compare lists.

        Examples:
          ftx ui                                 # http://127.0.0.1:8700/
          ftx ui --port 0 --open                 # any free port, in the browser
          FTX_KEY=secret ftx ui --host 0.0.0.0 --api-key-env FTX_KEY
          ftx ui --export site/ --compare HEAD~1,HEAD
          curl 'localhost:8700/runs.json?where=pass_rate%20%3E%200.8&sort=loss:asc'

        The first line on stdout is `ftx ui: listening on http://HOST:PORT/`. Ctrl-C or SIGTERM
        finishes the pages in flight and exits 0.
        """))

    @Option(help: "Address to bind (a non-loopback one needs --api-key-env).") var host = "127.0.0.1"
    @Option(help: "Port (0 = any free port).") var port = 8700
    @Flag(help: "Open the page in a browser (xdg-open).") var open = false
    @Option(help: "Environment variable holding the API key clients send as `Authorization: Bearer KEY`.") var apiKeyEnv: String?
    @Option(help: "Write the pages as a static site into DIR instead of serving them.") var export: String?
    @Option(help: "With --export: also a comparison of these runs (REV,REV[,…], first = baseline; repeatable).") var compare: [String] = []
    @Flag(help: "With --export: list what was written as JSON.") var json = false

    func validate() throws {
        if !(1...65535).contains(port) && port != 0 { throw ValidationError("--port must be 0-65535") }
        if export == nil && (!compare.isEmpty || json) { throw ValidationError("--compare and --json go with --export DIR") }
        for c in compare where !(2...8).contains(c.split(separator: ",").count) {
            throw ValidationError("--compare \(c): name 2 to 8 runs, separated by commas")
        }
        if export == nil, let problem = ServeOptions.apiKeyProblem(host: host, apiKeyEnv: apiKeyEnv, environment: ProcessInfo.processInfo.environment) {
            throw ValidationError(problem)
        }
    }

    func run() throws {
        let registry = try Registry.discover()
        if let dir = export {
            let written = try UIExport.write(UISite(registry: registry, mode: .export), to: dir,
                                             compare: compare.map { $0.split(separator: ",").map(String.init) })
            let warn = { (s: String) in FileHandle.standardError.write(Data("ftx ui: \(s)\n".utf8)) }
            for b in written.broken { warn("not exported: \(b.path) (status \(b.status))") }
            if json {
                return try JSONOutput.emit(["directory": dir, "files": written.files.map { ["path": $0.path, "bytes": $0.bytes] as [String: Any] },
                                            "not_exported": written.broken.map { ["path": $0.path, "status": $0.status] as [String: Any] }] as [String: Any])
            }
            for f in written.files { print("\(f.path)  \(f.bytes) bytes") }
            print("wrote \(written.files.count) files to \(dir)")
            return
        }
        try UIServer.run(site: UISite(registry: registry), host: host, port: port,
                         apiKey: apiKeyEnv.flatMap { ProcessInfo.processInfo.environment[$0] }, open: open,
                         say: { print($0); fflush(stdout) }, warn: { FileHandle.standardError.write(Data(($0 + "\n").utf8)) })
    }
}
