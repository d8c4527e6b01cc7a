import FTXCore

/// Everything that can go wrong in evaluation: malformed suites (named by file:line), unreadable
/// reports, bad gate expressions, model failures during a run.
public enum EvalError: FTXError {
    /// A suite file problem at `file:line` (found before any generation starts).
    case suite(String, file: String, line: Int?, hint: String? = nil)
    /// A per-case problem in the case file (JSONL) at `file:line`.
    case caseFile(String, file: String, line: Int?, hint: String? = nil)
    /// A gate expression that cannot be parsed or evaluated.
    case gate(String, location: String?, hint: String? = nil)
    /// A report file that cannot be read or has the wrong shape.
    case report(String, file: String, hint: String? = nil)
    /// The model failed while generating or scoring.
    case model(String, hint: String? = nil)
    /// Anything else with an optional location.
    case other(String, location: String?, hint: String? = nil)

    public var message: String {
        switch self {
        case .suite(let m, _, _, _), .caseFile(let m, _, _, _), .gate(let m, _, _),
             .report(let m, _, _), .model(let m, _), .other(let m, _, _):
            return m
        }
    }

    public var location: String? {
        switch self {
        case .suite(_, let file, let line, _), .caseFile(_, let file, let line, _):
            if let line { return "\(file):\(line)" }
            return file
        case .gate(_, let loc, _), .other(_, let loc, _): return loc
        case .report(_, let file, _): return file
        case .model: return nil
        }
    }

    public var hint: String? {
        switch self {
        case .suite(_, _, _, let h), .caseFile(_, _, _, let h), .gate(_, _, let h),
             .report(_, _, let h), .model(_, let h), .other(_, _, let h):
            return h
        }
    }
}

/// "did you mean X?" for a misspelt name (FTXCore's edit-distance suggestion), else the valid names.
enum Suggest {
    static func closest(_ word: String, in candidates: [String]) -> String? {
        DidYouMean.suggest(word, candidates)
    }

    static func hint(_ word: String, in candidates: [String]) -> String {
        if let c = closest(word, in: candidates) { return "did you mean '\(c)'?" }
        return "expected one of: \(candidates.joined(separator: ", "))"
    }
}
