/// One case of a suite, ready to run: its stable id, what the model is given, what it should
/// produce, the row's scalar fields (for `{{field}}` templates) and its own assertions.
public struct EvalCase {
    public var id: String
    /// Chat turns before the expected assistant turn (chat rows); empty for completion/text rows.
    public var messages: [EvalMessage]
    /// The raw input text (completion prompt, chat turns as "role: content" lines, or text).
    public var input: String
    public var expected: String
    public var fields: [String: String]
    /// Assertions declared in the row (in addition to the suite's).
    public var assertions: [AssertionSpec]
    public var threshold: Double?
    /// "file:line".
    public var source: String?

    public init(id: String, messages: [EvalMessage] = [], input: String, expected: String,
                fields: [String: String] = [:], assertions: [AssertionSpec] = [], threshold: Double? = nil,
                source: String? = nil) {
        self.id = id; self.messages = messages; self.input = input; self.expected = expected
        self.fields = fields; self.assertions = assertions; self.threshold = threshold; self.source = source
    }
}
