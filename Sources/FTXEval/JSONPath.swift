/// A small JSON path: `$.a.b[0].c`, `a.b`, `items[2]`, `$["key with space"]`. Enough to point at a
/// field of a model's JSON output; no wildcards or filters.
public struct JSONPath: Equatable, Sendable, CustomStringConvertible {
    public enum Step: Equatable, Sendable { case key(String), index(Int) }
    public let steps: [Step]
    public let text: String

    public var description: String { text }

    /// Parses a path; nil with a reason when malformed.
    public static func parse(_ text: String) -> Result<JSONPath, PathError> {
        var s = Substring(text.trimmingCharacters(in: .whitespaces))
        if s.hasPrefix("$") { s = s.dropFirst() }
        var steps: [Step] = []
        while !s.isEmpty {
            if s.hasPrefix(".") {
                s = s.dropFirst()
                let key = s.prefix { $0 != "." && $0 != "[" }
                guard !key.isEmpty else { return .failure(PathError(path: text, reason: "empty key after '.'")) }
                steps.append(.key(String(key)))
                s = s.dropFirst(key.count)
            } else if s.hasPrefix("[") {
                s = s.dropFirst()
                if s.hasPrefix("\"") || s.hasPrefix("'") {
                    let q = s.first!
                    s = s.dropFirst()
                    guard let end = s.firstIndex(of: q) else { return .failure(PathError(path: text, reason: "unterminated quoted key")) }
                    steps.append(.key(String(s[..<end])))
                    s = s[s.index(after: end)...]
                } else {
                    let digits = s.prefix { $0 != "]" }
                    guard let n = Int(digits), n >= 0 else {
                        return .failure(PathError(path: text, reason: "index '\(digits)' is not a non-negative integer"))
                    }
                    steps.append(.index(n))
                    s = s.dropFirst(digits.count)
                }
                guard s.hasPrefix("]") else { return .failure(PathError(path: text, reason: "missing ']'")) }
                s = s.dropFirst()
            } else if steps.isEmpty {
                // Bare leading key: `category.sub`.
                let key = s.prefix { $0 != "." && $0 != "[" }
                steps.append(.key(String(key)))
                s = s.dropFirst(key.count)
            } else {
                return .failure(PathError(path: text, reason: "unexpected '\(s.first!)'"))
            }
        }
        guard !steps.isEmpty else { return .failure(PathError(path: text, reason: "path names no field")) }
        return .success(JSONPath(steps: steps, text: text))
    }

    public struct PathError: Error, Equatable { public let path: String; public let reason: String }

    /// The value at this path, or nil when any step is missing.
    public func lookup(_ value: EvalJSON) -> EvalJSON? {
        var cur = value
        for step in steps {
            switch (step, cur) {
            case (.key(let k), .object): guard let v = cur[k] else { return nil }; cur = v
            case (.index(let n), .array(let items)): guard n < items.count else { return nil }; cur = items[n]
            default: return nil
            }
        }
        return cur
    }
}

import Foundation
