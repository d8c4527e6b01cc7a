import FTXCore
import FTXStore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One ref's fate in a push or fetch.
public struct RefUpdate: Sendable {
    public enum Status: String, Sendable {
        case created, updated, forced, deleted, rejected, skipped
        case upToDate = "up-to-date"
    }
    /// The remote's ref for a push; the local ref written for a fetch.
    public var ref: String
    public var old: ObjectID?
    public var new: ObjectID?
    public var status: Status
    public var reason: String?
}

/// What a push or fetch did (or, with --dry-run, would do).
public struct TransferReport: Sendable {
    public var remote: String
    public var url: String
    public var objects = 0
    public var bytes: Int64 = 0
    public var packs = 0
    public var refs: [RefUpdate] = []
    public var promised = 0
    public var dryRun = false
    public var hasRejections: Bool { refs.contains { $0.status == .rejected } }
}

/// A configured remote of a repository: push, fetch, pull, on-demand fetches and gc go through it.
public final class Remote {
    public let repo: Repository
    public let settings: RemoteSettings
    public let policy: TransferPolicy
    let storage: RemoteStorage
    /// Parallel connections (`--jobs`).
    public let jobs: Int
    /// Progress bars on stderr.
    public var showProgress = true
    /// The last snapshot, reused by on-demand fetches within one command.
    var cachedSnapshot: RemoteSnapshot?

    public init(repo: Repository, settings: RemoteSettings, policy: TransferPolicy = TransferPolicy(), jobs: Int = 8,
                environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.repo = repo
        self.settings = settings
        self.policy = policy
        self.jobs = max(1, min(jobs, 64))
        switch settings.location {
        case .s3(let bucket, let prefix):
            storage = try S3Storage(settings: settings, bucket: bucket, prefix: prefix,
                                    environment: try AWSEnvironment.resolve(environment), jobs: self.jobs)
        case .directory(let path):
            storage = DirectoryStorage(settings: settings, path: path)
        }
    }

    public convenience init(repo: Repository, name: String, policy: TransferPolicy = TransferPolicy(), jobs: Int = 8) throws {
        try self.init(repo: repo, settings: RemoteConfig.get(repo, name), policy: policy, jobs: jobs)
    }

    public var name: String { settings.name }
    var cacheDirectory: String { RemoteCache.directory(repo, name) }

    func snapshot(requireManifest: Bool) throws -> RemoteSnapshot {
        let s = try RemoteSnapshot.load(storage, cacheDirectory: cacheDirectory, requireManifest: requireManifest)
        cachedSnapshot = s
        return s
    }

    /// The local ref that follows a remote ref: branches and deploy refs become remote-tracking refs
    /// (`refs/remotes/origin/main`, `refs/remotes/origin/deploy/prod`); tags and companion refs
    /// (base records) keep their own names and are only created when absent.
    func trackingRef(for remoteRef: String) -> String? {
        if remoteRef.hasPrefix("refs/heads/") { return "refs/remotes/\(name)/" + remoteRef.dropFirst(11) }
        if remoteRef.hasPrefix("refs/deploy/") { return "refs/remotes/\(name)/deploy/" + remoteRef.dropFirst(12) }
        return nil
    }

    func isCompanion(_ ref: String) -> Bool { policy.companionPrefixes.contains { ref.hasPrefix($0) } }

    /// Moves a remote-tracking ref. These mirror the remote and only fetch and push write them, so
    /// a lock left by one that was killed (its process gone) is removed rather than reported.
    func setTracking(_ ref: String, to id: ObjectID, reason: String) throws {
        do {
            try repo.refs.update(ref, to: id, expect: .any, who: .current(), reason: reason)
        } catch StoreError.staleLock(let path, .some) where path == repo.refs.path(ref) + ".lock" {
            unlink(path)
            try repo.refs.update(ref, to: id, expect: .any, who: .current(), reason: reason)
        }
    }

    /// A progress bar (bytes, MB/s, objects) for a transfer of `total` bytes carrying `objects`
    /// objects; returns the handler and a finisher. Off the terminal (logs, CI), only transfers of
    /// 8 MB or more report.
    func meter(_ label: String, total: Int64, objects: Int) -> (handler: TransferProgressHandler, done: () -> Void) {
        let visible = showProgress && total > 0 && (isatty(STDERR_FILENO) != 0 || total >= 8_000_000)
        let reporter = ProgressReporter(label: label, total: Int(max(total, 1)), enabled: visible, format: ProgressReporter.formatBytes)
        let start = Date()
        let rate = { (n: Int64) -> String in
            let s = Date().timeIntervalSince(start)
            return s > 0 ? ProgressReporter.formatBytes(Int64(Double(n) / s)) + "/s" : ""
        }
        let count = "\(objects) objects"
        let handler: TransferProgressHandler = { sent, received in
            let n = max(sent, received)
            if n < total { reporter.update(Int(n), [rate(n), count]) }
        }
        return (handler, { reporter.update(Int(total), [rate(total), count], force: true) })
    }

    /// True when `ancestor` is `descendant` or one of its ancestors (both must be local).
    func isAncestor(_ ancestor: ObjectID, of descendant: ObjectID) throws -> Bool {
        var seen = Set<ObjectID>()
        var stack = [descendant]
        while let id = stack.popLast() {
            if id == ancestor { return true }
            guard seen.insert(id).inserted, repo.objects.contains(id) else { continue }
            stack.append(contentsOf: try repo.objects.readCommit(id).parents)
        }
        return false
    }
}
