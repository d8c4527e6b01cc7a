/// Slash-separated paths (repository-relative like `data/train.jsonl`, or absolute), handled as
/// UTF-8 bytes. Foundation's path helpers are not used for these: they compare by Unicode
/// equivalence instead of bytes, treat some inputs specially, and `deletingLastPathComponent`
/// crashed on a one-character relative path. `/` is ASCII, so every split lands on a character
/// boundary and the pieces are valid strings.
public enum SlashPath {
    private static let slash = UInt8(ascii: "/")

    /// Everything before the last `/`: `a/b/c` → `a/b`, `a` → `` (the root of a relative path),
    /// `/a` → `/`, `/` → `/`, `` → ``. A trailing slash is part of the last component (`a/` → `a`).
    public static func parent(_ path: String) -> String {
        guard let i = path.utf8.lastIndex(of: slash) else { return "" }
        if i == path.utf8.startIndex { return "/" }
        return String(path[..<i])
    }

    /// Everything after the last `/`: `a/b` → `b`, `a` → `a`, `/` → ``, `a/` → ``.
    public static func lastComponent(_ path: String) -> String {
        guard let i = path.utf8.lastIndex(of: slash) else { return path }
        return String(path[path.utf8.index(after: i)...])
    }

    /// `base/name`, where an empty base is the root of a relative path and `/` the root directory.
    public static func join(_ base: String, _ name: String) -> String {
        if base.isEmpty { return name }
        if name.isEmpty { return base }
        return base.utf8.last == slash ? base + name : base + "/" + name
    }

    /// The components between slashes, empty ones included (`a//b` → `a`, ``, `b`), so callers that
    /// validate can refuse them; `` has none.
    public static func components(_ path: String) -> [Substring] {
        // Split on the byte: String.split would keep a `/` followed by a combining mark whole.
        path.isEmpty ? [] : path.utf8.split(separator: slash, omittingEmptySubsequences: false).map { Substring($0) }
    }

    /// True when `path` is `ancestor` or lies beneath it, comparing bytes. The empty ancestor is the
    /// root of a relative path and contains everything.
    public static func isWithin(_ path: String, _ ancestor: String) -> Bool {
        if ancestor.isEmpty { return true }
        guard path.utf8.starts(with: ancestor.utf8) else { return false }
        let rest = path.utf8.dropFirst(ancestor.utf8.count)
        return rest.isEmpty || rest.first == slash || ancestor.utf8.last == slash
    }

    /// `path` below `ancestor`: `relative("/w/a/b", to: "/w")` → `a/b`, `` for the ancestor itself,
    /// nil when `path` is not within it.
    public static func relative(_ path: String, to ancestor: String) -> String? {
        guard isWithin(path, ancestor) else { return nil }
        var rest = path.utf8.dropFirst(ancestor.utf8.count)
        if rest.first == slash { rest = rest.dropFirst() }
        return String(Substring(rest))
    }

    /// An absolute path with `.`, `..` and repeated slashes resolved lexically (symbolic links are
    /// not followed): `/a/./b/../c//d/` → `/a/c/d`. `..` above the root stays at the root.
    public static func normalizedAbsolute(_ path: String) -> String {
        var parts: [Substring] = []
        for c in components(path) where !c.isEmpty && !c.utf8.elementsEqual(".".utf8) {
            if c.utf8.elementsEqual("..".utf8) { _ = parts.popLast() } else { parts.append(c) }
        }
        return "/" + parts.joined(separator: "/")
    }

    /// Any path with `.`, `..` and repeated slashes resolved lexically: absolute ones as
    /// `normalizedAbsolute`, relative ones stay relative (`configs/../data/x` → `data/x`; a leading
    /// `..` that cannot be resolved is kept: `../x/../../y` → `../../y`; nothing left is `.`).
    public static func normalized(_ path: String) -> String {
        if path.utf8.first == slash { return normalizedAbsolute(path) }
        if path.isEmpty { return path }
        var parts: [Substring] = []
        for c in components(path) where !c.isEmpty && !c.utf8.elementsEqual(".".utf8) {
            if c.utf8.elementsEqual("..".utf8), let last = parts.last, !last.utf8.elementsEqual("..".utf8) {
                parts.removeLast()
            } else {
                parts.append(c)
            }
        }
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }
}
