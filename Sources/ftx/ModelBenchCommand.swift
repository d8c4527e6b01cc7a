import ArgumentParser
import Foundation
import FTXModel
import FTXTensor

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
    @Option(help: "Only these weights in --kernels (comma-separated: ffn_gate,ffn_down,out1536,out8192,output).") var only: String?
    @Flag(inversion: .prefixedNo, help: "Run parallel regions on persistent spinning workers, or not (default: on when the load average is below the core count; FTX_WORKER_POOL=1/0).") var workerPool: Bool?
    @Flag(help: "Decode and batched generation with f32 activations instead of 8-bit activation blocks.") var exactMatmuls = false
    @Flag(help: "Print as JSON.") var json = false

    func run() throws {
        let model = try file.load()
        if let directRows { LinearWeight.directKernelMaxRows = directRows }
        if let tileRows { LinearWeight.tileRows = tileRows }
        if let workerPool { Threads.useWorkerPool = workerPool }
        if kernels { try timeKernels(model); return }
        let V = model.config.vocabSize
        let mode: MatmulMode = exactMatmuls ? .exact : .int8
        var rng = SplitMix64(seed: 1)
        func tokens(_ n: Int) -> [Int] { (0..<n).map { _ in 200 + Int(rng.next() % UInt64(min(V, 20000) - 200)) } }
        // Wall time, best of `repeats`; process CPU time of that run is kept too, since on a shared
        // machine wall time includes waiting for a core.
        var cpu: [String: Double] = [:]
        func cpuNow() -> Double {
            var ts = timespec()
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
            return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
        }
        func best(_ name: String, _ body: () throws -> Double) rethrows -> Double {
            var b = Double.infinity
            for _ in 0..<max(1, repeats) {
                let c0 = cpuNow()
                let w = try body()
                if w < b { b = w; cpu[name] = cpuNow() - c0 }
            }
            return b
        }
        // Warm up (page in the weights).
        _ = try model.generate(prompts: [tokens(16)], params: GenerationParams(maxTokens: 4, stopAtEOS: false))

        let prompt = tokens(promptTokens)
        let prefillS = try best("prefill") {
            let t = Date()
            _ = try model.forward([ForwardSegment(cache: KVCache(config: model.config, reserve: promptTokens), tokens: prompt)], logits: .last)
            return Date().timeIntervalSince(t)
        }
        let short = tokens(16)
        let decodeS = try best("decode") {
            let cache = KVCache(config: model.config, reserve: 16 + decodeTokens)
            var logits = try model.forward([ForwardSegment(cache: cache, tokens: short)], logits: .last, matmuls: mode)
            let t = Date()
            for _ in 0..<decodeTokens {
                var bestID = 0
                for i in 1..<V where logits[i] > logits[bestID] { bestID = i }
                logits = try model.forward([ForwardSegment(cache: cache, tokens: [bestID])], logits: .last, matmuls: mode)
            }
            return Date().timeIntervalSince(t)
        }
        let prompts = (0..<batch).map { _ in tokens(16 + Int(rng.next() % 17)) }
        var generated = 0
        let batchS = try best("batch") {
            let t = Date()
            let r = try model.generate(prompts: prompts, params: GenerationParams(maxTokens: batchTokens, stopAtEOS: false, matmuls: mode))
            generated = r.reduce(0) { $0 + $1.tokenIDs.count }
            return Date().timeIntervalSince(t)
        }
        let out: [String: Any] = [
            "threads": Threads.count, "matmuls": exactMatmuls ? "exact" : "int8", "worker_pool": Threads.useWorkerPool,
            "prefill_tokens": promptTokens, "prefill_tok_s": Double(promptTokens) / prefillS,
            "decode_tokens": decodeTokens, "decode_tok_s": Double(decodeTokens) / decodeS,
            "batch_prompts": batch, "batch_tokens_each": batchTokens, "batch_generated": generated,
            "batch_seconds": batchS, "batch_tok_s": Double(generated) / batchS,
            "prefill_cpu_s": cpu["prefill"] ?? 0, "decode_cpu_s": cpu["decode"] ?? 0, "batch_cpu_s": cpu["batch"] ?? 0,
        ]
        if json {
            let data = try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            let t = Double(Threads.count)
            print(String(format: "prefill  %d tokens: %.1f tok/s (cpu-bound estimate %.1f)", promptTokens, Double(promptTokens) / prefillS, Double(promptTokens) / ((cpu["prefill"] ?? 1) / t)))
            print(String(format: "decode   %d tokens: %.1f tok/s (cpu-bound estimate %.1f)", decodeTokens, Double(decodeTokens) / decodeS, Double(decodeTokens) / ((cpu["decode"] ?? 1) / t)))
            print(String(format: "batched  %d × %d tokens: %.1f tok/s (%.2fs; cpu-bound estimate %.1f)", batch, batchTokens, Double(generated) / batchS, batchS, Double(generated) / ((cpu["batch"] ?? 1) / t)))
        }
    }

    /// Minimum time of many short calls (robust to a shared machine) for each weight type and row count.
    func timeKernels(_ model: LlamaModel) throws {
        let layer = model.weights.layers[0]
        let out = model.weights.output
        let slice = LinearWeight(type: out.type, data: out.data, out: 1536, in: out.inFeatures, owner: out)
        let slice8 = LinearWeight(type: out.type, data: out.data, out: 8192, in: out.inFeatures, owner: out)
        for (name, w) in [("ffn_gate", layer.gate), ("ffn_down", layer.down), ("out1536", slice), ("out8192", slice8), ("output", out)] where only.map({ $0.split(separator: ",").contains(Substring(name)) }) ?? true {
            for n in [1, 4, 8, 32, 512] where !(name == "output" && n > 32) {
                let x = (0..<(n * w.inFeatures)).map { Float($0 % 17) * 0.01 }
                var y = [Float](repeating: 0, count: n * w.outFeatures)
                let q8 = Q8Rows()
                for variant in ["dequant-dot", "f32", "int8"] where n == 1 || variant != "dequant-dot" {
                    QuantKernelTuning.rawDot = variant != "dequant-dot"
                    var bestT = Double.infinity
                    for _ in 0..<(n >= 32 ? 10 : 60) {
                        let t = Date()
                        if variant == "int8" {
                            // Includes quantizing the activations, as a forward pass does.
                            q8.quantize(x, rows: n, cols: w.inFeatures, ldx: w.inFeatures)
                            w.forward(x, q8: q8, rows: n, into: &y, accumulate: false)
                        } else {
                            w.forward(x, rows: n, into: &y, accumulate: false)
                        }
                        bestT = min(bestT, Date().timeIntervalSince(t))
                    }
                    let gmac = Double(n * w.inFeatures * w.outFeatures) / bestT / 1e9
                    print(String(format: "%-9@ %@ n=%-4d %8.3f ms  %6.2f GMAC/s %@", name, w.type.description, n, bestT * 1e3, gmac, variant))
                }
            }
        }
        QuantKernelTuning.rawDot = true
    }
}
