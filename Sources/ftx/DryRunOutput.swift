import FTXCore
import FTXTrain
import Foundation

/// `ftx train --dry-run` and `ftx run --dry-run` print the same thing: the resolved config, the data
/// sizes, the step plan and an estimated time (stdout; `--json` for scripts).
enum DryRunOutput {
    static func show(config yaml: String, source: String, base: String, rows: [String: Int], estimate: TrainEstimate?,
                     warnings: [String], json: Bool) throws {
        if json {
            var obj: [String: Any] = ["dry_run": true, "config": yaml, "base": base, "rows": rows, "warnings": warnings]
            if let e = estimate {
                obj["steps"] = e.steps; obj["epochs"] = e.epochs; obj["tokens"] = e.tokens
                obj["estimated_seconds"] = e.estimatedSeconds; obj["estimate_basis"] = e.basis
            }
            try JSONOutput.emit(obj)
            return
        }
        var out = "dry run: nothing trained or written\nresolved config (\(source)):\n"
        out += yaml.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") + "\n"
        out += "base: \(base)\n"
        let order = ["train", "valid", "test"]
        let sizes = rows.sorted { (order.firstIndex(of: $0.key) ?? 9, $0.key) < (order.firstIndex(of: $1.key) ?? 9, $1.key) }
        out += "data: " + sizes.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + " examples\n"
        for w in warnings { out += "warning: \(w)\n" }
        if let e = estimate {
            if e.skippedExamples > 0 { out += "skipped: \(e.skippedExamples) examples longer than max_seq_length\n" }
            out += "steps: \(e.steps) (\(e.epochs) epoch\(e.epochs == 1 ? "" : "s"), \(e.tokens) tokens)\n"
            out += "estimated time: \(ProgressReporter.formatDuration(e.estimatedSeconds)) (\(e.basis))\n"
        }
        print(out, terminator: "")
    }
}
