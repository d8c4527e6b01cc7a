import FTXCore
import FTXStore
import Foundation

/// Where a remote lives: an S3-compatible bucket prefix, or a directory (a disk, a network share).
public enum RemoteLocation: Equatable, Sendable {
    case s3(bucket: String, prefix: String)
    case directory(String)

    /// Parses `s3://BUCKET[/PREFIX]`, `file:///ABS/PATH` or a directory path (relative to `cwd`).
    /// Credentials never go into a URL: one that carries any is refused.
    public static func parse(_ url: String, cwd: String = FileManager.default.currentDirectoryPath) throws -> RemoteLocation {
        let bad = { (why: String) in RemoteError.usage("bad remote URL: \(why)", location: url,
                                                       hint: "use s3://BUCKET/PREFIX, file:///PATH or a directory path") }
        guard !url.isEmpty, !url.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else {
            throw bad("empty or contains control characters")
        }
        if url.hasPrefix("s3://") {
            let rest = url.dropFirst(5)
            let bucket = String(rest.prefix { $0 != "/" })
            if bucket.contains("@") || bucket.contains(":") {
                throw RemoteError.usage("remote URLs must not carry credentials", location: "s3://…",
                                        hint: "give credentials through AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE; ftx never stores them")
            }
            guard (3...63).contains(bucket.count),
                  bucket.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || "-._".unicodeScalars.contains($0) }) else {
                throw bad("bucket names have 3 to 63 lowercase letters, digits, '.', '-' or '_'")
            }
            let prefix = rest.dropFirst(bucket.count).split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
            guard !prefix.split(separator: "/").contains(where: { $0 == "." || $0 == ".." }), !prefix.contains("?"), !prefix.contains("#") else {
                throw bad("the prefix may not contain '.', '..' components, '?' or '#'")
            }
            return .s3(bucket: bucket, prefix: prefix)
        }
        var path = url
        if url.hasPrefix("file://") {
            path = String(url.dropFirst(7))
            guard path.hasPrefix("/") else { throw bad("file:// URLs need an absolute path (file:///…)") }
        } else if url.contains("://") {
            throw bad("unsupported scheme '\(url.prefix { $0 != ":" })'")
        }
        return .directory(SlashPath.normalizedAbsolute(path.hasPrefix("/") ? path : SlashPath.join(cwd, path)))
    }

    /// The canonical URL stored in the config and shown to users.
    public var url: String {
        switch self {
        case .s3(let b, let p): return p.isEmpty ? "s3://\(b)" : "s3://\(b)/\(p)"
        case .directory(let d): return d
        }
    }
}

/// A remote as configured in `.ftx/config` (`[remote "NAME"]`): its URL and, for S3, the endpoint,
/// region and addressing style. Credentials are not settings: they come from the environment.
public struct RemoteSettings: Equatable, Sendable {
    public var name: String
    public var location: RemoteLocation
    /// Endpoint URL (`http(s)://host[:port]`) for S3-compatible servers; nil = AWS (or AWS_ENDPOINT_URL).
    public var endpoint: String?
    public var region: String?
    /// Path-style addressing (`endpoint/bucket/key`), which MinIO needs; nil = automatic.
    public var pathStyle: Bool?
    /// This repository is a lazy clone of the remote: large files come from it on demand.
    public var lazy: Bool

    public init(name: String, location: RemoteLocation, endpoint: String? = nil, region: String? = nil,
                pathStyle: Bool? = nil, lazy: Bool = false) {
        self.name = name; self.location = location; self.endpoint = endpoint; self.region = region
        self.pathStyle = pathStyle; self.lazy = lazy
    }

    /// Remote names follow branch-name rules without '/', since they prefix tracking refs (`origin/main`).
    public static func validate(name: String) throws {
        do { try RefStore.validate(shortName: name) } catch {
            throw RemoteError.usage("invalid remote name '\(name)'", location: nil, hint: "use letters, digits, '-' and '_', e.g. origin")
        }
        if name.contains("/") {
            throw RemoteError.usage("invalid remote name '\(name)': no '/' allowed", location: nil, hint: "e.g. origin, team")
        }
    }

    /// `http(s)://host[:port]` with no credentials, path, query or fragment.
    public static func validate(endpoint: String) throws -> String {
        var e = endpoint
        while e.hasSuffix("/") { e.removeLast() }
        guard let u = URL(string: e), let scheme = u.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = u.host, !host.isEmpty else {
            throw RemoteError.usage("bad endpoint '\(endpoint)'", location: nil, hint: "e.g. --endpoint http://127.0.0.1:9000")
        }
        if u.user != nil || u.password != nil {
            throw RemoteError.usage("endpoints must not carry credentials", location: nil,
                                    hint: "give credentials through AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE; ftx never stores them")
        }
        guard u.path.isEmpty, u.query == nil, u.fragment == nil else {
            throw RemoteError.usage("bad endpoint '\(endpoint)': only scheme, host and port are allowed", location: nil, hint: nil)
        }
        return e
    }
}

/// Reading and editing the `[remote "NAME"]` sections of `.ftx/config`.
public enum RemoteConfig {
    static let section = "remote"

    public static func list(_ repo: Repository) throws -> [RemoteSettings] {
        let c = try repo.loadConfig()
        return try c.subsections(of: section).map { try settings(c, $0, path: repo.configPath) }
    }

    public static func get(_ repo: Repository, _ name: String) throws -> RemoteSettings {
        let c = try repo.loadConfig()
        guard c.hasSection(section, name) else {
            let names = c.subsections(of: section)
            throw RemoteError.usage("no remote named '\(name)'", location: repo.configPath,
                                    hint: DidYouMean.suggest(name, names).map { "did you mean '\($0)'?" }
                                        ?? (names.isEmpty ? "add one with `ftx remote add origin s3://BUCKET/PREFIX`" : "remotes: \(names.joined(separator: ", "))"))
        }
        return try settings(c, name, path: repo.configPath)
    }

    /// The remote a bare `ftx push`/`fetch`/`pull` uses: `origin`, else the only one.
    public static func defaultName(_ repo: Repository) throws -> String {
        let names = try repo.loadConfig().subsections(of: section)
        if names.contains("origin") { return "origin" }
        if names.count == 1 { return names[0] }
        throw RemoteError.usage(names.isEmpty ? "no remote is configured" : "several remotes and none is called origin",
                                location: repo.configPath,
                                hint: names.isEmpty ? "add one with `ftx remote add origin s3://BUCKET/PREFIX`" : "name one: \(names.joined(separator: ", "))")
    }

    static func settings(_ c: RepositoryConfig, _ name: String, path: String) throws -> RemoteSettings {
        guard let url = c.value(section, name, "url") else {
            throw RemoteError.usage("remote '\(name)' has no url", location: path, hint: "set one with `ftx remote set-url \(name) URL`")
        }
        func bool(_ key: String) throws -> Bool? {
            guard let v = c.value(section, name, key) else { return nil }
            switch v.lowercased() {
            case "true", "yes", "1": return true
            case "false", "no", "0": return false
            default: throw RemoteError.usage("remote '\(name)': \(key) must be true or false, not '\(v)'", location: path, hint: nil)
            }
        }
        return RemoteSettings(name: name, location: try RemoteLocation.parse(url, cwd: "/"),
                              endpoint: c.value(section, name, "endpoint"), region: c.value(section, name, "region"),
                              pathStyle: try bool("path-style"), lazy: try bool("lazy") ?? false)
    }

    static func write(_ s: RemoteSettings, into c: inout RepositoryConfig) {
        c.set(section, s.name, "url", s.location.url)
        c.set(section, s.name, "endpoint", s.endpoint)
        c.set(section, s.name, "region", s.region)
        c.set(section, s.name, "path-style", s.pathStyle.map { $0 ? "true" : "false" })
        c.set(section, s.name, "lazy", s.lazy ? "true" : nil)
    }

    public static func add(_ repo: Repository, _ s: RemoteSettings) throws {
        try RemoteSettings.validate(name: s.name)
        try repo.updateConfig { c in
            if c.hasSection(section, s.name) {
                throw RemoteError.usage("remote '\(s.name)' already exists", location: repo.configPath,
                                        hint: "change its URL with `ftx remote set-url \(s.name) URL`, or remove it first")
            }
            write(s, into: &c)
        }
    }

    public static func setURL(_ repo: Repository, _ name: String, _ location: RemoteLocation) throws {
        try repo.updateConfig { c in
            guard c.hasSection(section, name) else { throw RemoteError.usage("no remote named '\(name)'", location: repo.configPath, hint: nil) }
            c.set(section, name, "url", location.url)
        }
        // Cached pack indexes describe the old location.
        try? FileManager.default.removeItem(atPath: RemoteCache.directory(repo, name))
    }

    /// Removes the remote, its remote-tracking refs and its cached pack indexes.
    public static func remove(_ repo: Repository, _ name: String) throws {
        try repo.updateConfig { c in
            guard c.hasSection(section, name) else { throw RemoteError.usage("no remote named '\(name)'", location: repo.configPath, hint: nil) }
            c.removeSection(section, name)
        }
        for (ref, id) in try repo.refs.list(prefix: "refs/remotes/\(name)/") { try repo.refs.delete(ref, expect: id) }
        try? FileManager.default.removeItem(atPath: RemoteCache.directory(repo, name))
    }
}
