import Foundation
import FTXData
import FTXModel

/// One training sequence: token ids and, per position, whether the model is trained to predict it.
public struct EncodedExample: Equatable, Sendable {
    public var tokens: [Int32]
    /// trained[i]: position i is a target (predicted from positions < i). trained[0] is always false.
    public var trained: [Bool]
    public var source: String
    public var targetCount: Int { trained.reduce(0) { $0 + ($1 ? 1 : 0) } }
}

/// What to do with an example longer than max_seq_length.
public enum LongSequencePolicy: String, Codable, CaseIterable, Sendable { case error, truncate, skip }

/// Renders examples through the model's chat template and tokenizes them with prompt masking:
/// chat → loss on the last assistant turn; completion → loss on the completion (as a user/assistant
/// exchange when the model has a chat template, else prompt + completion + EOS); text → every token.
public struct ExampleEncoder {
    public let tokenizer: Tokenizer
    public let chatTemplate: ChatTemplate?
    public var trainOnInputs: Bool
    public var maxSeqLength: Int
    public var longSequences: LongSequencePolicy

    public init(tokenizer: Tokenizer, chatTemplate: ChatTemplate?, trainOnInputs: Bool, maxSeqLength: Int,
                longSequences: LongSequencePolicy) {
        self.tokenizer = tokenizer; self.chatTemplate = chatTemplate; self.trainOnInputs = trainOnInputs
        self.maxSeqLength = maxSeqLength; self.longSequences = longSequences
    }

    /// nil when the example is skipped by the long-sequence policy.
    public func encode(_ e: Example) throws -> EncodedExample? {
        let loc = e.source?.description ?? "example \(e.id.prefix(12))"
        var prompt: [Int], full: [Int]
        switch e.format {
        case .chat:
            guard let last = e.lastAssistantIndex else {
                throw TrainError.data("chat example has no assistant message to train on", at: loc)
            }
            guard !e.messages[last].content.isEmpty else {
                throw TrainError.data("the last assistant message is empty", at: loc)
            }
            let msgs = e.messages[...last].map { (role: $0.role, content: $0.content) }
            (prompt, full) = try render(Array(msgs), loc: loc)
        case .completion:
            let p = e.prompt ?? "", c = e.completion ?? ""
            guard !c.isEmpty else { throw TrainError.data("completion is empty", at: loc, hint: "every example needs a non-empty completion") }
            if chatTemplate != nil {
                (prompt, full) = try render([(role: "user", content: p), (role: "assistant", content: c)], loc: loc)
            } else {
                prompt = bos + tokenizer.encode(p, parseSpecial: false)
                full = prompt + tokenizer.encode(c, parseSpecial: false) + eos
            }
        case .text:
            let t = e.text ?? ""
            guard !t.isEmpty else { throw TrainError.data("text is empty", at: loc) }
            prompt = bos
            full = bos + tokenizer.encode(t, parseSpecial: false) + eos
        }
        // Positions before the prompt's length are inputs (trained only with train_on_inputs).
        var common = 0
        while common < min(prompt.count, full.count) && prompt[common] == full[common] { common += 1 }
        if full.count > maxSeqLength {
            switch longSequences {
            case .error:
                throw TrainError.data("example is \(full.count) tokens, longer than max_seq_length \(maxSeqLength)", at: loc,
                                      hint: "raise max_seq_length, shorten the example, or set long_sequences: truncate or skip")
            case .skip: return nil
            case .truncate: full = Array(full.prefix(maxSeqLength))
            }
        }
        var trained = (0..<full.count).map { i in i > 0 && (trainOnInputs || i >= common) }
        if trained.allSatisfy({ !$0 }) {
            if longSequences == .truncate && full.count == maxSeqLength {
                throw TrainError.data("after truncation to max_seq_length \(maxSeqLength) nothing is left to train on", at: loc,
                                      hint: "raise max_seq_length")
            }
            trained = (0..<full.count).map { $0 > 0 }
        }
        return EncodedExample(tokens: full.map { Int32($0) }, trained: trained, source: loc)
    }

    var bos: [Int] { tokenizer.addBOS ? (tokenizer.bosID.map { [$0] } ?? []) : [] }
    var eos: [Int] { tokenizer.eosID.map { [$0] } ?? [] }

    func render(_ msgs: [(role: String, content: String)], loc: String) throws -> ([Int], [Int]) {
        guard let t = chatTemplate else {
            // No template: "role: content" lines, loss on the last message.
            let head = msgs.dropLast().map { "\($0.role): \($0.content)\n" }.joined() + "\(msgs.last!.role): "
            let p = bos + tokenizer.encode(head, parseSpecial: false)
            return (p, p + tokenizer.encode(msgs.last!.content, parseSpecial: false) + eos)
        }
        var promptText: String, fullText: String
        do {
            promptText = try t.render(messages: Array(msgs.dropLast()), addGenerationPrompt: true)
            fullText = try t.render(messages: msgs, addGenerationPrompt: false)
        } catch {
            // A ChatML template the Jinja interpreter cannot run is rendered directly.
            guard t.source.contains("<|im_start|>") else { throw TrainError.data("chat template failed: \(error)", at: loc) }
            promptText = Self.chatML(Array(msgs.dropLast()), generationPrompt: true, template: t.source)
            fullText = Self.chatML(msgs, generationPrompt: false, template: t.source)
        }
        return (bos + tokenizer.encode(promptText, parseSpecial: true), bos + tokenizer.encode(fullText, parseSpecial: true))
    }

    /// ChatML as SmolLM2's template writes it (including its default system turn when it has one).
    static func chatML(_ msgs: [(role: String, content: String)], generationPrompt: Bool, template: String) -> String {
        var out = ""
        if msgs.first?.role != "system" {
            for marker in ["<|im_start|>system\\n", "<|im_start|>system\n"] {
                guard let r = template.range(of: marker),
                      let end = template.range(of: "<|im_end|>", range: r.upperBound..<template.endIndex) else { continue }
                let system = template[r.upperBound..<end.lowerBound].replacingOccurrences(of: "\\n", with: "\n")
                out += "<|im_start|>system\n" + system + "<|im_end|>\n"
                break
            }
        }
        for m in msgs { out += "<|im_start|>\(m.role)\n\(m.content)<|im_end|>\n" }
        if generationPrompt { out += "<|im_start|>assistant\n" }
        return out
    }
}
