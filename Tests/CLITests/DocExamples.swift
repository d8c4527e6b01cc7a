import Foundation

/// The shell examples of one Markdown page, in order, as the doc tests run them.
///
/// The conventions (docs/README.md, "The examples run"):
/// - A ```sh block runs line by line; each command must exit 0 unless its comment says `exit N`.
/// - A ```console block shows `$ command` lines, each followed by the output it prints; the output
///   is compared after numbers and ids are masked, and `…` matches anything within a line.
/// - `<!-- doc-test: setup … -->` holds commands that run at that point but are not shown
///   (a page's unseen preparation); `<!-- doc-test: skip REASON -->` leaves out the next block,
///   and the reason is required.
/// - A block in any other language must not hold commands (`ftx …` or `$ …` lines): an example
///   that is not run is how docs drift.
struct DocExamples {
    struct Command: Equatable {
        var text: String
        var line: Int
        var expectedExit: Int32 = 0
        /// The output a ```console block shows under the command; nil in ```sh blocks.
        var expectedOutput: [String]? = nil
        var hidden = false
    }

    struct ParseError: Error, CustomStringConvertible {
        let page: String, line: Int, message: String
        var description: String { "\(page):\(line): \(message)" }
    }

    var commands: [Command] = []
    var skipped: [(line: Int, reason: String)] = []

    init(markdown: String, page: String) throws {
        let lines = markdown.components(separatedBy: "\n")
        var i = 0
        var skipNext: String?
        while i < lines.count {
            let line = lines[i]
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("<!-- doc-test:") {
                let (directive, end) = Self.comment(lines, from: i)
                let body = directive.dropFirst("<!-- doc-test:".count).trimmingCharacters(in: .whitespacesAndNewlines)
                if body.hasPrefix("skip") {
                    let reason = body.dropFirst(4).trimmingCharacters(in: .whitespacesAndNewlines)
                    guard !reason.isEmpty else { throw ParseError(page: page, line: i + 1, message: "doc-test: skip needs a reason") }
                    skipNext = reason
                } else if body.hasPrefix("setup") {
                    let setupLines = Array(lines[(i + 1)..<end])
                    commands += Self.shellCommands(setupLines, firstLine: i + 2).map { var c = $0; c.hidden = true; return c }
                } else {
                    throw ParseError(page: page, line: i + 1, message: "unknown doc-test directive (setup or skip REASON)")
                }
                i = end + 1
                continue
            }
            guard trimmed.hasPrefix("```") else { i += 1; continue }
            let info = trimmed.dropFirst(3).trimmingCharacters(in: .whitespaces)
            var j = i + 1
            while j < lines.count, !lines[j].trimmingCharacters(in: .whitespaces).hasPrefix("```") { j += 1 }
            guard j < lines.count else { throw ParseError(page: page, line: i + 1, message: "unclosed code block") }
            let body = Array(lines[(i + 1)..<j])
            if let reason = skipNext {
                skipped.append((i + 1, reason))
                skipNext = nil
            } else if info == "sh" {
                commands += Self.shellCommands(body, firstLine: i + 2)
            } else if info == "console" {
                commands += try Self.consoleCommands(body, firstLine: i + 2, page: page)
            } else if let k = body.firstIndex(where: Self.looksLikeCommand) {
                throw ParseError(page: page, line: i + 2 + k,
                                 message: "a command in a ```\(info) block is never run: tag the block sh or console, or mark it <!-- doc-test: skip REASON -->")
            }
            i = j + 1
        }
        if skipNext != nil { throw ParseError(page: page, line: lines.count, message: "doc-test: skip with no block after it") }
    }

    static func looksLikeCommand(_ line: String) -> Bool {
        let t = line.trimmingCharacters(in: .whitespaces)
        return t.hasPrefix("$ ") || t.range(of: "^ftx [a-z]", options: .regularExpression) != nil
    }

    /// The text of an HTML comment starting at `start`, and the index of its closing line.
    private static func comment(_ lines: [String], from start: Int) -> (String, Int) {
        var end = start
        while end < lines.count, !lines[end].contains("-->") { end += 1 }
        let first = lines[start].replacingOccurrences(of: "-->", with: "").trimmingCharacters(in: .whitespaces)
        return (first, min(end, lines.count - 1))
    }

    /// Commands of a ```sh block: blank lines and whole-line comments dropped, `\` continuations joined.
    static func shellCommands(_ body: [String], firstLine: Int) -> [Command] {
        var out: [Command] = []
        var pending: (text: String, line: Int)?
        var heredoc: String?
        for (k, raw) in body.enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if pending == nil, line.isEmpty || line.hasPrefix("#") { continue }
            let text = (pending.map { $0.text + "\n" } ?? "") + raw
            let start = pending?.line ?? firstLine + k
            if let end = heredoc {
                if line != end { pending = (text, start); continue }
                heredoc = nil
            } else if let end = heredocTerminator(raw) {
                heredoc = end; pending = (text, start); continue
            }
            if line.hasSuffix("\\") { pending = (text, start); continue }
            pending = nil
            out.append(Command(text: text, line: start, expectedExit: expectedExit(text)))
        }
        if let p = pending { out.append(Command(text: p.text, line: p.line, expectedExit: expectedExit(p.text))) }
        return out
    }

    static func consoleCommands(_ body: [String], firstLine: Int, page: String) throws -> [Command] {
        var out: [Command] = []
        var heredoc: String?
        for (k, raw) in body.enumerated() {
            if let end = heredoc {
                out[out.count - 1].text += "\n" + raw
                if raw.trimmingCharacters(in: .whitespaces) == end { heredoc = nil }
            } else if raw.hasPrefix("$ ") {
                heredoc = heredocTerminator(raw)
                let text = String(raw.dropFirst(2))
                out.append(Command(text: text, line: firstLine + k, expectedExit: expectedExit(text), expectedOutput: []))
            } else if out.isEmpty {
                throw ParseError(page: page, line: firstLine + k, message: "a ```console block starts with `$ command`")
            } else {
                out[out.count - 1].expectedOutput!.append(raw)
            }
        }
        return out
    }

    /// `JSONL` in `cat > f <<'JSONL'`: the line that ends a here-document, whose lines belong to the command.
    static func heredocTerminator(_ line: String) -> String? {
        guard let r = line.range(of: #"<<-?\s*['"]?[A-Za-z_]+['"]?"#, options: .regularExpression) else { return nil }
        return line[r].filter { $0.isLetter || $0 == "_" }
    }

    /// `# exit 1: refused…` in a command's trailing comment: the status the example expects.
    static func expectedExit(_ text: String) -> Int32 {
        guard let hash = text.range(of: " #", options: .backwards) else { return 0 }
        let comment = text[hash.upperBound...]
        guard let r = comment.range(of: #"exit (\d+)"#, options: .regularExpression) else { return 0 }
        return Int32(comment[r].dropFirst(5)) ?? 0
    }

    // MARK: output comparison

    /// A line with what varies from run to run masked: hex ids, numbers, runs of spaces.
    static func normalize(_ line: String) -> String {
        var s = line.trimmingCharacters(in: .whitespaces)
        s = s.replacingOccurrences(of: #"\b[0-9a-f]{7,64}\b"#, with: "<id>", options: .regularExpression)
        s = s.replacingOccurrences(of: #"[0-9]+(\.[0-9]+)?"#, with: "<n>", options: .regularExpression)
        s = s.replacingOccurrences(of: #"\s+"#, with: " ", options: .regularExpression)
        return s
    }

    /// The expected lines that `actual` lacks: each expected line must match a whole actual line,
    /// in order (lines between are allowed, so a page may elide).
    static func missingLines(expected: [String], actual: String) -> [String] {
        let have = actual.components(separatedBy: "\n").map(normalize)
        var at = 0
        var missing: [String] = []
        for e in expected where !e.trimmingCharacters(in: .whitespaces).isEmpty {
            let pattern = "^" + NSRegularExpression.escapedPattern(for: normalize(e)).replacingOccurrences(of: "…", with: ".*") + "$"
            let re = try! NSRegularExpression(pattern: pattern)
            if let k = have[at...].firstIndex(where: { re.firstMatch(in: $0, range: NSRange($0.startIndex..., in: $0)) != nil }) {
                at = k + 1
            } else {
                missing.append(e)
            }
        }
        return missing
    }
}
