import ArgumentParser
import Foundation
import FTXCore
import FTXRegistry
import FTXTrain

enum TrainCommands {
    static let all: [ParsableCommand.Type] = [TrainCommand.self]
}

/// Set by SIGINT; the trainer polls it after each optimizer step.
nonisolated(unsafe) private var interruptRequested: sig_atomic_t = 0

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a LoRA/QLoRA adapter from a YAML config.",
        discussion: reflow("""
        Reads the config (base_model, data {train, valid}, lora_r, learning_rate, … — see docs/training.md;
        base_model is a GGUF path or, inside a repository, a name registered with `ftx base add`),
        checks all of it as `ftx run` does (eval section and suite included) and every example before
        the first step, then trains with a progress bar (step, loss, lr,
        tokens/s, ETA). Writes into output_dir: adapter_model.safetensors + adapter_config.json (PEFT),
        adapter.gguf (with export_gguf: true), train_log.jsonl, config.yaml (resolved, with absolute
        paths: `ftx train -c out/config.yaml` trains the same run again), checkpoint.bin.
        Ctrl-C saves a checkpoint and exits; --resume continues exactly where it stopped. With
        early_stopping_patience, the adapter written is the one of the best validation loss.

        Example:
          ftx train -c configs/lora.yaml
          ftx train -c configs/lora.yaml --resume
          ftx train -c configs/lora.yaml --set lora_r=16 --dry-run
        """))

    @Option(name: [.short, .customLong("config")], help: "Training config (YAML).")
    var config: String

    @Option(name: .customLong("set"), help: "Override a config key (key=value; dotted keys for nested ones).")
    var overrides: [String] = []

    @Flag(name: .customLong("dry-run"), help: "Check everything, print the resolved config, data sizes, step count and an estimated time (from one measured step), then exit without training or writing.")
    var dryRun = false

    @Flag(help: "Continue from output_dir/checkpoint.bin.")
    var resume = false

    @Option(name: .customLong("output-dir"), help: "Override output_dir from the config.")
    var outputDir: String?

    @Flag(name: .customLong("no-quant"), help: "Dequantize the base to f32 once (faster, ~8x the memory of 4-bit; same as adapter: lora).")
    var noQuant = false

    @Flag(help: "Print the result as JSON on stdout.")
    var json = false

    @Flag(name: .customLong("no-progress"), help: "Do not draw the progress bar.")
    var noProgress = false

    func run() throws {
        // The one validation `ftx run` uses: every key, the data files, the eval section and suite.
        var loader = RunConfigLoader(workingDirectory: FileManager.default.currentDirectoryPath, resolver: TrainConfigResolver())
        let plan = try loader.loadValidated(path: config, overrides: overrides, message: nil,
                                            evaluator: EvalSuiteEvaluator(modelLoader: EvalModels.loader()))
        var cfg = try TrainConfigResolver.trainConfig(plan)
        if let outputDir { cfg.outputDir = outputDir }
        if noQuant { cfg.adapter = .lora }
        try TrainBaseResolution.resolve(&cfg, configPath: config)
        let trainer = try Trainer(config: cfg)
        if dryRun {
            let e = try trainer.estimate()
            try DryRunOutput.show(config: cfg.rebased.resolvedYAML, source: config, base: cfg.baseModelPath ?? cfg.rebased.baseModel,
                                  rows: ["train": e.trainExamples, "valid": e.validExamples], estimate: e, warnings: [], json: json)
            return
        }
        signal(SIGINT) { _ in interruptRequested = 1 }
        defer { signal(SIGINT, SIG_DFL) }
        var opts = Trainer.Options(resume: resume, progress: !noProgress)
        opts.shouldStop = { interruptRequested != 0 }
        let r = try trainer.run(opts)
        if json {
            var obj: [String: Any] = ["steps": r.steps, "total_steps": r.totalSteps, "interrupted": r.interrupted,
                                      "early_stopped": r.earlyStopped, "output_dir": r.outputDir]
            if let l = r.lastLoss { obj["loss"] = l }
            if let v = r.validLoss { obj["valid_loss"] = v }
            if let b = r.bestStep { obj["best_step"] = b }
            if let v = r.lastValidLoss { obj["last_valid_loss"] = v }
            try JSONOutput.emit(obj, compact: true)
        } else if r.interrupted {
            print("interrupted at step \(r.steps)/\(r.totalSteps); checkpoint saved in \(r.outputDir) (resume with --resume)")
        } else {
            var line = "trained \(r.steps) steps"
            if let l = r.lastLoss { line += String(format: ", loss %.4f", l) }
            if let v = r.validLoss { line += String(format: ", valid_loss %.4f", v) }
            if r.earlyStopped { line += " (early stopped)" }
            if let b = r.bestStep {
                line += "; kept the adapter of step \(b) (best valid_loss"
                if let v = r.validLoss { line += String(format: " %.4f", v) }
                line += ")"
            }
            print(line + "; adapter written to \(r.outputDir)")
        }
        if r.interrupted { throw ExitCode(130) }
    }
}
