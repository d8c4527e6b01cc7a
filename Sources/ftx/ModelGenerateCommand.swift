import ArgumentParser
import Foundation
import FTXCore
import FTXModel

/// Options every engine command shares: the model file and the thread count.
struct ModelFileOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "The base model: a GGUF file or a Hugging Face checkpoint folder.") var model: String
    @Option(help: "Worker threads (default: all cores).") var threads: Int?

    func load() throws -> LlamaModel {
        if let threads { Threads.count = threads }
        return try LlamaModel.load(path: model)
    }
}

struct ModelGenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate text from a GGUF model, streaming tokens as they come.",
        discussion: reflow("""
        The prompt is used as is, or with --chat wrapped in the model's chat template (from the GGUF)
        as a user turn, with --system as the system turn. Greedy by default (temperature 0); with a
        temperature, the same --seed gives the same text.

        Examples:
          ftx generate -m SmolLM2-135M-Instruct.Q4_1.gguf --chat "Capital of France?"
          ftx generate -m model.gguf --max-tokens 64 --temperature 0.7 --top-p 0.9 \\
              --seed 42 "Once upon a time"
          ftx generate -m model.gguf --chat --system "Answer in one word." --stop "." \\
              "Largest planet?"
          ftx generate -m model.gguf --adapter out --chat "Extract the date: ..."

        With --adapter, a LoRA adapter (a PEFT directory as `ftx train` writes it, or a GGUF LoRA
        file) is applied unmerged on top of the model, exactly as `ftx eval --adapter` applies it.
        """))

    @OptionGroup var file: ModelFileOptions
    @OptionGroup var lora: ModelAdapterOption
    @Flag(help: "Wrap the prompt in the model's chat template as a user message.") var chat = false
    @Option(help: "System message (with --chat).") var system: String?
    @Option(help: "Most tokens to generate.") var maxTokens = 256
    @Option(help: "Sampling temperature (0 = greedy).") var temperature: Float = 0
    @Option(help: "Sample from the k most likely tokens (0 = all).") var topK = 0
    @Option(help: "Nucleus sampling mass (1 = off).") var topP: Float = 1
    @Option(help: "Repetition penalty (1 = off).") var repetitionPenalty: Float = 1
    @Option(help: "Random seed.") var seed: UInt64 = 0
    @Option(help: "Stop when the text contains this string (repeatable).") var stop: [String] = []
    @Flag(help: "Print prompt/generation token counts and speed to stderr.") var verbose = false
    @Flag(help: "Keep f32 activations in quantized matmuls (the reference numerics; default: 8-bit activation blocks, as llama.cpp).") var exactMatmuls = false
    @Argument(help: "The prompt.") var prompt: String

    func run() throws {
        let model = try file.load()
        try lora.apply(to: model, modelPath: file.model)
        let text: String
        if chat {
            guard let template = model.chatTemplate else {
                throw ModelError.unsupported(path: file.model, "the model has no chat template (tokenizer.chat_template)")
            }
            var messages: [(role: String, content: String)] = []
            if let system { messages.append(("system", system)) }
            messages.append(("user", prompt))
            text = try template.render(messages: messages, addGenerationPrompt: true)
        } else {
            text = prompt
        }
        let ids = model.tokenizer.encodePrompt(text, parseSpecial: chat)
        let params = GenerationParams(maxTokens: maxTokens, temperature: temperature, topK: topK, topP: topP,
                                      repetitionPenalty: repetitionPenalty, seed: seed, stop: stop,
                                      matmuls: exactMatmuls ? .exact : .int8)
        let out = FileHandle.standardOutput
        let start = Date()
        let r = try model.generate(prompts: [ids], params: params) { _, piece in
            out.write(Data(piece.utf8))
        }[0]
        out.write(Data("\n".utf8))
        if verbose {
            let s = Date().timeIntervalSince(start)
            FileHandle.standardError.write(Data(String(format: "prompt %d tokens, generated %d tokens in %.2fs (%.1f tok/s), finish: %@\n",
                                                       r.promptTokens, r.tokenIDs.count, s, Double(r.tokenIDs.count) / max(s, 1e-9), r.finishReason).utf8))
        }
    }
}
