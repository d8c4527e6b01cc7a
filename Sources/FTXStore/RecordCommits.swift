import Foundation

/// Record commits: a commit whose header has a `run` key (what `ftx run` writes) records a run's
/// outputs (config, data, adapter, report, log) and is not a state of the work tree. The work tree
/// stands for the nearest first-parent ancestor that is not a record, so `status`, `checkout` and
/// `commit` compare against that commit's tree, and a run leaves the work tree clean.
extension Commit {
    public static let recordHeaderKey = "run"

    public var isRecord: Bool { header(Commit.recordHeaderKey) != nil }
}

extension Repository {
    /// The commit whose tree the work tree stands for when `id` is checked out: `id` itself, or
    /// its nearest first-parent ancestor that is not a record commit (nil when there is none).
    public func workTreeCommit(of id: ObjectID) throws -> ObjectID? {
        var cur: ObjectID? = id
        while let c = cur {
            let commit = try objects.readCommit(c)
            if !commit.isRecord { return c }
            cur = commit.parents.first
        }
        return nil
    }

    /// Files of `workTreeCommit(of: id)` (empty when every commit down to the root is a record).
    public func workTreeFiles(of id: ObjectID) throws -> [String: (kind: EntryKind, id: ObjectID)] {
        guard let c = try workTreeCommit(of: id) else { return [:] }
        return try flatten(tree: objects.readCommit(c).tree)
    }
}
