import Foundation
import FTXEval
import FTXModel

/// The loaded model and what runs on it: the adapter catalog and the decode thread. Turns a
/// parsed request into a scheduler job (chat template, tokens, context check, sampling settings).
public final class ServeEngine: @unchecked Sendable {
    public let model: LlamaModel
    public let catalog: ModelCatalog
    public let scheduler: Scheduler
    /// max_tokens when a request sets none (capped by what the context leaves).
    public let defaultMaxTokens: Int

    public init(model: LlamaModel, catalog: ModelCatalog, scheduler: Scheduler, defaultMaxTokens: Int = 512) {
        self.model = model; self.catalog = catalog; self.scheduler = scheduler; self.defaultMaxTokens = defaultMaxTokens
    }

    /// A request ready for the decode loop.
    public struct Prepared {
        public let choice: ModelCatalog.Choice
        public let promptText: String
        public let prompt: [Int]
        public let params: GenerationParams
        public let constraint: TokenConstraint?
    }

    public func prepare(_ r: CompletionRequest) throws -> Prepared {
        let choice = try catalog.resolve(r.model)
        let text: String
        if let messages = r.messages {
            guard let template = model.chatTemplate else {
                throw ServeError.bad("the model has no chat template: send `prompt` to /v1/completions instead", param: "messages")
            }
            do { text = try template.render(messages: messages.map { (role: $0.role, content: $0.content) }, addGenerationPrompt: true) } catch {
                throw ServeError.bad("the chat template cannot render these messages: \(error)", param: "messages")
            }
        } else {
            text = r.prompt ?? ""
        }
        let ids = model.tokenizer.encodePrompt(text)
        let context = model.config.contextLength
        guard !ids.isEmpty else { throw ServeError.bad("the prompt is empty", param: r.messages == nil ? "prompt" : "messages") }
        guard ids.count < context else {
            throw ServeError.bad("the prompt is \(ids.count) tokens; the model's context length is \(context)",
                                 param: r.messages == nil ? "prompt" : "messages")
        }
        let room = context - ids.count
        if let m = r.maxTokens, m > room {
            throw ServeError.bad("max_tokens \(m) does not fit: the context length is \(context) and the prompt takes \(ids.count) tokens, "
                                 + "so at most \(room) can be generated", param: "max_tokens")
        }
        let params = GenerationParams(maxTokens: r.maxTokens ?? min(defaultMaxTokens, room), temperature: r.temperature,
                                      topP: r.topP, seed: r.seed, stop: r.stop)
        let constraint = try makeConstraint(r.format, tokenizer: model.tokenizer)
        return Prepared(choice: choice, promptText: text, prompt: ids, params: params, constraint: constraint)
    }
}
