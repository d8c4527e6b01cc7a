import FTXCore
import FTXRemote
import FTXStore
import Foundation

/// The registry porcelain over one repository: deploys, registered base models, the run index and
/// run commits. It installs the `base` revision hook on the repository it wraps.
public final class Registry {
    public let repo: Repository

    public init(repo: Repository) {
        self.repo = repo
        repo.revisionHook = { name, repository in try BaseRegistry.revisionTarget(name, repository) }
        // A lazy clone fetches large files when a command first reads them.
        if repo.objects.fetchMissing == nil { OnDemandFetch.install(on: repo, policy: Self.transferPolicy) }
    }

    public static func discover(from directory: String = FileManager.default.currentDirectoryPath) throws -> Registry {
        Registry(repo: try Repository.discover(from: directory))
    }

    /// `.ftx/deploy/` — materialized adapters, one directory per environment.
    public var deployDirectory: String { repo.ftxDirectory + "/deploy" }

    /// A resolved commit with its parsed object.
    public struct ResolvedCommit {
        public let id: ObjectID
        public let commit: Commit
        public var run: RunHeader? { RunHeader(headers: commit.extraHeaders) }
    }

    public func commit(_ rev: String) throws -> ResolvedCommit {
        let id = try repo.resolveCommit(rev)
        return ResolvedCommit(id: id, commit: try repo.objects.readCommit(id))
    }

    /// The entry named `path` (slash-separated) in a commit's tree, or nil.
    public func entry(_ path: String, in commit: Commit) throws -> TreeEntry? {
        var tree = try repo.objects.readTree(commit.tree)
        let parts = SlashPath.components(path).filter { !$0.isEmpty }.map(String.init)
        for (i, p) in parts.enumerated() {
            guard let e = tree[p] else { return nil }
            if i == parts.count - 1 { return e }
            guard e.kind == .tree else { return nil }
            tree = try repo.objects.readTree(e.id)
        }
        return nil
    }

    /// The bytes of a file in a commit's tree, or nil when absent.
    public func file(_ path: String, in commit: Commit) throws -> Data? {
        guard let e = try entry(path, in: commit), e.kind.isFile else { return nil }
        return try readFile(e)
    }

    public func readFile(_ e: TreeEntry) throws -> Data {
        var out = Data()
        try repo.objects.streamFile(kind: e.kind, id: e.id) { out.append($0) }
        return out
    }

    /// Writes every file of a tree under `directory`, creating subdirectories (names are validated
    /// by the store when trees are parsed, so nothing can land outside `directory`).
    public func writeTree(_ tree: ObjectID, into directory: String) throws {
        for (path, e) in try repo.flatten(tree: tree).sorted(by: { $0.key < $1.key }) {
            let dest = SlashPath.join(directory, path)
            try? FileManager.default.createDirectory(atPath: SlashPath.parent(dest), withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: dest, contents: nil), let h = FileHandle(forWritingAtPath: dest) else {
                throw RegistryError.io("cannot write file", location: dest)
            }
            defer { try? h.close() }
            try repo.objects.streamFile(kind: e.kind, id: e.id) { try h.write(contentsOf: $0) }
        }
    }
}
