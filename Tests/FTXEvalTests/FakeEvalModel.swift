import Foundation
@testable import FTXEval

/// A deterministic stand-in model: answers from a table keyed by a substring of the prompt, else
/// echoes a default; "scores" expected outputs by their length.
final class FakeEvalModel: EvalModel {
    var answers: [(needle: String, answer: String)]
    var fallback: String
    var calls: [[String]] = []
    var paramsSeen: [EvalGenerationParams] = []
    var identity = ModelIdentity(name: "fake.gguf", sha256: String(repeating: "ab", count: 32))

    init(answers: [(String, String)] = [], fallback: String = "I don't know") {
        self.answers = answers.map { (needle: $0.0, answer: $0.1) }
        self.fallback = fallback
    }

    func renderChat(_ messages: [EvalMessage]) throws -> String {
        messages.map { "<|\($0.role)|>\($0.content)" }.joined() + "<|assistant|>"
    }

    func generate(_ prompts: [String], params: EvalGenerationParams) throws -> [GenerationOutput] {
        calls.append(prompts)
        paramsSeen.append(params)
        return prompts.map { p in
            var text = answers.first { p.contains($0.needle) }?.answer ?? fallback
            for s in params.stop { if let r = text.range(of: s) { text = String(text[..<r.lowerBound]) } }
            let words = text.split(separator: " ").count
            return GenerationOutput(text: text, outputTokens: min(words, params.maxTokens), promptTokens: p.count,
                                    finishReason: "stop", seconds: Double.random(in: 0.001...0.002))
        }
    }

    func score(prompt: String, expected: String) throws -> (nll: Double, tokens: Int) {
        let tokens = max(1, expected.split(separator: " ").count)
        return (Double(tokens) * 1.5 + Double(prompt.count % 7) * 0.01, tokens)
    }
}
