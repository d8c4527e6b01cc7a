import ArgumentParser
import Foundation
import FTXCore
import FTXEval
import FTXRegistry
import FTXStore

enum EvalCommands {
    static let all: [ParsableCommand.Type] = [EvalCommand.self, DiffCommand.self]
}

/// `ftx eval`: run a suite over a model and write a report.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Run an eval suite over a model and write a report (metrics, per-case verdicts, gates).",
        discussion: reflow("""
        The suite (YAML) names a JSONL split of cases, generation settings and assertions
        (equals, contains, icontains, starts-with, regex, is-json, json-schema, json-field,
        similar, max-tokens, latency-ms; prefix not- to negate). See docs/eval.md.

        Examples:
          ftx eval --model models/SmolLM2-135M-Instruct.Q4_1.gguf \\
              --suite evals/suite.yaml --out report.json
          ftx eval --model base.gguf --adapter out/adapter --suite evals/suite.yaml \\
              --gate "pass_rate >= 0.85"
          ftx eval --model base.gguf --suite evals/suite.yaml \\
              --config configs/lora.yaml --baseline base.json
          ftx eval HEAD      (a run commit, on the suite its run recorded)

        Exit status: 0 when every gate passes (or none is declared), 1 when a gate fails, 2 on errors.
        """))

    @Argument(help: "A revision to evaluate, or `base` / a registered base's name or id (needs an ftx repository; use --model for a GGUF file).")
    var revision: String?

    @Flag(name: .customLong("base"), help: "Evaluate the registered base model (needs an ftx repository).")
    var base = false

    @Option(name: .long, help: "Base model: a GGUF file or a Hugging Face checkpoint folder.")
    var model: String?

    @Option(name: .long, help: "LoRA adapter directory (PEFT) or GGUF LoRA file applied on top of --model.")
    var adapter: String?

    @Option(name: .long, help: "Eval suite YAML (default: eval.suite of --config; for a run commit, the suite it was evaluated on).")
    var suite: String?

    @Option(name: .long, help: "Run config whose eval.gates (and eval.suite) apply.")
    var config: String?

    @Option(name: .customLong("gate"), help: "A gate such as 'pass_rate >= 0.85' (repeatable).")
    var gateExpressions: [String] = []

    @Option(name: .long, help: "Baseline report for regression gates.")
    var baseline: String?

    @Option(name: .long, help: "Write the report JSON here (atomically).")
    var out: String?

    @Flag(name: .long, help: "Print the whole report as JSON on stdout instead of the summary.")
    var json = false

    @Flag(name: .customLong("no-score"), help: "Skip loss/perplexity of the expected outputs.")
    var noScore = false

    func run() throws {
        var gates = try gateExpressions.map { try GateSpec.parse(expression: $0) }
        var suitePath = suite
        if let config {
            let fromConfig = try GateSpec.fromRunConfig(path: config)
            gates = fromConfig.gates + gates
            if suitePath == nil, let s = fromConfig.suite {
                let dir = (config as NSString).deletingLastPathComponent
                suitePath = s.hasPrefix("/") || dir.isEmpty ? s : (dir as NSString).appendingPathComponent(s)
            }
        }
        if revision != nil || base {
            // Inside a repository: the registered base (its report is stored for `diff base …`) or a run's adapter.
            let registry = try EvalCommands.registry(resolving: base ? "--base" : revision!)
            if suitePath == nil, !base, let revision {
                let recorded = try registry.recordedSuite(of: revision)
                FileHandle.standardError.write(Data(("suite: \(recorded.path) (recorded by \(revision))"
                    + (recorded.changed ? "; note: the file changed since" : "") + "\n").utf8))
                suitePath = recorded.path
            }
            guard let suitePath else { throw ValidationError("--suite is required (or a --config with eval.suite)") }
            let report = base
                ? try registry.evaluateBase(suitePath: suitePath, modelLoader: EvalModels.loader(), gates: gates)
                : try registry.evaluate(revision: revision!, suitePath: suitePath, modelLoader: EvalModels.loader(), gates: gates)
            if let out { try report.write(to: out) }
            if json { FileHandle.standardOutput.write(try report.jsonData()) } else { print(EvalSummary.render(report), terminator: "") }
            if report.gates.contains(where: { $0.status == .fail }) { throw ExitCode(1) }
            return
        }
        guard let suitePath else { throw ValidationError("--suite is required (or a --config with eval.suite)") }
        guard let model else { throw ValidationError("--model FILE.gguf is required outside a repository") }
        // Validate everything (suite, cases, baseline) before loading the model.
        let loadedSuite = try SuiteLoader.load(path: suitePath)
        let cases = try CaseLoader.load(suite: loadedSuite)
        let baselineReport = try baseline.map { try EvalReport.read(path: $0) }
        let evalModel = try EvalModels.open(base: model, adapter: adapter)
        let runner = EvalRunner(suite: loadedSuite, gates: gates, baseline: baselineReport, scoreExpected: !noScore)
        let report = try runner.run(model: evalModel, cases: cases.cases, casesSHA256: cases.sha256)
        if let out { try report.write(to: out) }
        if json {
            FileHandle.standardOutput.write(try report.jsonData())
        } else {
            print(EvalSummary.render(report), terminator: "")
            if let out { print("report: \(out)") }
        }
        if report.gates.contains(where: { $0.status == .fail }) { throw ExitCode(1) }
    }
}

/// `ftx diff`: compare two reports case by case.
struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two eval reports: suite changes, metric deltas with 95% CIs, McNemar, flipped cases.",
        discussion: reflow("""
        First, whether the suite changed between A and B (file hash, generation settings,
        assertions, threshold, case file, case count), key by key: a metric the change affects is
        labelled "not comparable" and no regression is judged on it. Cases are paired by id. Each
        metric is shown A → B with its delta and a 95% CI from a seeded paired bootstrap (10,000
        resamples), labelled better or worse by the metric's direction when significant;
        pass/fail flips get McNemar's exact test and pass rates Wilson intervals. A metric
        regresses only when its CI excludes zero on the bad side and the drop exceeds the gate
        tolerance. Regression gates come from --max-drop/--max-flips, else from B's report, else
        the default: any significant drop of pass_rate, exact_match or mean_score. B's own
        threshold gates (e.g. pass_rate >= 0.8) are judged on B alone. The result line keeps the
        three apart: regressed against A, improved, and whether B passes its own gates.

        Examples:
          ftx diff base.json tuned.json
          ftx diff base.json tuned.json --max-drop 0.02 --max-flips 3 --html diff.html
          ftx diff a.json b.json --json | jq .verdict
          ftx diff base HEAD     (repository: revisions, base, a base's name or id)

        Exit status (first that applies): 1 when B regressed against A (a regression gate failed),
        3 when B fails one of its own gates, 4 when the suite changed so that no regression could
        be judged, 0 otherwise; 2 on errors. CI that must stop on any of these stops on non-zero.
        """))

    @Argument(help: "Report A (the baseline): a report JSON file, or in a repository a revision, `base`, or a base's name or id.")
    var a: String
    @Argument(help: "Report B (the candidate).")
    var b: String

    @Option(name: .customLong("max-drop"), help: "Regression gate: largest allowed drop of pass_rate, exact_match, mean_score.")
    var maxDrop: Double?
    @Option(name: .customLong("max-flips"), help: "Regression gate: most cases allowed to flip pass → fail.")
    var maxFlips: Int?
    @Option(name: .customLong("metric"), help: "Metrics --max-drop applies to (repeatable; default the rate metrics).")
    var metrics: [String] = []
    @Option(name: .long, help: "Bootstrap resamples.")
    var resamples = 10_000
    @Option(name: .long, help: "Bootstrap seed.")
    var seed: UInt64 = PairedBootstrap().seed

    @Flag(name: .long, help: "Print the diff as JSON.")
    var json = false
    @Option(name: .long, help: "Also write a self-contained HTML page here.")
    var html: String?
    @Option(name: .customLong("max-cases"), help: "Flipped cases shown per list in the text output.")
    var maxCases = 10

    func run() throws {
        guard resamples >= 100 else { throw ValidationError("--resamples must be at least 100") }
        var gates: [GateSpec] = []
        if maxDrop != nil || maxFlips != nil {
            for m in metrics { _ = try GateSpec.parse(expression: "\(m) >= 0") }
            gates.append(.regression(vs: a, maxDrop: maxDrop, maxFlips: maxFlips, metrics: metrics.isEmpty ? nil : metrics))
        }
        let bootstrap = PairedBootstrap(resamples: resamples, seed: seed)
        let diff: ReportDiff
        if FileManager.default.fileExists(atPath: a) && FileManager.default.fileExists(atPath: b) {
            let reports = try EvalReport.read(paths: [a, b])
            diff = ReportDiff(reports[0], reports[1], gates: gates, bootstrap: bootstrap)
        } else {
            // Revisions (or `base`): the commits' reports plus config and dataset changes.
            let notFile = FileManager.default.fileExists(atPath: a) ? b : a
            diff = try EvalCommands.registry(resolving: notFile).diff(a, b, gates: gates, bootstrap: bootstrap)
        }
        if let html { try AtomicFile.write(Data(DiffHTML.render(diff).utf8), to: html) }
        if json {
            FileHandle.standardOutput.write(try diff.jsonData())
        } else {
            print(DiffText.render(diff, maxCases: maxCases), terminator: "")
            if let html { print("html: \(html)") }
        }
        if diff.verdict.regressedVsA { throw ExitCode(1) }
        if diff.verdict.ownGatesFailed { throw ExitCode(3) }
        if !diff.verdict.comparable { throw ExitCode(4) }
    }
}

extension EvalCommands {
    /// The repository a revision argument needs. Outside one, the error names the argument that was
    /// taken for a revision, since the user most likely meant a report file.
    static func registry(resolving argument: String) throws -> Registry {
        do {
            return try Registry.discover()
        } catch StoreError.notARepository(let dir) {
            let what = argument == "--base" ? "evaluating --base" : "'\(argument)' is not a report file, and resolving it as a revision"
            throw GenericError("\(what) needs an ftx repository", at: dir,
                               hint: "run inside a repository (ftx init), or pass report files written by `ftx eval --out` / a model with --model FILE.gguf")
        }
    }
}
