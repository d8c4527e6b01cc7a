import Foundation
import FTXCore
import FTXModel

/// Runs a training job: loads the base and data (every error before the first step), trains with
/// micro-batches + accumulation, AdamW, schedule and clipping, evaluates, checkpoints, exports.
public final class Trainer {
    public struct Options {
        public var resume = false
        public var progress = true
        /// Polled after every optimizer step (SIGINT): save a checkpoint and stop.
        public var shouldStop: () -> Bool = { false }
        public init(resume: Bool = false, progress: Bool = true) { self.resume = resume; self.progress = progress }
    }
    public struct Result {
        public let steps: Int, totalSteps: Int
        public let interrupted: Bool, earlyStopped: Bool
        /// validLoss: the validation loss of the adapter written (with early stopping, the best one).
        public let lastLoss: Double?, validLoss: Double?
        public let outputDir: String
        /// With early stopping configured: the step whose adapter was kept (best validation loss).
        public var bestStep: Int? = nil
        /// The validation loss of the last evaluation (differs from validLoss when an earlier step was kept).
        public var lastValidLoss: Double? = nil
    }

    public let config: TrainConfig
    public let llama: LlamaModel
    public let data: TrainingData
    public let lora: LoRAParameters
    public let model: TrainableLlama
    public let optimizer: AdamW
    public let schedule: LRSchedule
    let batcher: Batcher
    let stepPlan: [(epoch: Int, firstMicro: Int, micros: Int)]

    /// `preloaded` lets tests and callers that already hold a model skip loading base_model.
    public init(config: TrainConfig, preloaded: LlamaModel? = nil) throws {
        self.config = config
        if let t = config.threads { Threads.count = t }
        let llama: LlamaModel
        if let preloaded { llama = preloaded } else {
            let path = config.baseModelPath ?? config.resolve(config.baseModel)
            guard FileManager.default.fileExists(atPath: path) else {
                throw TrainError.config("base model not found: \(path)", at: nil,
                                        hint: "base_model is a GGUF path (relative to the config file) or, inside a repository, a name registered with `ftx base add`")
            }
            llama = try LlamaModel.load(path: path)
        }
        self.llama = llama
        data = try TrainingData.load(config: config, tokenizer: llama.tokenizer, chatTemplate: llama.chatTemplate)
        let dims = ModelDims(llama.config)
        let spec = config.loraSpec(numLayers: dims.numLayers)
        try spec.checkTargets(dims.architecture)
        lora = LoRAParameters(dims: dims, spec: spec)
        lora.initialize(seed: UInt64(config.seed))
        let base = TrainBase.from(llama.weights, storage: config.adapter == .qlora ? .quantized : .f32)
        batcher = Batcher(microBatchSize: config.microBatchSize, maxSeqLength: config.maxSeqLength, packing: config.packing,
                          padToken: Int32(llama.tokenizer.eosID ?? 0), rowsPerBatch: Threads.usable)
        let longest = (data.train + data.valid).map { $0.tokens.count }.max() ?? 1
        let seqCap = config.packing ? config.maxSeqLength : min(config.maxSeqLength, longest)
        model = TrainableLlama(base: base, lora: lora, maxBatch: config.microBatchSize, maxSeqLen: seqCap,
                               recompute: config.gradientCheckpointing)
        model.dropoutSeed = UInt64(config.seed) ^ 0xD50F
        optimizer = AdamW(count: lora.count, config: AdamWConfig(beta1: Float(config.adamBeta1), beta2: Float(config.adamBeta2),
                                                                 eps: Float(config.adamEpsilon), weightDecay: Float(config.weightDecay)))
        // Step plan: each epoch's micro-batches in groups of gradient_accumulation_steps.
        var plan: [(Int, Int, Int)] = []
        var epoch = 0
        let accum = config.gradientAccumulationSteps
        while true {
            let micro = batcher.rows(data.train, order: data.order(epoch: epoch, seed: config.seed, shuffle: config.shuffle)).count
            let mbs = (micro + config.microBatchSize - 1) / config.microBatchSize
            var i = 0
            while i < mbs { plan.append((epoch, i, min(accum, mbs - i))); i += accum }
            epoch += 1
            if let max = config.maxSteps { if plan.count >= max { break } } else if epoch >= config.numEpochs { break }
        }
        if let max = config.maxSteps { plan = Array(plan.prefix(max)) }
        stepPlan = plan
        let total = plan.count
        schedule = LRSchedule(kind: config.lrScheduler, peak: Float(config.learningRate),
                              warmupSteps: Int((config.warmupRatio * Double(total)).rounded(.up)), totalSteps: total)
    }

    public var totalSteps: Int { stepPlan.count }
    public var outputDir: String { config.outputDir }
    var configFingerprint: String {
        var c = config.rebased   // the same run whether read from its config or from out/config.yaml
        c.outputDir = ""; c.threads = nil; c.evalSteps = 0; c.saveSteps = 0; c.loggingSteps = 1
        return fnv1a([Data(c.resolvedYAML.utf8)])
    }

    /// Mean NLL per target token over the validation set (no dropout).
    public func validationLoss() throws -> Double? {
        guard !data.valid.isEmpty else { return nil }
        var sum = 0.0, count = 0
        for b in batcher.microBatches(data.valid, order: Array(0..<data.valid.count)) {
            sum += try model.loss(b); count += b.targetCount
        }
        return count > 0 ? sum / Double(count) : nil
    }

    public func run(_ options: Options = Options()) throws -> Result {
        let fm = FileManager.default
        try? fm.createDirectory(atPath: outputDir, withIntermediateDirectories: true)
        var step = 0, epochCache: (Int, [TokenBatch])? = nil
        var best: Double? = nil, bad = 0
        // Early stopping keeps the adapter of the best evaluation (as HF's load_best_model_at_end).
        let keepBest = config.earlyStoppingPatience > 0
        var bestStep: Int? = nil, bestParams: [Float]? = nil
        if options.resume {
            let ck = try Checkpoint.read(dir: outputDir)
            guard ck.configFingerprint == configFingerprint else {
                throw TrainError.checkpoint("the checkpoint was made with a different config", at: outputDir + "/" + Checkpoint.fileName,
                                            )
            }
            guard ck.dataFingerprint == data.fingerprint else {
                throw TrainError.checkpoint("the checkpoint was made with different data", at: outputDir + "/" + Checkpoint.fileName)
            }
            guard ck.params.count == lora.count, ck.step <= totalSteps else {
                throw TrainError.checkpoint("the checkpoint does not match this adapter's shape", at: outputDir + "/" + Checkpoint.fileName)
            }
            lora.params.p.update(from: ck.params, count: ck.params.count)
            optimizer.m.p.update(from: ck.m, count: ck.m.count)
            optimizer.v.p.update(from: ck.v, count: ck.v.count)
            optimizer.t = ck.adamT
            step = ck.step; best = ck.bestValidLoss; bad = ck.evalsWithoutImprovement
            bestStep = ck.bestStep; bestParams = ck.bestParams
            if step < totalSteps, data.order(epoch: stepPlan[step].epoch, seed: config.seed, shuffle: config.shuffle) != ck.epochOrder {
                throw TrainError.checkpoint("the checkpoint's data order does not match", at: outputDir + "/" + Checkpoint.fileName)
            }
        }
        try AtomicFile.write(Data(config.rebased.resolvedYAML.utf8), to: outputDir + "/config.yaml")
        let log = try TrainLog(path: outputDir + "/train_log.jsonl", keepThrough: options.resume ? step : 0, dropSummary: true)
        let progress = ProgressReporter(label: "train", total: totalSteps, enabled: options.progress)
        var lastLoss: Double? = nil, lastValid: Double? = nil
        // A resumed run that had already stopped early stays stopped.
        var interrupted = false, early = config.earlyStoppingPatience > 0 && bad >= config.earlyStoppingPatience && step < totalSteps
        let started = Date()
        var tokensSeen = 0

        func checkpoint() throws {
            let epoch = step < totalSteps ? stepPlan[step].epoch : stepPlan.last?.epoch ?? 0
            try Checkpoint(step: step, adamT: optimizer.t, epoch: epoch, epochOrder: data.order(epoch: epoch, seed: config.seed, shuffle: config.shuffle),
                           bestValidLoss: best, evalsWithoutImprovement: bad, configFingerprint: configFingerprint,
                           dataFingerprint: data.fingerprint, params: lora.params.array, m: optimizer.m.array,
                           v: optimizer.v.array, bestStep: bestStep, bestParams: bestParams).write(dir: outputDir)
        }

        while step < totalSteps && !early {
            let t0 = Date()
            let plan = stepPlan[step]
            if epochCache?.0 != plan.epoch {
                epochCache = (plan.epoch, batcher.microBatches(data.train, order: data.order(epoch: plan.epoch, seed: config.seed, shuffle: config.shuffle)))
            }
            let micros = Array(epochCache!.1[plan.firstMicro..<(plan.firstMicro + plan.micros)])
            let count = micros.reduce(0) { $0 + $1.targetCount }
            lora.grads.zero()
            var sum = 0.0, tokens = 0
            for (j, mb) in micros.enumerated() {
                model.dropoutStep = UInt64(step) &* 1024 &+ UInt64(j)
                if count > 0 { sum += try model.forwardBackward(mb, lossScale: 1 / Float(count)) }
                tokens += mb.tokens.count
            }
            let norm = GradClip.clip(lora.grads.p, count: lora.count, maxNorm: Float(config.maxGradNorm))
            let lr = schedule.lr(step)
            optimizer.step(params: lora.params.p, grads: lora.grads.p, count: lora.count, lr: lr)
            step += 1
            let dt = Date().timeIntervalSince(t0)
            tokensSeen += tokens
            let loss = count > 0 ? sum / Double(count) : 0
            lastLoss = loss
            if step % config.loggingSteps == 0 || step == totalSteps {
                try log.append(["step": step, "loss": loss, "lr": Double(lr), "grad_norm": Double(norm), "tokens": tokens,
                                "tokens_per_s": Double(tokens) / max(dt, 1e-9), "epoch": plan.epoch])
            }
            let tps = Double(tokensSeen) / max(Date().timeIntervalSince(started), 1e-9)
            progress.update(step, [String(format: "loss %.4f", loss), String(format: "lr %.2e", lr), String(format: "%.0f tok/s", tps)])
            if !data.valid.isEmpty && ((config.evalSteps > 0 && step % config.evalSteps == 0) || step == totalSteps) {
                if let v = try validationLoss() {
                    lastValid = v
                    try log.append(["step": step, "valid_loss": v])
                    if best == nil || v < best! {
                        best = v; bad = 0
                        if keepBest { bestStep = step; bestParams = lora.params.array }
                    } else { bad += 1 }
                    if config.earlyStoppingPatience > 0 && bad >= config.earlyStoppingPatience && step < totalSteps {
                        early = true
                    }
                }
            }
            if config.saveSteps > 0 && step % config.saveSteps == 0 { try checkpoint() }
            if early { break }
            if step < totalSteps && options.shouldStop() { interrupted = true; break }
        }
        try checkpoint()
        var kept: Int? = nil
        if !interrupted, keepBest, let bs = bestStep, let bp = bestParams, bp.count == lora.count {
            // The checkpoint keeps the last state (for resume); the exported adapter is the best one.
            lora.params.p.update(from: bp, count: bp.count)
            kept = bs
            try log.append(["step": step, "best_step": bs, "best_valid_loss": best ?? .nan, "kept": "best"])
        }
        if !interrupted { try exportAdapter() }
        var result = Result(steps: step, totalSteps: totalSteps, interrupted: interrupted, earlyStopped: early,
                            lastLoss: lastLoss, validLoss: kept != nil ? best : lastValid, outputDir: outputDir)
        result.bestStep = kept
        result.lastValidLoss = lastValid
        return result
    }

    /// adapter_model.safetensors + adapter_config.json (and adapter.gguf with export_gguf).
    public func exportAdapter() throws {
        try PEFTAdapter.write(lora, to: outputDir, baseModelName: (config.baseModel as NSString).lastPathComponent)
        if config.exportGGUF { try GGUFLoRA.write(lora, to: outputDir + "/adapter.gguf") }
    }
}
