import ArgumentParser
import Foundation
import FTXCore
import FTXRegistry
import FTXServe

/// `ftx monitor`: the request logs of `ftx serve`, per deployed adapter version (docs/monitor.md).
enum MonitorCommands {
    static let all: [ParsableCommand.Type] = [MonitorCommand.self]

    /// `--since`/`--until`: a duration back from now (30m, 24h, 7d), a day (2026-12-06) or an ISO
    /// 8601 time.
    static func time(_ text: String, option: String, now: Date) throws -> Date {
        if let d = LogTime.duration(text) { return now.addingTimeInterval(-d) }
        if let t = LogTime.day(text) ?? LogTime.parse(text) { return t }
        throw ValidationError("\(option) '\(text)' is not a duration (30m, 24h, 7d), a day (2026-12-06) or an ISO 8601 time")
    }

}

/// The environment and time window both monitor commands read.
struct MonitorWindowOptions: ParsableArguments {
    @Option(help: "The environment whose log to read.")
    var env = "prod"

    @Option(help: "Start of the window: a duration back (30m, 24h, 7d), a day, an ISO time, or all.")
    var since = "24h"

    @Option(help: "End of the window (same forms; default: now).")
    var until: String?

    func dates() throws -> (since: Date?, until: Date?) {
        let now = Date()
        let s = try since == "all" ? nil : MonitorCommands.time(since, option: "--since", now: now)
        return (s, try until.map { try MonitorCommands.time($0, option: "--until", now: now) })
    }
}

struct MonitorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Latency, errors and output quality of a deployed environment, from the request log.",
        discussion: reflow("""
        Reads the request log ftx serve writes (.ftx/serve/ENV/YYYY-MM-DD.jsonl) and reports per
        adapter version, in deploy order from the deploy reflog: volume, latency and time to first
        token percentiles, tokens/s, error rate by kind, and the pass rates of the run's
        reference-free suite assertions on the logged outputs beside its eval report, with Wilson
        95% intervals (DRIFT when production is significantly worse).

        --fail-on conditions are checked on the current version; any that holds exits 1 (for cron
        or CI alerting). Metrics: volume, errors, error_rate, p50_ms, p95_ms, p99_ms, ttft_p50_ms,
        ttft_p95_ms, ttft_p99_ms, tokens_per_second, assert.<assertion>.

        Examples:
          ftx monitor --env prod --since 24h
          ftx monitor --json --fail-on "p95_ms > 800" --fail-on "error_rate > 0.01"
          ftx monitor --since 7d --html monitor.html
          ftx monitor sample --n 50 --out cases.jsonl
        """),
        subcommands: [MonitorSampleCommand.self])

    @OptionGroup var window: MonitorWindowOptions

    @Flag(help: "Machine-readable output.")
    var json = false

    @Option(help: "Also write the report as a self-contained HTML page to FILE.")
    var html: String?

    @Option(name: .customLong("fail-on"), help: "Exit 1 if this holds on the current version, e.g. \"p95_ms > 800\" (repeatable).")
    var failOn: [String] = []

    func run() throws {
        let conditions = try failOn.map { try FailOnCondition(parsing: $0) }
        let (s, u) = try window.dates()
        let registry = try Registry.discover()
        let report = try Monitor.report(registry, env: window.env, since: s, until: u)
        let verdicts = FailOnResult.evaluate(conditions, on: report.currentVersion ?? report.versions.last)
        if let html { try AtomicFile.write(Data(MonitorText.html(report, failOn: verdicts).utf8), to: html) }
        if json {
            try JSONOutput.emit(MonitorJSON(report: report, failOn: verdicts))
        } else {
            print(MonitorText.render(report, failOn: verdicts), terminator: "")
            if let html { print("html: \(html)") }
        }
        if verdicts.contains(where: \.violated) { throw ExitCode(1) }
    }
}

/// `--json`: the report with the conditions' verdicts.
struct MonitorJSON: Encodable {
    let report: MonitorReport
    let failOn: [FailOnResult]
    enum CodingKeys: String, CodingKey { case report, failOn = "fail_on" }
}

struct MonitorSampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Draw a stratified sample of logged traffic as candidate eval cases.",
        discussion: reflow("""
        Strata are (adapter version, outcome): the error kind, else the finish reason. Strata are
        drawn round-robin, each in a pseudo-random order fixed by --seed, so rare outcomes are
        represented. Each case is a row of the suite's case format (chat turns, or prompt and
        completion) whose expected output is the logged output, to correct when labelling; the
        logged output is also kept unchanged in logged_output.

        Examples:
          ftx monitor sample --n 50 --out cases.jsonl
          ftx monitor sample --env staging --since 7d --n 20 --seed 7 --out staging.jsonl
        """))

    @OptionGroup var window: MonitorWindowOptions

    @Option(help: "How many cases to draw.")
    var n = 50

    @Option(help: "Seed of the draw (same log and seed, same cases).")
    var seed: UInt64 = 0

    @Option(help: "The JSONL file to write.")
    var out: String

    func validate() throws {
        guard n > 0 else { throw ValidationError("--n must be at least 1") }
    }

    func run() throws {
        let (s, u) = try window.dates()
        let env = window.env
        let registry = try Registry.discover()
        let log = try MonitorLog.read(directory: try Monitor.logDirectory(registry, env: env), since: s, until: u)
        let drawn = MonitorSample.draw(log.lines, n: n, seed: seed)
        let candidates = MonitorSample.candidates(log.lines).count
        let otherFormat = log.lines.filter { $0.messages != nil || $0.prompt != nil }.count - candidates
        if drawn.isEmpty {
            let why = log.lines.isEmpty ? "no requests logged for \(env) in this window"
                : "none of the \(log.lines.count) logged request(s) kept its content (ftx serve --no-log-content)"
            throw GenericError(why, at: ".ftx/serve/\(env)", hint: "widen the window with --since, or log content")
        }
        try AtomicFile.write(try MonitorSample.jsonl(drawn), to: out)
        print("wrote \(drawn.count) case(s) to \(out) from \(candidates) request(s) with content")
        if otherFormat > 0 { print("left out \(otherFormat) request(s) of the other endpoint: a case file holds one format") }
    }
}
