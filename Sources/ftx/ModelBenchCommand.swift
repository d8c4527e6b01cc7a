import ArgumentParser
import Foundation
import FTXModel

/// Engine throughput on a model: prefill, single-sequence decode, batched generation.
struct ModelBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the engine's prefill, decode and batched-generation speed on a model.",
        discussion: reflow("""
        Prompts are synthetic token ids (deterministic), so the figures do not depend on text.
        bench/engine/run.sh runs this beside llama.cpp and prints the ratios.

        Example:
          ftx model bench -m SmolLM2-135M-Instruct.Q4_1.gguf --threads 2 --json
        """))

    @OptionGroup var file: ModelFileOptions
    @Option(help: "Prompt tokens for the prefill measurement.") var promptTokens = 512
    @Option(help: "Tokens decoded after a short prompt.") var decodeTokens = 128
    @Option(help: "Prompts in the batched measurement.") var batch = 32
    @Option(help: "Tokens generated per prompt in the batched measurement.") var batchTokens = 64
    @Option(help: "Repetitions (the best is reported).") var repeats = 2
    @Option(help: "Activation rows up to which quantized matmuls use the direct block kernel (tuning).") var directRows: Int?
    @Option(help: "Least weight rows per dequantized tile in batched matmuls (tuning; larger tiles are used when they fit).") var tileRows: Int?
    @Flag(help: "Time single matmuls of one block's weights instead (kernel tuning).") var kernels = false
    @Option(help: "Only these weights in --kernels (comma-separated: \(EngineBench.kernelWeights.joined(separator: ","))).") var only: String?
    @Flag(inversion: .prefixedNo, help: "Run parallel regions on persistent spinning workers, or not (default: on when fewer other tasks are runnable than there are cores; FTX_WORKER_POOL=1/0).") var workerPool: Bool?
    @Flag(help: "Prefill, decode and batched generation with f32 activations instead of 8-bit activation blocks.") var exactMatmuls = false
    @Flag(help: "Print as JSON.") var json = false

    func run() throws {
        let model = try file.load()
        var s = EngineBench.Settings()
        s.promptTokens = promptTokens; s.decodeTokens = decodeTokens; s.batch = batch; s.batchTokens = batchTokens
        s.repeats = repeats; s.directRows = directRows; s.tileRows = tileRows; s.workerPool = workerPool
        s.matmuls = exactMatmuls ? .exact : .int8
        if kernels {
            let names = only.map { Set($0.split(separator: ",").map(String.init)) }
            EngineBench.kernels(model, only: names, s) { k in
                print(String(format: "%-9@ %@ n=%-4d %8.3f ms  %6.2f GMAC/s %@", k.weight, k.type, k.rows, k.seconds * 1e3, k.gmacPerSecond, k.variant))
            }
            return
        }
        let r = try EngineBench.run(model, s)
        if json {
            let out: [String: Any] = [
                "threads": r.threads, "matmuls": exactMatmuls ? "exact" : "int8", "worker_pool": r.workerPool,
                "prefill_tokens": r.prefillTokens, "prefill_tok_s": r.prefillTokensPerSecond,
                "decode_tokens": r.decodeTokens, "decode_tok_s": r.decodeTokensPerSecond,
                "batch_prompts": r.batchPrompts, "batch_tokens_each": r.batchTokensEach, "batch_generated": r.batchGenerated,
                "batch_seconds": r.batchSeconds, "batch_tok_s": r.batchTokensPerSecond,
                "prefill_cpu_s": r.prefillCPU, "decode_cpu_s": r.decodeCPU, "batch_cpu_s": r.batchCPU,
            ]
            try JSONOutput.emit(out, compact: true)
        } else {
            // CPU-bound estimate: the rate had every thread been busy all the time (load from other work removed).
            let t = Double(r.threads)
            print(String(format: "prefill  %d tokens: %.1f tok/s (cpu-bound estimate %.1f)", r.prefillTokens, r.prefillTokensPerSecond, Double(r.prefillTokens) / (r.prefillCPU / t)))
            print(String(format: "decode   %d tokens: %.1f tok/s (cpu-bound estimate %.1f)", r.decodeTokens, r.decodeTokensPerSecond, Double(r.decodeTokens) / (r.decodeCPU / t)))
            print(String(format: "batched  %d × %d tokens: %.1f tok/s (%.2fs; cpu-bound estimate %.1f)", r.batchPrompts, r.batchTokensEach, r.batchTokensPerSecond, r.batchSeconds, Double(r.batchGenerated) / (r.batchCPU / t)))
        }
    }
}
