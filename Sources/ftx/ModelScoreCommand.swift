import ArgumentParser
import Foundation
import FTXModel

struct ModelScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Mean cross-entropy (nats per predicted token) and perplexity of a text under a model.",
        discussion: reflow("""
        Every token after the first is predicted from the ones before it. Special tokens in the
        text are parsed; the model's BOS is prepended when its tokenizer asks for one.

        Examples:
          ftx score -m SmolLM2-135M-Instruct.Q4_1.gguf "The quick brown fox jumps."
          ftx score -m SmolLM2-135M-Instruct.Q4_1.gguf --json "$(cat notes.txt)"
          ftx score -m model.gguf --adapter out "$(cat held-out.txt)"

        With --adapter, a LoRA adapter (a PEFT directory as `ftx train` writes it, or a GGUF LoRA
        file) is applied unmerged on top of the model, exactly as `ftx eval --adapter` applies it:
        compare the two perplexities to see what fine-tuning did to a text.
        """))

    @OptionGroup var file: ModelFileOptions
    @OptionGroup var lora: ModelAdapterOption
    @Flag(help: "Print as JSON.") var json = false
    @Argument(help: "The text.") var text: String

    func run() throws {
        let model = try file.load()
        try lora.apply(to: model, modelPath: file.model)
        let ids = model.tokenizer.encodePrompt(text)
        let (nll, count) = try model.score(tokens: ids, targetMask: ids.indices.map { $0 > 0 })
        let mean = count > 0 ? nll / Double(count) : 0
        if json {
            var obj: [String: Any] = ["tokens": ids.count, "predicted": count, "nll": nll,
                                      "mean_cross_entropy": mean, "perplexity": exp(mean)]
            if let path = lora.adapter { obj["adapter"] = path }
            try JSONOutput.emit(obj, compact: true)
            return
        }
        if let path = lora.adapter { print("adapter             \(path)") }
        print("tokens              \(ids.count) (\(count) predicted)")
        print(String(format: "mean cross-entropy  %.4f nats/token", mean))
        print(String(format: "perplexity          %.3f", exp(mean)))
    }
}
