import FTXCore
import FTXData
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Small helpers shared by the `ftx data` subcommands (printing only; logic is in FTXData).
enum DataCLI {
    /// Progress on a terminal, or for inputs big enough that plain periodic lines help.
    static func wantsProgress(_ paths: [String], json: Bool) -> Bool {
        if isatty(STDERR_FILENO) != 0 { return true }
        let bytes = paths.reduce(Int64(0)) { $0 + ((try? FileManager.default.attributesOfItem(atPath: $1)[.size] as? Int64) ?? 0) }
        return bytes > 64 << 20
    }

    /// The tokenizer of `--model` as a token counter. FTXData never imports FTXModel; the CLI bridges.
    static func tokenCounter(modelPath: String?) throws -> ((String) -> Int)? {
        guard let modelPath else { return nil }
        return try DataModelBridge.tokenCounter(modelPath: modelPath)
    }

    static func fmt(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e12 ? String(Int(x)) : String(format: "%.1f", x)
    }

    static func distribution(_ d: DistributionSummary?) -> String {
        guard let d else { return "-" }
        return "min \(fmt(d.min))  median \(fmt(d.median))  mean \(fmt(d.mean))  p95 \(fmt(d.p95))  max \(fmt(d.max))"
    }

    static func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }

    static func positiveInt(_ v: Int?, _ flag: String) throws {
        if let v, v <= 0 { throw DataError.invalidArgument("\(flag) must be positive", hint: nil) }
    }
}
