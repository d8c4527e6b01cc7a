import FTXCore
import Foundation
import FTXTensor

/// The engine's throughput on a model, as `ftx model bench` reports it: prefill of one long prompt,
/// single-sequence decode, batched generation, or single matmuls (kernel tuning). Prompts are
/// synthetic token ids (deterministic), so the figures do not depend on text. The engine's tuning
/// switches are set for the measurement and restored after it.
public enum EngineBench {
    public struct Settings: Sendable {
        public var promptTokens = 512
        public var decodeTokens = 128
        public var batch = 32
        public var batchTokens = 64
        /// Repetitions of each measurement; the fastest is reported.
        public var repeats = 2
        /// `LinearWeight.directKernelMaxRows` for the run (nil: as it is).
        public var directRows: Int?
        /// `LinearWeight.tileRows` for the run (nil: as it is).
        public var tileRows: Int?
        /// `Threads.useWorkerPool` for the run (nil: as it is).
        public var workerPool: Bool?
        public var matmuls: MatmulMode = .int8
        public init() {}
    }

    /// Seconds are the fastest repetition's wall time; `cpu` the process CPU seconds of that run
    /// (on a shared machine wall time includes waiting for a core).
    public struct Result: Sendable {
        public let threads: Int
        public let workerPool: Bool
        public let matmuls: MatmulMode
        public let prefillTokens: Int, prefillSeconds: Double, prefillCPU: Double
        public let decodeTokens: Int, decodeSeconds: Double, decodeCPU: Double
        public let batchPrompts: Int, batchTokensEach: Int, batchGenerated: Int, batchSeconds: Double, batchCPU: Double

        public var prefillTokensPerSecond: Double { Double(prefillTokens) / prefillSeconds }
        public var decodeTokensPerSecond: Double { Double(decodeTokens) / decodeSeconds }
        public var batchTokensPerSecond: Double { Double(batchGenerated) / batchSeconds }
    }

    public static func run(_ model: LlamaModel, _ s: Settings) throws -> Result {
        try withTuning(s) {
            let V = model.config.vocabSize
            var rng = SplitMix64(seed: 1)
            func tokens(_ n: Int) -> [Int] { (0..<n).map { _ in 200 + Int(rng.next() % UInt64(min(V, 20000) - 200)) } }
            // Warm up (page in the weights).
            _ = try model.generate(prompts: [tokens(16)], params: GenerationParams(maxTokens: 4, stopAtEOS: false))

            let prompt = tokens(s.promptTokens)
            let prefill = try fastest(s.repeats) {
                let t = Date()
                // As generation prefills a prompt: the same matmul numerics as its decoding.
                _ = try model.forward([ForwardSegment(cache: KVCache(config: model.config, reserve: s.promptTokens), tokens: prompt)],
                                      logits: .last, matmuls: s.matmuls)
                return Date().timeIntervalSince(t)
            }
            let short = tokens(16)
            let decode = try fastest(s.repeats) {
                // Greedy decoding as generation runs it: one scratch for every token.
                let cache = KVCache(config: model.config, reserve: 16 + s.decodeTokens)
                let scratch = ForwardScratch()
                var logits = try model.forward([ForwardSegment(cache: cache, tokens: short)], logits: .last, matmuls: s.matmuls, scratch: scratch)
                let t = Date()
                for _ in 0..<s.decodeTokens {
                    var best = 0
                    for i in 1..<V where logits[i] > logits[best] { best = i }
                    logits = try model.forward([ForwardSegment(cache: cache, tokens: [best])], logits: .last, matmuls: s.matmuls, scratch: scratch)
                }
                return Date().timeIntervalSince(t)
            }
            let prompts = (0..<s.batch).map { _ in tokens(16 + Int(rng.next() % 17)) }
            var generated = 0
            let batch = try fastest(s.repeats) {
                let t = Date()
                let r = try model.generate(prompts: prompts, params: GenerationParams(maxTokens: s.batchTokens, stopAtEOS: false, matmuls: s.matmuls))
                generated = r.reduce(0) { $0 + $1.tokenIDs.count }
                return Date().timeIntervalSince(t)
            }
            return Result(threads: Threads.count, workerPool: Threads.useWorkerPool, matmuls: s.matmuls,
                          prefillTokens: s.promptTokens, prefillSeconds: prefill.wall, prefillCPU: prefill.cpu,
                          decodeTokens: s.decodeTokens, decodeSeconds: decode.wall, decodeCPU: decode.cpu,
                          batchPrompts: s.batch, batchTokensEach: s.batchTokens, batchGenerated: generated,
                          batchSeconds: batch.wall, batchCPU: batch.cpu)
        }
    }

    /// One single-matmul timing: a weight of the first block (or a slice of the output head) times
    /// `rows` activation rows, by one kernel variant.
    public struct KernelTiming: Sendable {
        public let weight: String, type: String, rows: Int, variant: String
        public let seconds: Double
        public let gmacPerSecond: Double
    }

    /// The weights `kernels` can time.
    public static let kernelWeights = ["ffn_gate", "ffn_down", "out1536", "out8192", "output"]

    /// Minimum time of many short calls (robust to a shared machine) for each weight, row count and
    /// variant: "dequant-dot" (f32 activations, weights dequantized before the dot; 1 row only),
    /// "f32" (f32 activations, raw block dots), "int8" (8-bit activations, quantizing included).
    /// `report` sees each timing as it is measured.
    public static func kernels(_ model: LlamaModel, only: Set<String>? = nil, _ s: Settings = Settings(),
                               report: (KernelTiming) -> Void) {
        withTuning(s) {
            let layer = model.weights.layers[0]
            let out = model.weights.output
            let slice = LinearWeight(type: out.type, data: out.data, out: 1536, in: out.inFeatures, owner: out)
            let slice8 = LinearWeight(type: out.type, data: out.data, out: 8192, in: out.inFeatures, owner: out)
            let saved = QuantKernelTuning.rawDot
            defer { QuantKernelTuning.rawDot = saved }
            for (name, w) in zip(kernelWeights, [layer.gate, layer.down, slice, slice8, out]) where only?.contains(name) ?? true {
                for n in [1, 4, 8, 32, 512] where !(name == "output" && n > 32) {
                    let x = (0..<(n * w.inFeatures)).map { Float($0 % 17) * 0.01 }
                    var y = [Float](repeating: 0, count: n * w.outFeatures)
                    let q8 = Q8Rows()
                    for variant in ["dequant-dot", "f32", "int8"] where n == 1 || variant != "dequant-dot" {
                        QuantKernelTuning.rawDot = variant != "dequant-dot"
                        var best = Double.infinity
                        for _ in 0..<(n >= 32 ? 10 : 60) {
                            let t = Date()
                            if variant == "int8" {
                                q8.quantize(x, rows: n, cols: w.inFeatures, ldx: w.inFeatures, layouts: w.type.q8Layout)
                                w.forward(x, q8: q8, rows: n, into: &y, accumulate: false)
                            } else {
                                w.forward(x, rows: n, into: &y, accumulate: false)
                            }
                            best = min(best, Date().timeIntervalSince(t))
                        }
                        report(KernelTiming(weight: name, type: w.type.description, rows: n, variant: variant, seconds: best,
                                            gmacPerSecond: Double(n * w.inFeatures * w.outFeatures) / best / 1e9))
                    }
                }
            }
        }
    }

    /// Runs `body` with the settings' tuning switches, restoring them after.
    static func withTuning<T>(_ s: Settings, _ body: () throws -> T) rethrows -> T {
        let saved = (LinearWeight.directKernelMaxRows, LinearWeight.tileRows, Threads.useWorkerPool)
        defer { (LinearWeight.directKernelMaxRows, LinearWeight.tileRows, Threads.useWorkerPool) = saved }
        if let r = s.directRows { LinearWeight.directKernelMaxRows = r }
        if let r = s.tileRows { LinearWeight.tileRows = r }
        if let p = s.workerPool { Threads.useWorkerPool = p }
        return try body()
    }

    static func fastest(_ repeats: Int, _ body: () throws -> Double) rethrows -> (wall: Double, cpu: Double) {
        var best = (wall: Double.infinity, cpu: 0.0)
        for _ in 0..<max(1, repeats) {
            let c0 = processCPUSeconds()
            let w = try body()
            if w < best.wall { best = (w, processCPUSeconds() - c0) }
        }
        return best
    }

    static func processCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
