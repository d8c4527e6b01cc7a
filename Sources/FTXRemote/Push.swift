import FTXCore
import FTXStore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public struct PushOptions: Sendable {
    /// Branches, tags or deploy refs by name (short or full); empty = the current branch.
    public var refs: [String] = []
    /// Also every tag / every branch.
    public var tags = false
    public var all = false
    /// Send base model bytes too (their records always travel).
    public var withBases = false
    /// `--force-with-lease[=REF[:ID]]`: overwrite a ref even when not a fast-forward, but only if the
    /// remote still holds what we expect (our remote-tracking ref, or ID).
    public var leases: [Lease] = []
    public var dryRun = false

    public struct Lease: Sendable {
        /// nil: every pushed ref, each against its remote-tracking ref.
        public var ref: String?
        /// nil: the remote-tracking ref's value; "" : the ref must not exist; else an id (or prefix).
        public var expected: String?
        public init(ref: String?, expected: String?) { self.ref = ref; self.expected = expected }
    }

    public init() {}
}

extension Remote {
    /// Packs larger than this are split, so big pushes upload in parallel (FTX_REMOTE_PACK_BYTES).
    static var packLimit: UInt64 {
        ProcessInfo.processInfo.environment["FTX_REMOTE_PACK_BYTES"].flatMap(UInt64.init).map { max($0, 1 << 10) } ?? 128 << 20
    }

    struct PushTarget {
        let ref: String        // the same name locally and on the remote
        let id: ObjectID
        let companion: Bool
    }

    /// The refs a push names: explicit ones, the current branch by default, --tags, --all, and the
    /// companion refs (base records) that always travel along.
    func pushTargets(_ o: PushOptions) throws -> [PushTarget] {
        var names: [String] = []
        for n in o.refs {
            guard let full = try repo.refName(for: n), full != "HEAD",
                  ["refs/heads/", "refs/tags/", "refs/deploy/"].contains(where: { full.hasPrefix($0) }) || isCompanion(full) else {
                throw RemoteError.usage("no branch, tag or deploy ref named '\(n)'", location: nil, hint: "see `ftx branch`, `ftx tag` and `ftx deploy --list`")
            }
            names.append(full)
        }
        if o.refs.isEmpty && !o.tags && !o.all {
            guard let b = try repo.refs.currentBranch() else {
                throw RemoteError.usage("HEAD is detached, so there is no current branch to push", location: nil, hint: "name what to push: `ftx push origin main`")
            }
            guard try repo.refs.resolve(b).id != nil else {
                throw RemoteError.usage("\(b.dropFirst(11)) has no commits yet", location: b, hint: "commit first")
            }
            names.append(b)
        }
        if o.tags { names += try repo.refs.list(prefix: "refs/tags/").map(\.0) }
        if o.all { names += try repo.refs.list(prefix: "refs/heads/").map(\.0) }
        var out: [PushTarget] = []
        var seen = Set<String>()
        for n in names where seen.insert(n).inserted {
            guard let id = try repo.refs.resolve(n).id else { continue }
            out.append(PushTarget(ref: n, id: id, companion: false))
        }
        for prefix in policy.companionPrefixes {
            for (n, id) in try repo.refs.list(prefix: prefix) where seen.insert(n).inserted {
                out.append(PushTarget(ref: n, id: id, companion: true))
            }
        }
        return out
    }

    /// The value a lease expects the remote ref to hold (nil = absent); nil when no lease applies.
    func leaseExpectation(_ ref: String, _ o: PushOptions, remoteValue: ObjectID?) throws -> ObjectID?? {
        for l in o.leases.reversed() {
            if let r = l.ref {
                guard let full = r.hasPrefix("refs/") ? r : try repo.refName(for: r), full == ref else { continue }
            }
            guard let e = l.expected else {
                guard let t = trackingRef(for: ref) else { return .some(remoteValue) }  // tags: nothing to compare with
                return .some(try repo.refs.resolve(t).id)
            }
            if e.isEmpty { return .some(nil) }
            if let id = ObjectID(hex: e) { return .some(id) }
            if let v = remoteValue, e.count >= 6, v.hex.hasPrefix(e.lowercased()) { return .some(v) }
            return .some(try repo.resolveObject(e))
        }
        return nil
    }

    /// Sends what the remote lacks for the named refs, then moves each ref by compare-and-swap.
    /// Objects go first and refs last, so a killed push leaves the remote valid and a re-run sends
    /// only what is still missing. A ref that is not a fast-forward, or that moved since it was
    /// read, is rejected (and nothing of it is lost: the objects stay for the next push).
    public func push(_ o: PushOptions = PushOptions()) throws -> TransferReport {
        let targets = try pushTargets(o)
        let snap = try snapshot(requireManifest: false)
        var report = TransferReport(remote: name, url: settings.location.url)
        report.dryRun = o.dryRun
        var accepted: [(target: PushTarget, old: RemoteRef?, status: RefUpdate.Status)] = []
        for t in targets {
            let old = snap.refs[t.ref]
            func reject(_ why: String) {
                report.refs.append(RefUpdate(ref: t.ref, old: old?.id, new: t.id, status: t.companion ? .skipped : .rejected, reason: why))
            }
            let short = shortName(t.ref)
            if old?.id == t.id {
                report.refs.append(RefUpdate(ref: t.ref, old: old?.id, new: t.id, status: .upToDate))
                // A push killed after its ref update left the tracking ref behind.
                if !o.dryRun, let tr = trackingRef(for: t.ref), try repo.refs.resolve(tr).id != t.id {
                    try setTracking(tr, to: t.id, reason: "push \(name): up to date")
                }
                continue
            }
            if !t.companion, let lease = try leaseExpectation(t.ref, o, remoteValue: old?.id) {
                if lease != old?.id {
                    reject("stale info: \(name) has \(old?.id.short ?? "no \(short)"), the lease expected \(lease?.short ?? "none"); fetch first")
                    continue
                }
                var ff = true
                if let old { ff = repo.objects.contains(old.id) ? try isAncestor(old.id, of: t.id) : false }
                accepted.append((t, old, old == nil ? .created : (ff ? .updated : .forced)))
            } else if let old {
                if t.ref.hasPrefix("refs/tags/") {
                    reject("tag \(short) already exists on \(name) with another value")
                } else if !repo.objects.contains(old.id) {
                    reject("remote \(short) moved since your last fetch; fetch first (`ftx pull \(name)`)")
                } else if try isAncestor(old.id, of: t.id) {
                    accepted.append((t, old, .updated))
                } else {
                    reject("non-fast-forward: your \(short) does not contain \(name)'s; run `ftx pull \(name)` to replay your commits on top, or pass --force-with-lease")
                }
            } else {
                accepted.append((t, nil, .created))
            }
        }

        // Objects the remote lacks, reachable from the refs that will move (and, with --with-bases,
        // from base records the remote already has without their bytes).
        var tips = accepted.map { ($0.target.ref, $0.target.id) }
        if o.withBases { tips += targets.filter { $0.companion && snap.refs[$0.ref]?.id == $0.id }.map { ($0.ref, $0.id) } }
        var meta: [ObjectID] = [], data: [ObjectID] = []
        let complete = try commitsUnderRemoteRefs(snap)
        try walkObjects(repo, tips: tips) { r in
            if snap.has(r.id) {
                // --with-bases looks inside base records the remote has, for the bytes it lacks.
                if o.withBases && r.fileKind == nil && isCompanion(r.ref) { return true }
                if complete.contains(r.id) || r.isChunk || r.fileKind == .blob || r.type == .blob { return false }
                // Not under a ref: maybe left by a push killed between its index uploads, with
                // part of what it references invisible. Look inside (locally) and send the rest.
                return repo.objects.contains(r.id)
            }
            if let kind = r.fileKind {
                if !o.withBases, !r.isChunk, policy.excluded(r.ref, r.path) != nil { return false }
                if policy.deferrable(r.ref, r.path, kind) { data.append(r.id) } else { meta.append(r.id) }
            } else {
                meta.append(r.id)
            }
            return true
        }
        try repo.objects.fetchAbsent(meta + data)
        let sending = Set(meta).union(data)
        removeAbandonedScratch()
        let scratch = cacheDirectory + "/.outgoing-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var packs: [(cls: PackClass, path: String, idx: String, name: String, bases: [ObjectID])] = []
        for (cls, ids) in [(PackClass.data, data), (.meta, meta)] where !ids.isEmpty {
            var pack = try OutgoingPack(store: repo.objects, directory: scratch)
            func close() throws {
                let f = try pack.finish()
                packs.append((cls, f.packPath, f.idxPath, f.name, pack.externalBases))
                report.objects += pack.objectCount
            }
            for id in ids {
                try pack.add(id) { snap.has($0) || sending.contains($0) }
                if pack.byteCount >= Self.packLimit {
                    try close()
                    pack = try OutgoingPack(store: repo.objects, directory: scratch)
                }
            }
            if pack.objectCount > 0 { try close() } else { pack.abort() }
        }
        let files = packs.flatMap { [($0.path, "packs/\($0.cls.rawValue)/\($0.name).pack"), ($0.idx, "packs/\($0.cls.rawValue)/\($0.name).idx")] }
        for (path, _) in files { report.bytes += Int64((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0) }
        report.packs = packs.count
        if o.dryRun {
            report.refs += accepted.map { RefUpdate(ref: $0.target.ref, old: $0.old?.id, new: $0.target.id, status: $0.status) }
            return report
        }

        if !snap.exists {
            let head = (try repo.refs.currentBranch()) ?? "refs/heads/main"
            let manifest = try JSONSerialization.data(withJSONObject: ["format": RemoteLayout.format, "head": head], options: [.sortedKeys])
            _ = try storage.putConditional(key: RemoteLayout.manifest, data: manifest, condition: .absent)  // false: another pusher made it
        }
        if !packs.isEmpty {
            let progress = meter("push \(name)", total: report.bytes, objects: report.objects)
            // Pack files, then what they lean on, then the indexes that make them visible.
            try storage.put(packs.map { RemotePut(key: "packs/\($0.cls.rawValue)/\($0.name).pack",
                                                  body: .file(path: $0.path, size: fileSize($0.path))) }, progress: progress.handler)
            try storage.put(packs.map { RemotePut(key: "packs/\($0.cls.rawValue)/\($0.name).bases",
                                                  body: .data(Data($0.bases.map { $0.hex + "\n" }.joined().utf8))) }, progress: nil)
            try storage.put(packs.map { RemotePut(key: "packs/\($0.cls.rawValue)/\($0.name).idx",
                                                  body: .file(path: $0.idx, size: fileSize($0.idx))) }, progress: nil)
            progress.done()
        }
        for a in accepted {
            let ok = try storage.putConditional(key: a.target.ref, data: Data((a.target.id.hex + "\n").utf8),
                                                condition: a.old.map { .version($0.version) } ?? .absent)
            if ok {
                report.refs.append(RefUpdate(ref: a.target.ref, old: a.old?.id, new: a.target.id, status: a.status))
                if let t = trackingRef(for: a.target.ref) {
                    try setTracking(t, to: a.target.id, reason: "push \(name): \(a.status.rawValue)")
                }
            } else {
                report.refs.append(RefUpdate(ref: a.target.ref, old: a.old?.id, new: a.target.id, status: a.target.companion ? .skipped : .rejected,
                                             reason: "remote \(shortName(a.target.ref)) moved since your last fetch; fetch first (`ftx pull \(name)`)"))
            }
        }
        return report
    }

    /// Commits and tags reachable from the remote's refs (those present here). Everything below
    /// them is on the remote, because a push moves a ref only after every object under it is
    /// visible; other objects the remote lists carry no such promise.
    func commitsUnderRemoteRefs(_ snap: RemoteSnapshot) throws -> Set<ObjectID> {
        var seen = Set<ObjectID>()
        var stack = snap.refs.values.map(\.id)
        while let id = stack.popLast() {
            guard repo.objects.contains(id), seen.insert(id).inserted else { continue }
            switch try repo.objects.type(of: id) {
            case .commit: stack.append(contentsOf: try repo.objects.readCommit(id).parents)
            case .tag: stack.append(try repo.objects.readTag(id).object)
            default: break
            }
        }
        return seen
    }

    /// Outgoing packs of pushes that were killed (their process is gone).
    func removeAbandonedScratch() {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: cacheDirectory)) ?? [] where name.hasPrefix(".outgoing-") {
            guard let pid = Int32(name.split(separator: "-")[1]), pid != getpid(), kill(pid, 0) == -1, errno == ESRCH else { continue }
            try? FileManager.default.removeItem(atPath: SlashPath.join(cacheDirectory, name))
        }
    }

    func shortName(_ ref: String) -> String {
        for p in ["refs/heads/", "refs/tags/", "refs/deploy/"] where ref.hasPrefix(p) { return String(ref.dropFirst(p.count)) }
        return ref
    }
}

func fileSize(_ path: String) -> Int {
    var st = stat()
    return stat(path, &st) == 0 ? Int(st.st_size) : 0
}
