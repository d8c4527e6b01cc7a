import FTXCore

/// Errors of the model layer. Each names the file and the place in it (byte offset, tensor, key).
public enum ModelError: FTXError {
    case io(path: String, String)
    /// Malformed GGUF: what is wrong and the byte offset where it was found.
    case badGGUF(path: String, offset: Int, String)
    case badTensor(path: String, tensor: String, String)
    case missingKey(path: String, key: String)
    case badMetadata(path: String, key: String, String)
    case unsupported(path: String, String)
    case tokenizer(String)
    /// A chat template that cannot be rendered: what, the line in the template, and where the
    /// template came from (`model.gguf: tokenizer.chat_template`) when known.
    case template(String, line: Int?, origin: String? = nil)
    case generation(String)

    public var message: String {
        switch self {
        case .io(_, let m): return m
        case .badGGUF(_, _, let m): return "malformed GGUF: \(m)"
        case .badTensor(_, _, let m): return "bad tensor: \(m)"
        case .missingKey(_, let k): return "GGUF metadata key \(k) is missing"
        case .badMetadata(_, _, let m): return "bad GGUF metadata: \(m)"
        case .unsupported(_, let m): return "unsupported model: \(m)"
        case .tokenizer(let m): return "tokenizer: \(m)"
        case .template(let m, _, _): return "chat template: \(m)"
        case .generation(let m): return m
        }
    }
    public var location: String? {
        switch self {
        case .io(let p, _): return p
        case .badGGUF(let p, let o, _): return "\(p) at byte \(o)"
        case .badTensor(let p, let t, _): return "\(p), tensor \(t)"
        case .missingKey(let p, _): return p
        case .badMetadata(let p, let k, _): return "\(p), key \(k)"
        case .unsupported(let p, _): return p
        case .template(_, let line, let origin?): return origin + (line.map { ", line \($0)" } ?? "")
        case .template(_, let line, nil): return line.map { "template line \($0)" }
        case .tokenizer, .generation: return nil
        }
    }
    public var hint: String? {
        switch self {
        case .badGGUF, .badTensor: return "the file is truncated or not a GGUF model; download it again"
        case .unsupported: return "ftx runs \(Architecture.supportedNames) models from GGUF files or Hugging Face folders (docs/models.md lists the types)"
        case .template: return "pass the prompt without --chat, or use a model whose template uses the supported Jinja subset"
        default: return nil
        }
    }
}
