// STAND-IN, deleted at merge: the real `TokenConstraint`, `DecodeEvent` and `DecodeBatch` live in
// FTXModel (engine piece, docs: notes serve-api §1). Same names and API; this one runs each sequence
// alone with `LlamaModel.generate` at one step (slow, no shared batch, no mid-sequence cancel).
import Foundation
import FTXModel

public protocol TokenConstraint: AnyObject {
    func mask(_ logits: UnsafeMutablePointer<Float>, vocab: Int)
    func accept(_ token: Int)
    var isComplete: Bool { get }
}

public enum DecodeEvent: Sendable {
    case text(id: Int, String)
    case finished(id: Int, GenerationResult)
}

public final class DecodeBatch {
    private let model: LlamaModel
    private let matmuls: MatmulMode
    private var pending: [(id: Int, prompt: [Int], params: GenerationParams, adapter: RowAdapter)] = []

    public init(model: LlamaModel, matmuls: MatmulMode = .int8, maxRowsPerStep: Int = 1024) {
        self.model = model; self.matmuls = matmuls
    }

    public func add(id: Int, prompt: [Int], params: GenerationParams, adapter: RowAdapter = .model,
                    constraint: TokenConstraint? = nil) throws {
        guard !prompt.isEmpty else { throw ModelError.generation("empty prompt (no tokens)") }
        guard prompt.count < model.config.contextLength else {
            throw ModelError.generation("prompt of \(prompt.count) tokens does not fit the context length \(model.config.contextLength)")
        }
        pending.append((id, prompt, params, adapter))
    }

    public func cancel(id: Int) { pending.removeAll { $0.id == id } }
    public var count: Int { pending.count }
    public var isEmpty: Bool { pending.isEmpty }
    public private(set) var lastStepRows = 0

    public func step() throws -> [DecodeEvent] {
        guard !pending.isEmpty else { lastStepRows = 0; return [] }
        let s = pending.removeFirst()
        let saved = model.adapter
        defer { model.adapter = saved }
        switch s.adapter {
        case .model: break
        case .base: model.adapter = nil
        case .lora(let shared): model.adapter = shared.weights
        }
        var params = s.params
        params.matmuls = matmuls
        var events: [DecodeEvent] = []
        let r = try model.generate(prompts: [s.prompt], params: params) { _, piece in events.append(.text(id: s.id, piece)) }[0]
        events.append(.finished(id: s.id, r))
        lastStepRows = 1
        return events
    }
}
