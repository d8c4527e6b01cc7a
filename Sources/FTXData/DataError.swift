import FTXCore

/// Everything that can go wrong reading or processing a dataset. Each case names the file and,
/// for content problems, the 1-based line (and byte column inside the line where it helps).
public enum DataError: FTXError, Equatable {
    case cannotOpen(path: String, reason: String)
    case readFailed(path: String, reason: String)
    case emptyFile(path: String)
    case utf16(path: String)
    case lineTooLong(SourceLocation, limit: Int)
    case invalidUTF8(SourceLocation, column: Int)
    case invalidJSON(SourceLocation, column: Int, detail: String)
    case notAnObject(SourceLocation, found: String)
    case unknownShape(SourceLocation, keys: [String])
    case missingField(SourceLocation, field: String, format: ExampleFormat)
    case wrongType(SourceLocation, field: String, expected: String, found: String)
    case invalidMessage(SourceLocation, index: Int, detail: String)
    case unknownRole(SourceLocation, index: Int, role: String)
    case noAssistantMessage(SourceLocation)
    case mixedFormats(SourceLocation, expected: ExampleFormat, found: ExampleFormat, firstLine: SourceLocation)
    case invalidArgument(String, hint: String?)
    case config(path: String, detail: String)
    case writeFailed(path: String, reason: String)

    public var message: String {
        switch self {
        case .cannotOpen(_, let reason): return "cannot open dataset: \(reason)"
        case .readFailed(_, let reason): return "cannot read dataset: \(reason)"
        case .emptyFile: return "dataset has no examples (the file is empty or only blank lines)"
        case .utf16: return "dataset is UTF-16 encoded; JSONL must be UTF-8"
        case .lineTooLong(_, let limit): return "line is longer than the \(limit)-byte limit"
        case .invalidUTF8(_, let column): return "invalid UTF-8 at byte \(column) of the line"
        case .invalidJSON(_, let column, let detail): return "line is not valid JSON: \(detail) at byte \(column)"
        case .notAnObject(_, let found): return "line is a JSON \(found), expected an object"
        case .unknownShape(_, let keys):
            let k = keys.isEmpty ? "no keys" : "keys " + keys.prefix(8).joined(separator: ", ")
            return "unknown example shape (\(k)); expected \"messages\", \"prompt\"+\"completion\" or \"text\""
        case .missingField(_, let field, let format): return "\(format.rawValue) example is missing \"\(field)\""
        case .wrongType(_, let field, let expected, let found):
            return "field \"\(field)\" must be \(expected), found \(found)"
        case .invalidMessage(_, let index, let detail): return "messages[\(index)]: \(detail)"
        case .unknownRole(_, let index, let role):
            return "messages[\(index)] has role \"\(role)\"; expected system, user or assistant"
        case .noAssistantMessage: return "chat example has no assistant message (nothing to learn)"
        case .mixedFormats(_, let expected, let found, let first):
            return "mixed formats: this line is \(found.rawValue) but the file is \(expected.rawValue) (from \(first))"
        case .invalidArgument(let m, _): return m
        case .config(_, let detail): return "invalid data-check config: \(detail)"
        case .writeFailed(_, let reason): return "cannot write output: \(reason)"
        }
    }

    public var location: String? {
        switch self {
        case .cannotOpen(let p, _), .readFailed(let p, _), .emptyFile(let p), .utf16(let p),
             .config(let p, _), .writeFailed(let p, _):
            return p
        case .lineTooLong(let l, _), .invalidUTF8(let l, _), .invalidJSON(let l, _, _), .notAnObject(let l, _),
             .unknownShape(let l, _), .missingField(let l, _, _), .wrongType(let l, _, _, _),
             .invalidMessage(let l, _, _), .unknownRole(let l, _, _), .noAssistantMessage(let l),
             .mixedFormats(let l, _, _, _):
            return l.description
        case .invalidArgument: return nil
        }
    }

    public var hint: String? {
        switch self {
        case .lineTooLong: return "one JSON object per line; raise the cap with --max-line-bytes if the example is genuine"
        case .utf16: return "convert it, e.g. iconv -f UTF-16 -t UTF-8 FILE > FILE.utf8"
        case .invalidUTF8: return "re-encode the file as UTF-8 (e.g. iconv -f latin1 -t UTF-8)"
        case .invalidJSON, .notAnObject: return "JSONL holds exactly one JSON object per line"
        case .unknownShape, .missingField, .wrongType:
            return "chat: {\"messages\":[{\"role\":\"user\",\"content\":\"…\"},…]}, completion: {\"prompt\":\"…\",\"completion\":\"…\"}, text: {\"text\":\"…\"}"
        case .mixedFormats: return "keep one format per file; convert or split the file"
        case .noAssistantMessage: return "add the expected assistant reply as the last message"
        case .invalidArgument(_, let h): return h
        default: return nil
        }
    }
}
