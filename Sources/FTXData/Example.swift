import Foundation

/// The three JSONL shapes practitioners use (mlx-lm / axolotl names).
public enum ExampleFormat: String, Codable, Sendable, CaseIterable {
    case chat        // {"messages": [{"role": "...", "content": "..."}, ...]}
    case completion  // {"prompt": "...", "completion": "..."}
    case text        // {"text": "..."}
}

public struct ChatMessage: Codable, Hashable, Sendable {
    public var role: String
    public var content: String
    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

/// Where an example came from: 1-based line number in a file.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    public let file: String
    public let line: Int
    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }
    public var description: String { "\(file):\(line)" }
}

/// One training / evaluation example, whatever its on-disk format.
public struct Example: Hashable, Sendable {
    /// Stable id: hex SHA-256 of the format-aware canonical content (see `Example.computeID`).
    public var id: String
    public var format: ExampleFormat
    public var messages: [ChatMessage]
    public var prompt: String?
    public var completion: String?
    public var text: String?
    public var source: SourceLocation?
    /// Other top-level scalar fields, as strings (numbers keep their JSON spelling; null is dropped).
    public var fields: [String: String]

    public init(format: ExampleFormat, messages: [ChatMessage] = [], prompt: String? = nil,
                completion: String? = nil, text: String? = nil, source: SourceLocation? = nil,
                fields: [String: String] = [:], id: String? = nil) {
        self.format = format
        self.messages = messages
        self.prompt = prompt
        self.completion = completion
        self.text = text
        self.source = source
        self.fields = fields
        self.id = ""
        self.id = id ?? Example.computeID(self)
    }

    /// Convenience constructors for tests and callers building examples in memory.
    public static func chat(_ messages: [ChatMessage], fields: [String: String] = [:]) -> Example {
        Example(format: .chat, messages: messages, fields: fields)
    }
    public static func completion(prompt: String, completion: String, fields: [String: String] = [:]) -> Example {
        Example(format: .completion, prompt: prompt, completion: completion, fields: fields)
    }
    public static func text(_ text: String, fields: [String: String] = [:]) -> Example {
        Example(format: .text, text: text, fields: fields)
    }

    /// Index of the last assistant message (the training target of a chat example), if any.
    public var lastAssistantIndex: Int? {
        messages.lastIndex(where: { $0.role == "assistant" })
    }

    /// What the model is given: the prompt; or the chat turns before the last assistant message,
    /// one "role: content" line each; or the text.
    public var input: String {
        switch format {
        case .completion: return prompt ?? ""
        case .text: return text ?? ""
        case .chat:
            let end = lastAssistantIndex ?? messages.count
            return messages[..<end].map { "\($0.role): \($0.content)" }.joined(separator: "\n")
        }
    }

    /// What the model must produce: the completion, or the last assistant message, or "" for text.
    public var output: String {
        switch format {
        case .completion: return completion ?? ""
        case .text: return ""
        case .chat: return lastAssistantIndex.map { messages[$0].content } ?? ""
        }
    }

    /// The system prompt of a chat example (the first system message), if any.
    public var systemPrompt: String? {
        format == .chat ? messages.first(where: { $0.role == "system" })?.content : nil
    }

    /// SHA-256 over a canonical, unambiguous encoding of the content only (format, roles, texts):
    /// key order, JSON spacing, escape spelling and extra fields do not change the id.
    public static func computeID(_ e: Example) -> String {
        var canon = CanonicalEncoder()
        canon.add(e.format.rawValue)
        switch e.format {
        case .chat:
            for m in e.messages { canon.add(m.role); canon.add(m.content) }
        case .completion:
            canon.add(e.prompt ?? ""); canon.add(e.completion ?? "")
        case .text:
            canon.add(e.text ?? "")
        }
        return canon.sha256Hex()
    }
}
