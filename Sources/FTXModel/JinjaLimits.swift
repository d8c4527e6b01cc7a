/// Bounds on what a chat template can make the engine do. Templates come from model files, so they
/// are untrusted (the HF ecosystem sandboxes them for this reason); each limit sits far above what
/// any real chat template needs (they nest a few levels and render a conversation in thousands of
/// steps) and far below a crash or a render that runs for minutes.
enum JinjaLimits {
    /// Template source size.
    static let maxSourceBytes = 1 << 20
    /// Nesting of statements, depth of one tag's expression tree, and nesting of values (lists in
    /// lists): the parser, the interpreter and value rendering recurse this deep.
    static let maxDepth = 100
    /// Work of one render: one step per evaluation or loop iteration, per 16 list items and per
    /// 256 bytes of text made or scanned (copying those costs about what an evaluation does).
    static let maxSteps = 2_000_000
    /// Any string value, the output included.
    static let maxStringBytes = 64 << 20
    /// Any list (range, concatenation, a string taken apart).
    static let maxItems = 1 << 20
}

/// The work one render has done, charged as it is done; a limit crossed is a template error at the
/// line being run.
final class JinjaBudget {
    private var steps = 0
    /// The line of the statement or output tag being run (set by the interpreter).
    var line: Int?

    func fail(_ m: String) -> ModelError { .template(m, line: line) }

    func spend(_ n: Int = 1) throws {
        steps += n
        guard steps <= JinjaLimits.maxSteps else {
            throw fail("more than \(JinjaLimits.maxSteps) steps (a loop that does not end?)")
        }
    }

    /// Charges for `bytes` of text made or scanned and refuses a string over the size limit.
    func text(_ bytes: Int) throws {
        guard bytes <= JinjaLimits.maxStringBytes else {
            throw fail("a string of \(bytes == .max ? "more than \(Int.max)" : "\(bytes)") bytes is over the \(JinjaLimits.maxStringBytes >> 20) MiB limit")
        }
        try spend(1 + bytes / 256)
    }

    /// Charges for a list of `count` items and refuses one over the item limit.
    func items(_ count: Int) throws {
        guard count <= JinjaLimits.maxItems else {
            throw fail("a list of \(count) items is over the \(JinjaLimits.maxItems)-item limit")
        }
        try spend(1 + count / 16)
    }

    /// Appends `piece` to `out` (a string being built, or the output), refusing to grow it past
    /// the size limit.
    func append(_ piece: String, to out: inout String) throws {
        let n = piece.utf8.count
        guard out.utf8.count + n <= JinjaLimits.maxStringBytes else {
            throw fail("text of \(out.utf8.count + n) bytes is over the \(JinjaLimits.maxStringBytes >> 20) MiB limit")
        }
        try spend(1 + n / 256)
        out += piece
    }

    func depth(_ d: Int) throws {
        guard d <= JinjaLimits.maxDepth else { throw fail("nested deeper than \(JinjaLimits.maxDepth) levels") }
    }

    /// `a + b` (or `a * n`) bytes, checked for overflow before anything is allocated.
    func textSum(_ a: Int, _ b: Int) throws {
        let (n, o) = a.addingReportingOverflow(b)
        try text(o ? Int.max : n)
    }
    func textProduct(_ a: Int, _ b: Int) throws {
        let (n, o) = a.multipliedReportingOverflow(by: b)
        try text(o ? Int.max : n)
    }
}
