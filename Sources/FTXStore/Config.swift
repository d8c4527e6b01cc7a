import FTXCore
import Foundation

/// `.ftx/config`: git-style sections of `key = value` lines, e.g.
///
///     [core]
///         format = 1
///     [remote "origin"]
///         url = s3://team-bucket/extractor
///
/// Comments (`#`, `;`) and unknown sections survive a rewrite only as far as their values go:
/// the file is rewritten from the parsed form. Nothing secret belongs here (credentials come
/// from the environment and ~/.aws at run time).
public struct RepositoryConfig: Equatable, Sendable {
    public struct Entry: Equatable, Sendable {
        public var key: String
        public var value: String
    }

    public struct Section: Equatable, Sendable {
        public var name: String
        public var subsection: String?
        public var entries: [Entry]
    }

    public var sections: [Section] = []

    public init() {}

    /// The largest config file read (it holds a handful of sections).
    static let maxSize = 1 << 20

    public static func parse(_ text: String, path: String) throws -> RepositoryConfig {
        guard text.utf8.count <= maxSize else {
            throw ConfigError(message: "config file is larger than \(maxSize) bytes", location: path)
        }
        var config = RepositoryConfig()
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            let place = "\(path):\(n + 1)"
            if line.hasPrefix("[") {
                guard line.hasSuffix("]") else { throw ConfigError(message: "section header lacks ']'", location: place) }
                let inner = line.dropFirst().dropLast()
                if let q = inner.firstIndex(of: "\"") {
                    let name = inner[..<q].trimmingCharacters(in: .whitespaces)
                    let rest = inner[inner.index(after: q)...]
                    guard rest.hasSuffix("\""), let sub = unquote(String(rest.dropLast())) else {
                        throw ConfigError(message: "bad subsection name", location: place)
                    }
                    try checkName(name, place)
                    config.sections.append(Section(name: name.lowercased(), subsection: sub, entries: []))
                } else {
                    let name = inner.trimmingCharacters(in: .whitespaces)
                    try checkName(name, place)
                    config.sections.append(Section(name: name.lowercased(), subsection: nil, entries: []))
                }
                continue
            }
            guard !config.sections.isEmpty else { throw ConfigError(message: "value outside a section", location: place) }
            guard let eq = line.firstIndex(of: "=") else { throw ConfigError(message: "expected `key = value`", location: place) }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            try checkName(key, place)
            if value.hasPrefix("\"") {
                guard value.count >= 2, value.hasSuffix("\""), let v = unquote(String(value.dropFirst().dropLast())) else {
                    throw ConfigError(message: "bad quoted value", location: place)
                }
                value = v
            }
            config.sections[config.sections.count - 1].entries.append(Entry(key: key.lowercased(), value: value))
        }
        return config
    }

    private static func checkName(_ name: String, _ place: String) throws {
        guard !name.isEmpty, name.utf8.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 45 || $0 == 46 }) else {
            throw ConfigError(message: "bad name '\(name)': use letters, digits, '-' and '.'", location: place)
        }
    }

    /// Reverses `quote`; nil on a stray quote or a bad escape.
    private static func unquote(_ s: String) -> String? {
        var out = ""
        var it = s.makeIterator()
        while let c = it.next() {
            if c == "\\" {
                switch it.next() {
                case "\\": out.append("\\")
                case "\"": out.append("\"")
                case "n": out.append("\n")
                default: return nil
                }
            } else if c == "\"" {
                return nil
            } else {
                out.append(c)
            }
        }
        return out
    }

    private static func quote(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n") + "\""
    }

    public func serialized() -> String {
        var out = ""
        for s in sections {
            out += s.subsection.map { "[\(s.name) \(Self.quote($0))]\n" } ?? "[\(s.name)]\n"
            for e in s.entries {
                let plain = !e.value.isEmpty && !e.value.contains(where: { "\"\\\n#;".contains($0) })
                    && e.value.trimmingCharacters(in: .whitespaces) == e.value
                out += "\t\(e.key) = \(plain ? e.value : Self.quote(e.value))\n"
            }
        }
        return out
    }

    /// The last value of `key` in section `[name "sub"]` (git's rule: the last one wins).
    public func value(_ name: String, _ subsection: String?, _ key: String) -> String? {
        var found: String? = nil
        for s in sections where s.name == name && s.subsection == subsection {
            for e in s.entries where e.key == key { found = e.value }
        }
        return found
    }

    /// Every subsection name of sections called `name` (e.g. the remotes), in file order.
    public func subsections(of name: String) -> [String] {
        var out: [String] = []
        for s in sections where s.name == name { if let sub = s.subsection, !out.contains(sub) { out.append(sub) } }
        return out
    }

    public func hasSection(_ name: String, _ subsection: String?) -> Bool {
        sections.contains { $0.name == name && $0.subsection == subsection }
    }

    /// Sets (or with nil removes) `key`, creating the section when needed.
    public mutating func set(_ name: String, _ subsection: String?, _ key: String, _ value: String?) {
        for i in sections.indices where sections[i].name == name && sections[i].subsection == subsection {
            sections[i].entries.removeAll { $0.key == key }
        }
        guard let value else { return }
        if let i = sections.lastIndex(where: { $0.name == name && $0.subsection == subsection }) {
            sections[i].entries.append(Entry(key: key, value: value))
        } else {
            sections.append(Section(name: name, subsection: subsection, entries: [Entry(key: key, value: value)]))
        }
    }

    public mutating func removeSection(_ name: String, _ subsection: String?) {
        sections.removeAll { $0.name == name && $0.subsection == subsection }
    }

    /// Renames every section `[name "from"]` to `[name "to"]`.
    public mutating func renameSubsection(_ name: String, from: String, to: String) {
        for i in sections.indices where sections[i].name == name && sections[i].subsection == from {
            sections[i].subsection = to
        }
    }
}

public struct ConfigError: FTXError {
    public let message: String
    public let location: String?
}

extension Repository {
    public var configPath: String { ftxDirectory + "/config" }

    public func loadConfig() throws -> RepositoryConfig {
        guard let data = FileManager.default.contents(atPath: configPath) else { return RepositoryConfig() }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(message: "config file is not UTF-8", location: configPath)
        }
        return try RepositoryConfig.parse(text, path: configPath)
    }

    /// Read-modify-write of the config under `config.lock`, so concurrent edits never lose one another.
    public func updateConfig<T>(_ body: (inout RepositoryConfig) throws -> T) throws -> T {
        let lock = try LockFile.acquire(configPath + ".lock")
        defer { lock.release() }
        var config = try loadConfig()
        let result = try body(&config)
        try lock.commit(Data(config.serialized().utf8), to: configPath)
        return result
    }
}
