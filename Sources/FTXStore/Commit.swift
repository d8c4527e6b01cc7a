import Foundation

/// Who did something and when: `Name <email> <unix seconds> <+hhmm>` as git writes it.
public struct Signature: Hashable, Sendable {
    public var ident: String
    public var time: Int64
    public var timezone: String

    public init(ident: String, time: Int64, timezone: String = "+0000") {
        self.ident = ident; self.time = time; self.timezone = timezone
    }

    /// From FTX_AUTHOR ("Name <email>") and FTX_DATE (unix seconds), else the user and the clock.
    public static func current() -> Signature {
        let env = ProcessInfo.processInfo.environment
        let user = env["USER"] ?? env["LOGNAME"] ?? "ftx"
        let host = ProcessInfo.processInfo.hostName
        var ident = env["FTX_AUTHOR"] ?? "\(user) <\(user)@\(host)>"
        ident = ident.replacingOccurrences(of: "\n", with: " ")
        let time = env["FTX_DATE"].flatMap { Int64($0) } ?? Int64(Date().timeIntervalSince1970)
        return Signature(ident: ident, time: time)
    }

    public var text: String { "\(ident) \(time) \(timezone)" }

    public static func parse(_ s: Substring) -> Signature? {
        let parts = s.split(separator: " ")
        guard parts.count >= 3, let t = Int64(parts[parts.count - 2]) else { return nil }
        let tz = String(parts[parts.count - 1])
        guard tz.count == 5, tz.first == "+" || tz.first == "-" else { return nil }
        return Signature(ident: parts[0..<(parts.count - 2)].joined(separator: " "), time: t, timezone: tz)
    }

    public var date: Date { Date(timeIntervalSince1970: TimeInterval(time)) }
}

/// A commit: tree, parents, author, committer, then an ordered list of extra `key value` headers
/// (base model, seed, metrics, gate status… added by higher layers), a blank line and the message.
public struct Commit: Sendable {
    public var tree: ObjectID
    public var parents: [ObjectID]
    public var author: Signature
    public var committer: Signature
    /// Extra headers in order; values may span lines (escaped as `\n`, backslash as `\\`).
    public var extraHeaders: [(String, String)]
    public var message: String

    public static let reservedKeys: Set<String> = ["tree", "parent", "author", "committer"]

    public init(tree: ObjectID, parents: [ObjectID], author: Signature, committer: Signature? = nil,
                extraHeaders: [(String, String)] = [], message: String) {
        self.tree = tree; self.parents = parents; self.author = author
        self.committer = committer ?? author; self.extraHeaders = extraHeaders; self.message = message
    }

    /// The first value of an extra header.
    public func header(_ key: String) -> String? { extraHeaders.first { $0.0 == key }?.1 }

    public var summary: String { String(message.split(separator: "\n", omittingEmptySubsequences: false).first ?? "") }

    /// Header keys: lowercase letters, digits, `.`, `_`, `-`, starting with a letter; not a reserved key.
    public static func validate(key: String) throws {
        let u = Array(key.utf8)
        guard let f = u.first, (97...122).contains(f),
              u.allSatisfy({ (97...122).contains($0) || (48...57).contains($0) || $0 == 46 || $0 == 95 || $0 == 45 }) else {
            throw StoreError.usage("invalid commit header key '\(key)': use lowercase letters, digits, '.', '_', '-'")
        }
        if reservedKeys.contains(key) { throw StoreError.usage("commit header key '\(key)' is reserved") }
    }

    public func serialized() throws -> Data {
        var s = "tree \(tree.hex)\n"
        for p in parents { s += "parent \(p.hex)\n" }
        s += "author \(author.text)\n"
        s += "committer \(committer.text)\n"
        for (k, v) in extraHeaders {
            try Commit.validate(key: k)
            s += "\(k) \(HeaderEscape.escape(v))\n"
        }
        s += "\n" + message
        return Data(s.utf8)
    }

    public static func parse(_ data: Data, id: String) throws -> Commit {
        guard let text = String(data: data, encoding: .utf8) else {
            throw StoreError.badObject(id: id, reason: "commit is not UTF-8")
        }
        guard let split = text.range(of: "\n\n") else {
            throw StoreError.badObject(id: id, reason: "commit has no blank line before its message")
        }
        let head = text[..<split.lowerBound]
        let message = String(text[split.upperBound...])
        var tree: ObjectID?
        var parents: [ObjectID] = []
        var author: Signature?, committer: Signature?
        var extra: [(String, String)] = []
        for (n, line) in head.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard let sp = line.firstIndex(of: " ") else {
                throw StoreError.badObject(id: id, reason: "commit header line \(n + 1) has no value")
            }
            let key = String(line[..<sp]), value = line[line.index(after: sp)...]
            switch key {
            case "tree":
                guard tree == nil, n == 0, let t = ObjectID(hex: String(value)) else {
                    throw StoreError.badObject(id: id, reason: "bad tree line")
                }
                tree = t
            case "parent":
                guard author == nil, let p = ObjectID(hex: String(value)) else {
                    throw StoreError.badObject(id: id, reason: "bad parent line \(n + 1)")
                }
                parents.append(p)
            case "author":
                guard author == nil, let a = Signature.parse(value) else { throw StoreError.badObject(id: id, reason: "bad author line") }
                author = a
            case "committer":
                guard committer == nil, author != nil, let c = Signature.parse(value) else {
                    throw StoreError.badObject(id: id, reason: "bad committer line")
                }
                committer = c
            default:
                guard committer != nil, (try? validate(key: key)) != nil, let v = HeaderEscape.unescape(value) else {
                    throw StoreError.badObject(id: id, reason: "bad header line \(n + 1) ('\(key)')")
                }
                extra.append((key, v))
            }
        }
        guard let tree, let author, let committer else {
            throw StoreError.badObject(id: id, reason: "commit lacks tree, author or committer")
        }
        return Commit(tree: tree, parents: parents, author: author, committer: committer,
                      extraHeaders: extra, message: message)
    }
}

/// An annotated tag: the object it names, that object's type, the tag name, the tagger, a message.
public struct Tag: Sendable {
    public var object: ObjectID
    public var type: ObjectType
    public var name: String
    public var tagger: Signature
    public var message: String

    public init(object: ObjectID, type: ObjectType, name: String, tagger: Signature, message: String) {
        self.object = object; self.type = type; self.name = name; self.tagger = tagger; self.message = message
    }

    public func serialized() -> Data {
        Data("object \(object.hex)\ntype \(type.rawValue)\ntag \(name)\ntagger \(tagger.text)\n\n\(message)".utf8)
    }

    public static func parse(_ data: Data, id: String) throws -> Tag {
        guard let text = String(data: data, encoding: .utf8), let split = text.range(of: "\n\n") else {
            throw StoreError.badObject(id: id, reason: "tag is not UTF-8 text with a blank line before its message")
        }
        let lines = text[..<split.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count == 4,
              lines[0].hasPrefix("object "), let obj = ObjectID(hex: String(lines[0].dropFirst(7))),
              lines[1].hasPrefix("type "), let type = ObjectType(rawValue: String(lines[1].dropFirst(5))),
              lines[2].hasPrefix("tag "), !lines[2].dropFirst(4).isEmpty,
              lines[3].hasPrefix("tagger "), let tagger = Signature.parse(lines[3].dropFirst(7)) else {
            throw StoreError.badObject(id: id, reason: "tag header is not object/type/tag/tagger")
        }
        return Tag(object: obj, type: type, name: String(lines[2].dropFirst(4)), tagger: tagger,
                   message: String(text[split.upperBound...]))
    }
}

/// Escaping for header values so a value never spans lines: `\\` and `\n` (and `\r`).
public enum HeaderEscape {
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for ch in s.unicodeScalars {
            switch ch {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    public static func unescape<S: StringProtocol>(_ s: S) -> String? {
        var out = ""
        var it = s.unicodeScalars.makeIterator()
        while let ch = it.next() {
            if ch == "\\" {
                switch it.next() {
                case "\\": out += "\\"
                case "n": out += "\n"
                case "r": out += "\r"
                default: return nil
                }
            } else if ch == "\n" {
                return nil
            } else {
                out.unicodeScalars.append(ch)
            }
        }
        return out
    }
}
