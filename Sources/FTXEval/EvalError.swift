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

/// "did you mean X?" for a misspelt name, by edit distance (nil when nothing is close).
enum Suggest {
    static func closest(_ word: String, in candidates: [String]) -> String? {
        var best: (String, Int)?
        for c in candidates {
            let d = distance(word.lowercased(), c.lowercased())
            if best == nil || d < best!.1 { best = (c, d) }
        }
        guard let (c, d) = best, d <= max(2, word.count / 3) else { return nil }
        return c
    }

    static func hint(_ word: String, in candidates: [String]) -> String {
        if let c = closest(word, in: candidates) { return "did you mean '\(c)'?" }
        return "expected one of: \(candidates.joined(separator: ", "))"
    }

    static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var prev = Array(0...y.count), cur = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            cur[0] = i
            for j in 1...y.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            }
            swap(&prev, &cur)
        }
        return prev[y.count]
    }
}
