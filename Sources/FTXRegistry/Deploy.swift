import FTXCore
import FTXStore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Deploy and rollback over `refs/deploy/<env>` (docs/deploy.md). Deploying checks the commit's gate
/// status, materializes its `adapter/` tree into `.ftx/deploy/<env>/` by an atomic directory swap,
/// then moves the ref (compare-and-swap, with a reflog entry saying who, when and why). The
/// directory is swapped before the ref moves, so a server that reloads when the ref moves always
/// finds the new adapter already complete.
extension Registry {
    public struct DeployOutcome: Sendable {
        public let env: String
        public let commit: ObjectID
        public let previous: ObjectID?
        public let forced: Bool
        public let directory: String
        public let reflogMessage: String
    }

    /// The file written beside the adapter files, naming what is deployed (for `serve`).
    public static let deployManifestName = "deploy.json"

    /// `force` deploys a commit whose gates failed (with a `reason`); `overrideFlag` is how the
    /// calling command spells it, for the refusal's hint.
    public func deploy(revision: String, env: String, force: Bool = false, reason: String? = nil,
                       rollback: Bool = false, overrideFlag: String = "--force", who: Signature = .current()) throws -> DeployOutcome {
        try RefStore.validate(shortName: env)
        try checkDeployHistoryReaches(revision)
        let target = try commit(revision)
        let run = target.run
        let failed = RunHeader.gateStatus(in: target.commit.extraHeaders) == .failed
        if failed && !force { throw RegistryError.gateFailed(commit: target.id.hex, env: env, overrideFlag: overrideFlag) }
        if failed, (reason ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
            throw RegistryError.missing("deploying a commit whose gates failed needs a reason",
                                        hint: "add --reason \"why this is acceptable\" (it is kept in the deploy reflog)")
        }
        guard let adapter = try entry("adapter", in: target.commit), adapter.kind == .tree else {
            throw RegistryError.noAdapter(target.id.hex)
        }
        let ref = "refs/deploy/\(env)"
        let lock = try EnvLock(path: "\(deployDirectory)/.\(env).lock")
        defer { lock.release() }
        let previous = try repo.refs.resolve(ref).id
        let dir = "\(deployDirectory)/\(env)"

        var message = rollback ? "\(DeployEvent.rollbackPrefix)\(env) to \(revision) (\(target.id.short))" : "deploy \(target.id.short)"
        message += ": \(target.commit.summary)"
        if failed { message += DeployEvent.forcedMark }
        if let reason, !reason.isEmpty { message += "\(DeployEvent.reasonMark)\(reason)" }

        try materialize(target, adapter: adapter, env: env, into: dir, run: run, who: who)
        do {
            try repo.refs.update(ref, to: target.id, expect: .value(previous), who: who, reason: message)
        } catch {
            // The ref did not move: put the directory back to what the ref still names.
            if let previous, let old = try? commit(previous.hex), let a = try? entry("adapter", in: old.commit) {
                try? materialize(old, adapter: a, env: env, into: dir, run: old.run, who: who)
            }
            throw error
        }
        return DeployOutcome(env: env, commit: target.id, previous: previous, forced: failed,
                             directory: dir, reflogMessage: message)
    }

    /// The environment a revision like `prod@{1}` names when `prod` resolves to `refs/deploy/prod`
    /// (not a branch or tag of that name); nil otherwise. `ftx checkout` uses it to roll back.
    public func deployEnvironment(of revision: String) throws -> String? {
        guard let at = revision.range(of: "@{"), revision.hasSuffix("}") else { return nil }
        let name = String(revision[..<at.lowerBound])
        guard !name.isEmpty, let ref = try repo.refName(for: name), ref.hasPrefix("refs/deploy/") else { return nil }
        return String(ref.dropFirst("refs/deploy/".count))
    }

    /// `ENV@{N}` with N at or past the number of deployments of ENV names nothing: say so (there is
    /// no earlier deployment to roll back to) and show the history, instead of the store's bare
    /// "has only N reflog entries".
    func checkDeployHistoryReaches(_ revision: String) throws {
        guard let env = try deployEnvironment(of: revision),
              let open = revision.range(of: "@{", options: .backwards),
              let n = Int(revision[open.upperBound...].dropLast()) else { return }
        let events = try deployHistory(env: env)
        guard n >= events.count, !events.isEmpty else { return }
        throw RegistryError.noEarlierDeployment(env: env, revision: revision, back: n, deployments: events.count,
                                                history: deployHistoryTable(env: env, events))
    }

    /// `ftx deploy --history ENV` as a table: REV (ENV@{N}), COMMIT, WHEN, WHO, WHY.
    public func deployHistoryTable(env: String, _ events: [DeployEvent]) -> String {
        RunTable.table(["REV", "COMMIT", "WHEN", "WHO", "WHY"], events.enumerated().map { i, e in
            ["\(env)@{\(i)}", e.new.short, RunTable.day(e.time), e.who, e.message]
        })
    }

    /// Moves `env` back to an earlier deployment: `to` is any revision, `<env>@{1}` by default.
    public func rollback(env: String, to revision: String? = nil, force: Bool = false, reason: String? = nil,
                         overrideFlag: String = "--force", who: Signature = .current()) throws -> DeployOutcome {
        let ref = "refs/deploy/\(env)"
        guard try repo.refs.resolve(ref).id != nil else { throw RegistryError.unknownEnvironment(env) }
        let rev = revision ?? "\(env)@{1}"
        return try deploy(revision: rev, env: env, force: force, reason: reason, rollback: true, overrideFlag: overrideFlag, who: who)
    }

    private func materialize(_ target: ResolvedCommit, adapter: TreeEntry, env: String, into dir: String,
                             run: RunHeader?, who: Signature) throws {
        try AtomicDirectory.replace(dir) { tmp in
            try writeTree(adapter.id, into: tmp)
            var manifest: [String: Any] = ["env": env, "commit": target.id.hex, "deployed_by": who.ident,
                                           "deployed_at": who.time]
            if let b = run?.baseID { manifest["base"] = b }
            if let n = run?.baseName { manifest["base_name"] = n }
            if let b = run?.baseID, let path = try? BaseRegistry(registry: self).localPath(forID: b) { manifest["base_path"] = path }
            let data = try JSONSerialization.data(withJSONObject: manifest, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            try AtomicDirectory.writeFile(data, to: "\(tmp)/\(Registry.deployManifestName)")
        }
    }

    /// One environment's current deployment, for `ftx deploy --list`.
    public struct Deployment: Sendable {
        public let env: String
        public let commit: ObjectID
        public let summary: String
        public let gateStatus: GateStatus
        public let history: [DeployEvent]
    }

    /// One reflog entry of a deploy ref: who moved it from what to what, when and why.
    public struct DeployEvent: Sendable {
        public let old: ObjectID?
        public let new: ObjectID
        public let who: String
        public let time: Int64
        public let message: String

        // How `deploy` writes the reflog message, so its parts can be read back.
        static let rollbackPrefix = "rollback ", forcedMark = " [forced: gates failed]", reasonMark = "; reason: "
        /// A rollback (`ftx deploy --rollback`, `ftx checkout ENV@{N}`), not a deploy.
        public var isRollback: Bool { message.hasPrefix(Self.rollbackPrefix) }
        /// Deployed although its gates failed.
        public var forced: Bool { message.contains(Self.forcedMark) }
        /// The `--reason` given, if any.
        public var reason: String? {
            message.range(of: Self.reasonMark).map { String(message[$0.upperBound...]) }
        }
    }

    public func deployments() throws -> [Deployment] {
        try repo.refs.list(prefix: "refs/deploy/").map { name, id in
            let env = String(name.dropFirst("refs/deploy/".count))
            let c = try repo.objects.readCommit(id)
            return Deployment(env: env, commit: id, summary: c.summary,
                              gateStatus: RunHeader.gateStatus(in: c.extraHeaders) ?? .none,
                              history: try deployHistory(env: env))
        }
    }

    /// The reflog of `refs/deploy/<env>`, newest first.
    public func deployHistory(env: String) throws -> [DeployEvent] {
        try repo.refs.reflog("refs/deploy/\(env)").reversed().map {
            DeployEvent(old: $0.old.isZero ? nil : $0.old, new: $0.new, who: $0.who.ident, time: $0.who.time, message: $0.message)
        }
    }
}

/// An exclusive per-environment lock (O_EXCL) so two deploys of one env never interleave their
/// directory swap and ref update. A lock left by a dead process is taken over.
final class EnvLock {
    let path: String
    private var held = true

    init(path: String, timeout: Double = 10) throws {
        self.path = path
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd >= 0 {
                let s = "\(getpid())\n"
                _ = s.withCString { write(fd, $0, strlen($0)) }
                close(fd)
                return
            }
            if let text = try? String(contentsOfFile: path, encoding: .utf8),
               let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0,
               kill(pid, 0) == -1, errno == ESRCH {
                unlink(path)
                continue
            }
            if Date() > deadline {
                throw RegistryError.deployFailed("another deploy of this environment is in progress", path)
            }
            usleep(20_000)
        }
    }

    func release() {
        if held { unlink(path); held = false }
    }

    deinit { release() }
}
