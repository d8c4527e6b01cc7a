import Foundation
import FTXCore
import FTXModel

/// EvalModel over FTXModel's engine: prompts rendered through the GGUF's chat template, batched
/// greedy/sampled generation, and NLL of expected outputs for loss/perplexity.
public final class LlamaEvalModel: EvalModel {
    public let model: LlamaModel
    public let identity: ModelIdentity

    public init(model: LlamaModel, identity: ModelIdentity) {
        self.model = model
        self.identity = identity
    }

    /// Loads a GGUF and names it by file name and SHA-256 of its bytes.
    public static func load(path: String) throws -> LlamaEvalModel {
        let model = try LlamaModel.load(path: path)
        return LlamaEvalModel(model: model, identity: ModelIdentity(name: (path as NSString).lastPathComponent,
                                                                    sha256: try fileSHA256(path)))
    }

    /// Streaming SHA-256 of a file (models are hundreds of MB: never read whole). A Hugging Face
    /// checkpoint folder's is the SHA-256 of its listing, one "name<TAB>file sha256" line per
    /// regular file in name order, so that any changed file changes it.
    public static func fileSHA256(_ path: String) throws -> String {
        if HFCheckpoint.isCheckpoint(path) {
            let names = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
            var listing = ""
            for n in names {
                var dir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path + "/" + n, isDirectory: &dir), !dir.boolValue else { continue }
                listing += "\(n)\t\(try fileSHA256(path + "/" + n))\n"
            }
            return SHA256.hash(data: Data(listing.utf8)).hex
        }
        guard let digest = try SHA256.hash(fileAt: path) else { throw EvalError.model("cannot read \(path)") }
        return digest.hex
    }

    public func renderChat(_ messages: [EvalMessage]) throws -> String {
        guard let template = model.chatTemplate else {
            throw EvalError.model("the model has no chat template", hint: "set generation.chat_template: false in the suite")
        }
        do {
            return try template.render(messages: messages.map { (role: $0.role, content: $0.content) }, addGenerationPrompt: true)
        } catch {
            throw EvalError.model("chat template failed: \(error)", hint: "set generation.chat_template: false to feed raw inputs")
        }
    }

    public func promptTokens(_ text: String) -> [Int] {
        model.tokenizer.encodePrompt(text)
    }

    public func generate(_ prompts: [String], params: EvalGenerationParams) throws -> [GenerationOutput] {
        let p = GenerationParams(maxTokens: params.maxTokens, temperature: Float(params.temperature), topK: params.topK,
                                 topP: Float(params.topP), seed: params.seed, stop: params.stop)
        let tokens = prompts.map(promptTokens)
        // Structured output: each prompt decodes under its own constraint (it tracks that sequence's
        // output), in one batch, so eval measures what `ftx serve` produces.
        let constraints: [TokenConstraint?] = try params.responseFormat.map { format in
            try tokens.map { _ in try format.constraint(tokenizer: model.tokenizer) }
        } ?? []
        let results = try model.generate(prompts: tokens, params: p, constraints: constraints)
        return results.map {
            GenerationOutput(text: $0.text, outputTokens: $0.tokenIDs.count, promptTokens: $0.promptTokens,
                             finishReason: $0.finishReason, seconds: $0.seconds)
        }
    }

    public func score(prompt: String, expected: String) throws -> (nll: Double, tokens: Int) {
        guard let item = scoreItem(prompt: prompt, expected: expected) else { return (0, 0) }
        let r = try model.score(tokens: item.tokens, targetMask: item.targetMask)
        return (r.nll, r.count)
    }

    /// Scores the cases in shared forward passes (FTXModel's batched scoring).
    public func score(batch: [(prompt: String, expected: String)]) throws -> [(nll: Double, tokens: Int)] {
        let items = batch.map { scoreItem(prompt: $0.prompt, expected: $0.expected) }
        let scored = try model.score(batch: items.compactMap { $0 })
        var k = 0
        return items.map { item in
            guard item != nil else { return (0, 0) }
            defer { k += 1 }
            return (scored[k].nll, scored[k].count)
        }
    }

    /// Prompt + expected tokens with the expected ones marked (nil when `expected` has no tokens).
    func scoreItem(prompt: String, expected: String) -> LlamaModel.ScoreItem? {
        let p = promptTokens(prompt)
        let e = model.tokenizer.encode(expected, parseSpecial: false)
        guard !e.isEmpty else { return nil }
        // Keep within the context: drop the oldest prompt tokens if needed.
        var tokens = p + e
        var mask = [Bool](repeating: false, count: p.count) + [Bool](repeating: true, count: e.count)
        let limit = model.config.contextLength
        if tokens.count > limit {
            let cut = tokens.count - limit
            tokens.removeFirst(cut)
            mask.removeFirst(cut)
        }
        return LlamaModel.ScoreItem(tokens: tokens, targetMask: mask)
    }
}
