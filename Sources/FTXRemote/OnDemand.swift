import FTXCore
import FTXStore
import Foundation

extension Remote {
    /// Fetches `ids` that the remote holds (a chunked file's list brings its chunks along), verified
    /// like any fetch. Returns false when the remote has none of them.
    @discardableResult
    public func fetchObjects(_ ids: [ObjectID]) throws -> Bool { try fetchCounting(ids) != nil }

    /// `fetchObjects`, returning the objects and bytes received (nil when the remote has none).
    func fetchCounting(_ ids: [ObjectID]) throws -> (objects: Int, bytes: Int64)? {
        var snap = try cachedSnapshot ?? snapshot(requireManifest: true)
        var located = ids.filter { snap.locate($0) != nil }
        if located.count < ids.count {
            snap = try snapshot(requireManifest: true)  // pushed since this command looked
            located = ids.filter { snap.locate($0) != nil }
        }
        guard !located.isEmpty else { return nil }
        let first = try download(located, from: snap, label: "fetch \(name)")
        var chunks: [ObjectID] = []
        for id in located where try repo.objects.type(of: id) == .chunked {
            chunks += try repo.objects.readChunkList(id).chunks.map(\.id).filter { !repo.objects.contains($0) }
        }
        let second = try download(chunks, from: snap, label: "fetch \(name)")
        return (first.objects + second.objects, first.bytes + second.bytes)
    }

    /// `ftx fetch --blobs REV`: every file of the commit's tree that a lazy clone left on the remote.
    public func fetchFiles(of commit: ObjectID) throws -> TransferReport {
        var absent: [ObjectID] = []
        let tree = try repo.objects.readCommit(commit).tree
        try walkObjects(repo, tips: [("commit \(commit.short)", tree)]) { r in
            if repo.objects.contains(r.id) { return !r.isChunk }
            absent.append(r.id)
            return false
        }
        var report = TransferReport(remote: name, url: settings.location.url)
        guard !absent.isEmpty else { return report }
        guard let got = try fetchCounting(absent) else {
            throw RemoteError.damaged(remote: storage.display, location: commit.hex, reason: "\(absent.count) file(s) of the commit are not on the remote")
        }
        report.objects = got.objects
        report.bytes = got.bytes
        return report
    }
}

/// Makes a lazy clone's reads of absent objects fetch them from its lazy remote(s).
public enum OnDemandFetch {
    /// Installs the store's `fetchMissing` hook when some remote of `repo` is lazy; the remote is
    /// opened (and credentials resolved) only on the first absent object.
    public static func install(on repo: Repository, policy: TransferPolicy) {
        guard let names = try? RemoteConfig.list(repo).filter(\.lazy).map(\.name), !names.isEmpty else { return }
        let lock = NSLock()
        var remotes: [Remote] = []
        repo.objects.fetchMissing = { ids in
            lock.lock(); defer { lock.unlock() }
            let wanted = ids.filter { !repo.objects.contains($0) }
            if wanted.isEmpty { return true }
            if remotes.isEmpty { remotes = try names.map { try Remote(repo: repo, name: $0, policy: policy) } }
            for r in remotes where try r.fetchObjects(wanted) { return true }
            return false
        }
    }
}
