import ArgumentParser
import Foundation
import FTXModel

struct ModelTokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Show the token ids and pieces of a text under a model's tokenizer.",
        discussion: reflow("""
        Special tokens written in the text (e.g. <|im_start|>) are parsed as specials unless
        --no-special; added tokens that are not special (e.g. Qwen's <tool_call>) always are, as in
        Hugging Face tokenizers. No BOS is added.

        Examples:
          ftx tokenize -m SmolLM2-135M-Instruct.Q4_1.gguf "Hello world"
          ftx tokenize -m SmolLM2-135M-Instruct.Q4_1.gguf --json "<|im_start|>user"
        """))

    @Option(name: .shortAndLong, help: "The model: a GGUF file or a Hugging Face checkpoint folder.") var model: String
    @Flag(help: "Treat special-token text as plain text.") var noSpecial = false
    @Flag(help: "Print as JSON.") var json = false
    @Argument(help: "The text.") var text: String

    func run() throws {
        let tok = try Tokenizer.load(modelPath: model)
        let ids = tok.encode(text, parseSpecial: !noSpecial)
        let pieces = ids.map { tok.decode([$0]) }
        if json {
            let obj: [String: Any] = ["ids": ids, "pieces": pieces, "count": ids.count]
            try JSONOutput.emit(obj, compact: true)
            return
        }
        print("\(ids.count) tokens")
        for (id, p) in zip(ids, pieces) {
            print(String(format: "%8d  ", id) + p.debugDescription)
        }
    }
}
