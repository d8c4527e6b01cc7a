import Foundation
import FTXModel

/// Chat templates (a GGUF's `tokenizer.chat_template`, untrusted): parsed and rendered over a short
/// fixed conversation, with and without the generation prompt. Seeds include SmolLM2's real template.
enum JinjaTarget {
    static let target = FuzzTarget(name: "jinja", run: run)
    static let messages: [(role: String, content: String)] = [
        ("system", "Be brief."), ("user", "Hi <b>&\"quotes\"</b>"), ("assistant", "Hello!\n"), ("user", "2+2?"),
    ]

    static func run(_ data: Data) {
        let template = ChatTemplate(source: String(decoding: data, as: UTF8.self), bosToken: "<s>", eosToken: "</s>")
        _ = attempt { try template.render(messages: messages, addGenerationPrompt: true) }
        _ = attempt { try template.render(messages: Array(messages.dropFirst()), addGenerationPrompt: false) }
    }
}
