import FTXCore
import FTXStore
import Foundation

extension Remote {
    /// Ranged reads stay below this many bytes, so a batch of `jobs` reads bounds memory.
    static let maxRangeBytes: UInt64 = 8 << 20
    /// Unwanted entries up to this size between two wanted ones are read through rather than split.
    static let maxGapBytes: UInt64 = 64 << 10

    /// Downloads `ids` (each in some pack of `snap`), plus every delta base they need that is not
    /// stored, into one incoming pack, verifies every object and installs it. Returns the objects
    /// and bytes received.
    @discardableResult
    func download(_ ids: [ObjectID], from snap: RemoteSnapshot, label: String) throws -> (objects: Int, bytes: Int64) {
        guard !ids.isEmpty else { return (0, 0) }
        do {
            return try downloadVerified(ids, from: snap, label: label)
        } catch let e as StoreError {
            // A corrupt or forged object: nothing of this download enters the store.
            throw RemoteError.damaged(remote: storage.display, location: e.location ?? "packs/", reason: "\(e.message); nothing was stored")
        }
    }

    private func downloadVerified(_ ids: [ObjectID], from snap: RemoteSnapshot, label: String) throws -> (objects: Int, bytes: Int64) {
        let incoming = try IncomingPack(store: repo.objects)
        defer { incoming.abort() }
        var bytes: Int64 = 0
        var round = ids
        for _ in 0...64 {  // a delta chain is at most 64 deep
            let wanted = round.filter { !incoming.contains($0) && !repo.objects.contains($0) }
            if wanted.isEmpty { break }
            bytes += try fetchEntries(wanted, from: snap, into: incoming, label: label)
            round = incoming.missingBases
            for b in round where snap.locate(b) == nil {
                throw RemoteError.damaged(remote: storage.display, location: b.hex, reason: "a delta base the remote's packs need is not on it")
            }
        }
        guard incoming.missingBases.isEmpty else {
            throw RemoteError.damaged(remote: storage.display, location: "packs/", reason: "delta chains longer than 64")
        }
        return (try incoming.install(), bytes)
    }

    /// Reads the entries of `ids` with coalesced ranged GETs (in parallel) and adds them to `incoming`.
    private func fetchEntries(_ ids: [ObjectID], from snap: RemoteSnapshot, into incoming: IncomingPack, label: String) throws -> Int64 {
        var byPack: [Int: [(ObjectID, Range<UInt64>)]] = [:]
        for id in ids {
            guard let (p, pos) = snap.locate(id) else {
                throw RemoteError.damaged(remote: storage.display, location: id.hex, reason: "the object is in no pack of the remote")
            }
            byPack[p, default: []].append((id, snap.packs[p].index.entryRange(at: pos)))
        }
        // One read covers a run of entries in pack order, gaps included, up to maxRangeBytes.
        var reads: [(pack: Int, range: Range<UInt64>, entries: [(ObjectID, Range<UInt64>)])] = []
        for (p, list) in byPack.sorted(by: { $0.key < $1.key }) {
            for e in list.sorted(by: { $0.1.lowerBound < $1.1.lowerBound }) {
                if var last = reads.last, last.pack == p, e.1.lowerBound >= last.range.upperBound,
                   e.1.lowerBound - last.range.upperBound <= Self.maxGapBytes,
                   e.1.upperBound - last.range.lowerBound <= Self.maxRangeBytes {
                    last.range = last.range.lowerBound..<e.1.upperBound
                    last.entries.append(e)
                    reads[reads.count - 1] = last
                } else {
                    reads.append((p, e.1, [e]))
                }
            }
        }
        let total = reads.reduce(Int64(0)) { $0 + Int64($1.range.count) }
        let progress = meter(label, total: total, objects: ids.count)
        var done: Int64 = 0
        var start = 0
        while start < reads.count {
            let batch = Array(reads[start..<min(reads.count, start + jobs)])
            start += batch.count
            let base = done
            let got = try storage.get(batch.map { RemoteGet(key: snap.packs[$0.pack].packKey, range: $0.range, limit: Int($0.range.count)) },
                                      progress: { s, r in progress.handler(s, base + r) })
            for (read, data) in zip(batch, got) {
                let key = snap.packs[read.pack].packKey
                guard let data, data.data.count == read.range.count else {
                    throw RemoteError.damaged(remote: storage.display, location: key, reason: "the pack vanished or is shorter than its index says")
                }
                let source = "\(storage.display): \(key)"
                try data.data.withUnsafeBytes { raw in
                    for (id, r) in read.entries {
                        let lo = Int(r.lowerBound - read.range.lowerBound), hi = Int(r.upperBound - read.range.lowerBound)
                        try incoming.addEntry(id: id, entry: UnsafeRawBufferPointer(rebasing: raw[lo..<hi]), source: source)
                    }
                }
                done += Int64(read.range.count)
            }
        }
        progress.done()
        return done
    }
}
