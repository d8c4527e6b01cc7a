/// A chat template from the GGUF (`tokenizer.chat_template`), rendered by a small Jinja-subset
/// interpreter (for/if/set, the filters and tests chat templates use, loop variables, raise_exception).
public struct ChatTemplate: Sendable {
    public let source: String
    public let bosToken: String?
    public let eosToken: String?
    /// Where the template came from (`model.gguf: tokenizer.chat_template`), named in its errors.
    public let origin: String?

    public init(source: String, bosToken: String? = nil, eosToken: String? = nil, origin: String? = nil) {
        self.source = source; self.bosToken = bosToken; self.eosToken = eosToken; self.origin = origin
    }

    /// SmolLM2's ChatML template (used for in-process test models).
    public static let chatML = """
    {% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}
    """

    public func render(messages: [(role: String, content: String)], addGenerationPrompt: Bool) throws -> String {
        do { return try renderUnnamed(messages: messages, addGenerationPrompt: addGenerationPrompt) }
        catch ModelError.template(let m, let line, nil) where origin != nil {
            throw ModelError.template(m, line: line, origin: origin)
        }
    }

    private func renderUnnamed(messages: [(role: String, content: String)], addGenerationPrompt: Bool) throws -> String {
        var parser = JinjaParser(source: source)
        let program = try parser.parse()
        var ctx: [String: JinjaValue] = [
            "messages": .list(messages.map { .dict(["role": .string($0.role), "content": .string($0.content)]) }),
            "add_generation_prompt": .bool(addGenerationPrompt),
            "bos_token": .string(bosToken ?? ""),
            "eos_token": .string(eosToken ?? ""),
        ]
        ctx["tools"] = JinjaValue.none   // defined and none, as HF passes tools=None
        var interp = JinjaInterpreter(globals: ctx)
        return try interp.run(program)
    }
}
