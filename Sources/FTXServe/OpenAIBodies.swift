import FTXCore
import FTXModel

/// The JSON bodies of OpenAI's completion, chunk and model-list responses (the fields its clients
/// read; strings escaped by FTXCore's JSONString).
enum OpenAIBodies {
    static func q(_ s: String) -> String { JSONString.quoted(s) }

    static func usage(prompt: Int, completion: Int) -> String {
        "{\"prompt_tokens\":\(prompt),\"completion_tokens\":\(completion),\"total_tokens\":\(prompt + completion)}"
    }

    static func objectName(_ e: CompletionRequest.Endpoint, chunk: Bool) -> String {
        switch e {
        case .chat: return chunk ? "chat.completion.chunk" : "chat.completion"
        case .completions: return "text_completion"
        }
    }

    static func responseID(_ e: CompletionRequest.Endpoint, requestID: String) -> String {
        (e == .chat ? "chatcmpl-" : "cmpl-") + requestID
    }

    private static func header(_ e: CompletionRequest.Endpoint, id: String, created: Int, model: String, chunk: Bool) -> String {
        "{\"id\":\(q(responseID(e, requestID: id))),\"object\":\(q(objectName(e, chunk: chunk))),\"created\":\(created),\"model\":\(q(model))"
    }

    /// The whole (non-streamed) answer.
    static func completion(_ e: CompletionRequest.Endpoint, id: String, created: Int, model: String, text: String,
                           finishReason: String, promptTokens: Int, completionTokens: Int) -> String {
        let choice: String
        switch e {
        case .chat:
            choice = "{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\(q(text))},\"logprobs\":null,\"finish_reason\":\(q(finishReason))}"
        case .completions:
            choice = "{\"index\":0,\"text\":\(q(text)),\"logprobs\":null,\"finish_reason\":\(q(finishReason))}"
        }
        return header(e, id: id, created: created, model: model, chunk: false)
            + ",\"choices\":[\(choice)],\"usage\":\(usage(prompt: promptTokens, completion: completionTokens))}"
    }

    /// One SSE chunk: a piece of text (chat: `first` also carries the role), or the end with its
    /// finish reason and the usage block.
    static func chunk(_ e: CompletionRequest.Endpoint, id: String, created: Int, model: String, text: String, first: Bool = false,
                      finishReason: String? = nil, usage u: (prompt: Int, completion: Int)? = nil) -> String {
        let reason = finishReason.map(q) ?? "null"
        let choice: String
        switch e {
        case .chat:
            let delta = finishReason != nil ? "{}" : first ? "{\"role\":\"assistant\",\"content\":\(q(text))}" : "{\"content\":\(q(text))}"
            choice = "{\"index\":0,\"delta\":\(delta),\"logprobs\":null,\"finish_reason\":\(reason)}"
        case .completions:
            choice = "{\"index\":0,\"text\":\(q(text)),\"logprobs\":null,\"finish_reason\":\(reason)}"
        }
        var s = header(e, id: id, created: created, model: model, chunk: true) + ",\"choices\":[\(choice)]"
        if let u { s += ",\"usage\":" + usage(prompt: u.prompt, completion: u.completion) }
        return "data: " + s + "}\n\n"
    }

    static let done = "data: [DONE]\n\n"

    static func models(_ names: [String], created: Int) -> String {
        "{\"object\":\"list\",\"data\":[" + names.map {
            "{\"id\":\(q($0)),\"object\":\"model\",\"created\":\(created),\"owned_by\":\"ftx\"}"
        }.joined(separator: ",") + "]}"
    }
}
