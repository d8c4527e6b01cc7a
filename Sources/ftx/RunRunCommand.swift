import ArgumentParser
import Foundation
import FTXCore
import FTXRegistry

struct RunRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Train → evaluate → apply gates → commit, in one step.",
        discussion: reflow("""
        Resolves the config (every default filled in), checks the base model's bytes and the
        data (errors stop before training), splits a single data file deterministically, trains
        the adapter, evaluates it on eval.suite (and the base model once per base and suite),
        applies eval.gates, and commits config.yaml, data/, adapter/, eval/report.json and
        train/log.jsonl with a header holding base id, seed, engine, code provenance (git),
        host, wall time, headline metrics and gate verdicts.

        A failed gate still commits (marked failed, so `ftx deploy` refuses it) and exits 1.
        Ctrl-C stops at the next safe point: nothing is committed and the checkpoint is kept.

        Examples:
          ftx run -c configs/lora.yaml -m "rank 8, 3 epochs"
          ftx run -c configs/lora.yaml --set lora_r=16 --set learning_rate=1e-4
          ftx run -c configs/qlora.yaml --json
          ftx run -c configs/lora.yaml --dry-run
        """))

    @Option(name: .shortAndLong, help: "The run config (YAML).")
    var config: String?

    @Option(name: .shortAndLong, help: "The commit message.")
    var message: String?

    @Option(name: .customLong("set"), help: "Override a config key (key=value; dotted keys for nested ones).")
    var overrides: [String] = []

    @Flag(name: .customLong("dry-run"), help: "Make every check, print the resolved config, data sizes, step count and an estimated time (from one measured step), then exit: nothing trained, registered or committed.")
    var dryRun = false

    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() throws {
        guard config != nil || !overrides.isEmpty else {
            throw ValidationError("give a config with -c FILE (and/or --set key=value)")
        }
        let registry = try Registry.discover()
        Interruption.install()
        let pipeline = RunPipeline(registry: registry, engine: RunEngineWiring.engine())
        let cwd = FileManager.default.currentDirectoryPath
        let path = config.map { $0.hasPrefix("/") ? $0 : cwd + "/" + $0 }
        if dryRun {
            let d = try pipeline.dryRun(configPath: path, overrides: overrides)
            try DryRunOutput.show(config: d.plan.configYAML, source: config ?? "--set", base: d.base, rows: d.rows,
                                  estimate: d.estimate, warnings: d.warnings, json: json)
            return
        }
        let r = try pipeline.run(configPath: path, overrides: overrides, message: message)
        if json {
            try JSONOutput.emit(["commit": r.commit.hex, "gate_status": r.header.gateStatus.rawValue,
                                "failed_gates": r.failedGates, "metrics": r.header.metrics, "warnings": r.warnings])
        } else {
            let metrics = r.header.metrics.sorted { $0.key < $1.key }.map { "\($0.key)=\(formatNumber($0.value))" }
            print("committed \(r.commit.short): \(metrics.joined(separator: " "))")
            for g in r.header.gates { print("  gate \(g.passed ? "pass" : "FAIL")  \(g.name)  \(g.detail)") }
        }
        if !r.failedGates.isEmpty { throw RegistryError.runGateFailed(commit: r.commit.hex, failed: r.failedGates) }
    }
}

/// Where `ftx run` gets its engine pieces; FTXTrain's trainer/config and FTXModel's eval model
/// plug in here as they land.
enum RunEngineWiring {
    static var trainer: RunTrainer { FTXTrainRunTrainer(engineVersion: "ftx \(FTXVersion.string)") }
    static func engine() -> RunEngine {
        .standard(trainer: trainer, config: TrainConfigResolver(), modelLoader: EvalModels.loader())
    }
}
