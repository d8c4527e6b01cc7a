import Foundation
import FTXEval

/// Eval suites as `ftx eval --suite` reads and runs them: the suite YAML, then its case file
/// (the input's part after the separator, else three fixed rows), then a whole eval against a
/// stand-in model whose answers cycle through JSON, prose and nothing. Property: the report
/// reads back equal (through its JSON).
enum SuiteTarget {
    static let target = FuzzTarget(name: "suite", run: run)
    static let separator = "\n--cases--\n"
    static let defaultCases = Data("""
        {"id": "a", "prompt": "Ticket: refund please", "completion": "{\\"category\\": \\"billing\\"}", "category": "billing"}
        {"id": "b", "prompt": "hi", "completion": "Hello there", "assert": [{"type": "contains", "value": "Hello"}], "threshold": 0.5}
        {"id": "c", "prompt": "plain", "completion": ""}

        """.utf8)

    /// Answers the n-th prompt of a batch with the n-th of a few fixed outputs.
    struct StandIn: EvalModel {
        var identity: ModelIdentity { ModelIdentity(name: "stand-in.gguf", sha256: String(repeating: "0", count: 64)) }
        static let outputs = [#"{"category": "billing", "score": 0.5}"#, "Hello there, the refund was issued.", ""]
        func renderChat(_ messages: [EvalMessage]) throws -> String {
            messages.map { "<|\($0.role)|>\($0.content)" }.joined() + "<|assistant|>"
        }
        func generate(_ prompts: [String], params: EvalGenerationParams) throws -> [GenerationOutput] {
            prompts.indices.map { i in
                let text = Self.outputs[i % Self.outputs.count]
                return GenerationOutput(text: text, outputTokens: text.utf8.count / 4, promptTokens: prompts[i].utf8.count / 4,
                                        finishReason: "stop", seconds: 0.001)
            }
        }
        func score(prompt: String, expected: String) throws -> (nll: Double, tokens: Int) {
            (Double(expected.utf8.count) * 0.5, max(1, expected.utf8.count / 4))
        }
    }

    static func run(_ data: Data) {
        let dir = Scratch.directory("suite")
        let (suite, cases) = Scratch.split(data, at: separator)
        Scratch.write(suite, to: dir + "/suite.yaml")
        Scratch.write(cases ?? defaultCases, to: dir + "/cases.jsonl")
        guard let s = attempt({ try SuiteLoader.load(path: dir + "/suite.yaml") }) else { return }
        guard let report = attempt({ try EvalRunner(suite: s, scoreExpected: true, showProgress: false).run(model: StandIn()) }) else { return }
        guard let json = try? report.jsonData() else { FuzzCheck.fail("a report cannot be written as JSON") }
        guard let back = try? EvalReport.decode(json, file: "report.json"), (try? back.jsonData()) == json else {
            FuzzCheck.fail("a written report does not read back equal:\n\(String(decoding: json, as: UTF8.self))")
        }
    }
}
