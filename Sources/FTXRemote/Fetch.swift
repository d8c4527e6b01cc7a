import FTXCore
import FTXStore
import Foundation

public struct FetchOptions: Sendable {
    /// Leave large files (data packs) on the remote; nil = as the remote is configured (a lazy clone).
    public var lazy: Bool? = nil
    public init() {}
}

extension Remote {
    /// Brings in every object the remote has and this repository lacks (for a lazy clone: all but
    /// the data packs), verified before it enters the store; checks that everything the remote's
    /// refs reach is now here or promised; then updates the remote-tracking refs
    /// (`refs/remotes/<name>/…`), creates tags and companion refs that are absent locally, and
    /// drops tracking refs of branches the remote no longer has.
    public func fetch(_ o: FetchOptions = FetchOptions()) throws -> TransferReport {
        let snap = try snapshot(requireManifest: true)
        let lazy = o.lazy ?? settings.lazy
        var report = TransferReport(remote: name, url: settings.location.url)
        var wanted: [ObjectID] = []
        var wantedSet = Set<ObjectID>()
        for pack in snap.packs where !lazy || pack.cls == .meta {
            for id in pack.index.ids where !wantedSet.contains(id) && !repo.objects.contains(id) {
                wantedSet.insert(id)
                wanted.append(id)
            }
        }
        let got = try download(wanted, from: snap, label: "fetch \(name)")
        report.objects = got.objects
        report.bytes = got.bytes

        // Everything the refs reach must now be here, or stay on the remote on purpose.
        var promised: [ObjectID: String] = [:]
        var missing: [WalkReference] = []
        let tips = snap.refs.values.sorted { $0.name < $1.name }.map { ($0.name, $0.id) }
        try walkObjects(repo, tips: tips) { r in
            if repo.objects.contains(r.id) {
                // Objects stored before this fetch are complete (or promised) already.
                return wantedSet.contains(r.id) && !r.isChunk
            }
            if let kind = r.fileKind, !r.isChunk {
                if snap.has(r.id), lazy, policy.deferrable(r.ref, r.path, kind) {
                    promised[r.id] = "lazy clone: fetched from \(name) when a command needs it (\(r.path))"
                    return false
                }
                if !snap.has(r.id), let why = policy.excluded(r.ref, r.path) {
                    promised[r.id] = why
                    return false
                }
            }
            missing.append(r)
            return false
        }
        if let m = missing.first {
            throw RemoteError.damaged(remote: storage.display, location: m.ref,
                                      reason: "\(missing.count) object(s) its refs reach are not on it, e.g. \(m.id.hex)"
                                          + (m.path.isEmpty ? "" : " (\(m.path))") + "; the refs were not updated")
        }
        if !promised.isEmpty { try repo.addPromised(promised) }
        report.promised = promised.count
        report.refs = try updateLocalRefs(snap)
        return report
    }

    /// Moves the local refs that follow the remote's (see `trackingRef(for:)`).
    func updateLocalRefs(_ snap: RemoteSnapshot) throws -> [RefUpdate] {
        var out: [RefUpdate] = []
        let who = Signature.current()
        for r in snap.refs.values.sorted(by: { $0.name < $1.name }) {
            if let t = trackingRef(for: r.name) {
                let old = try repo.refs.resolve(t).id
                if old == r.id { out.append(RefUpdate(ref: t, old: old, new: r.id, status: .upToDate)); continue }
                try setTracking(t, to: r.id, reason: "fetch \(name): \(old == nil ? "new" : "update")")
                out.append(RefUpdate(ref: t, old: old, new: r.id, status: old == nil ? .created : .updated))
            } else if r.name.hasPrefix("refs/tags/") || isCompanion(r.name) {
                let old = try repo.refs.resolve(r.name).id
                if old == r.id { continue }
                if let old {
                    out.append(RefUpdate(ref: r.name, old: old, new: r.id, status: .skipped,
                                         reason: "differs from \(name)'s (\(r.id.short)); kept yours"))
                    continue
                }
                try repo.refs.update(r.name, to: r.id, expect: .absent, who: who, reason: "fetch \(name)")
                out.append(RefUpdate(ref: r.name, old: nil, new: r.id, status: .created))
            }
        }
        let live = Set(snap.refs.keys.compactMap { trackingRef(for: $0) })
        for (t, id) in try repo.refs.list(prefix: "refs/remotes/\(name)/") where !live.contains(t) {
            try repo.refs.delete(t, expect: id)
            out.append(RefUpdate(ref: t, old: id, new: nil, status: .deleted, reason: "gone from \(name)"))
        }
        return out
    }
}
