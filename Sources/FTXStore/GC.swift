import FTXCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public struct GCReport: Sendable {
    public var packedObjects = 0
    public var prunedObjects = 0
    public var removedPacks = 0
    public var removedTemporaryFiles = 0
    public var packPath: String?
    /// True when another process that writes objects was running, so nothing was pruned
    /// (its objects may not be recorded in a ref or the index yet).
    public var pruningSkipped = false
}

extension Repository {
    /// Parses `now`, or a number with unit s/m/h/d/w (e.g. `2w`, `30m`), into seconds.
    public static func parseGracePeriod(_ text: String) throws -> TimeInterval {
        if text == "now" { return 0 }
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604_800]
        guard let u = text.last, let mult = units[u], let n = Double(text.dropLast()), n >= 0 else {
            throw StoreError.usage("bad grace period '\(text)': use now, or a number with s, m, h, d or w (e.g. 2w)")
        }
        return n * mult
    }

    /// Objects reachable from HEAD, every ref, every reflog entry and the staging index.
    public func reachableObjects() throws -> Set<ObjectID> {
        var seen = Set<ObjectID>()
        var stack: [(ObjectID, ObjectType?)] = []
        if let h = try headCommit() { stack.append((h, .commit)) }
        for (_, id) in try refs.list() { stack.append((id, nil)) }
        for name in refs.reflogNames() { for e in try refs.reflog(name) where !e.new.isZero { stack.append((e.new, nil)) } }
        for (_, e) in try loadIndex().entries { stack.append((e.id, e.kind.objectType)) }
        let promised = try promisedObjects()
        while let (id, hint) = stack.popLast() {
            guard seen.insert(id).inserted else { continue }
            if !promised.isEmpty, promised[id] != nil, !objects.contains(id) { continue }  // not fetched on purpose
            if hint == .blob {
                guard objects.contains(id) else { throw StoreError.objectNotFound(id.hex) }
                continue
            }
            let (type, content) = try objects.read(id)
            for (child, t) in try links(of: id, type: type, content: content) { stack.append((child, t)) }
        }
        return seen
    }

    /// Packs every reachable object (and keeps recent unreachable ones loose) into one new pack,
    /// then removes the old packs, the packed loose files, unreachable objects older than
    /// `gracePeriod`, and leftover temporary files. The new pack is durable before anything is deleted.
    @discardableResult
    /// `writerWait`: how long to wait for other object writers to exit before packing without
    /// pruning (default FTX_LOCK_TIMEOUT, 10 s).
    public func gc(gracePeriod: TimeInterval, writerWait: TimeInterval? = nil) throws -> GCReport {
        let lock = try LockFile.acquire(ftxDirectory + "/gc.lock")
        defer { lock.release() }
        var report = GCReport()
        // Prune only while no other writer is alive: a running `add` or `commit` may hold objects
        // (new, or old ones it is reusing) that no ref or index names yet. Checked before the
        // reachable set is computed: writers that start later wait for this gc.
        let canPrune = objects.writerGuard.tryExclusive(timeout: writerWait ?? LockFile.timeout)
        defer { if canPrune { objects.writerGuard.endExclusive() } }
        report.pruningSkipped = !canPrune
        let reachable = try reachableObjects()
        let now = Date()
        let fm = FileManager.default
        func age(_ path: String) -> TimeInterval {
            var st = stat()
            guard stat(path, &st) == 0 else { return .infinity }
            return now.timeIntervalSince1970 - TimeInterval(st.st_mtim.tv_sec)
        }

        let loose = objects.looseIDs()
        let oldPacks = try objects.packs()
        var packed: [ObjectID] = []
        let writer = try PackWriter(directory: objects.packsDirectory)
        defer { writer.abort() }
        for id in reachable.sorted() {
            let done = try objects.withFrame(id) { frame, path, base -> Bool in
                let (type, content) = try objects.decode(id, frame: frame, path: path, base: base)
                if let base, !reachable.contains(base) {
                    // The base goes away: store this object whole.
                    let whole = content.withUnsafeBytes { objects.frame(type: type, content: $0) }
                    try writer.add(id: id, frame: whole)
                } else {
                    try writer.add(id: id, frame: frame, base: base)
                }
                return true
            }
            if done == true { packed.append(id) }
        }
        // Recent unreachable packed objects move out as loose files keeping the pack's age.
        var keptLoose = Set<ObjectID>()
        for pack in oldPacks {
            let packAge = age(pack.packPath)
            for (i, id) in pack.ids.enumerated() where !reachable.contains(id) {
                if packAge < gracePeriod || !canPrune {
                    let path = objects.loosePath(id)
                    if !fm.fileExists(atPath: path) {
                        // Loose objects are always whole frames.
                        let (frame, base) = try pack.frame(at: i)
                        var data = Data(frame)
                        if base != nil {
                            let (type, content) = try objects.decode(id, frame: frame, path: pack.packPath, base: base)
                            data = content.withUnsafeBytes { objects.frame(type: type, content: $0) }
                        }
                        try AtomicFileSyncWrite.write(data, to: path, mtime: pack.modificationDate)
                    }
                    keptLoose.insert(id)
                } else {
                    report.prunedObjects += 1
                }
            }
        }
        var newPack: String? = nil
        if !writer.isEmpty { newPack = try writer.finish() }
        report.packedObjects = packed.count
        report.packPath = newPack
        objects.reloadPacks()

        for pack in oldPacks where pack.packPath != newPack {
            unlink(pack.idxPath)
            unlink(pack.packPath)
            report.removedPacks += 1
        }
        for id in loose where !keptLoose.contains(id) {
            let path = objects.loosePath(id)
            if reachable.contains(id) { unlink(path); continue }
            if canPrune && age(path) >= gracePeriod { unlink(path); report.prunedObjects += 1 }
        }
        // Temporary files and index-less packs left by interrupted commands: only when no other
        // writer is alive (then every one is a leftover), once old or once their process is gone.
        for dir in [objects.packsDirectory, objects.objectsDirectory] + ((try? fm.contentsOfDirectory(atPath: objects.objectsDirectory)) ?? []).map { "\(objects.objectsDirectory)/\($0)" } {
            for name in (try? fm.contentsOfDirectory(atPath: dir)) ?? [] {
                let path = "\(dir)/\(name)"
                let orphanPack = name.hasSuffix(".pack") && !fm.fileExists(atPath: String(path.dropLast(5)) + ".idx")
                guard canPrune, name.hasPrefix(".tmp-") || orphanPack, path != writer.temporaryPath else { continue }
                if age(path) >= max(gracePeriod, 60) || Repository.temporaryOwnerIsGone(name) {
                    unlink(path)
                    report.removedTemporaryFiles += 1
                }
            }
            if dir != objects.objectsDirectory && dir != objects.packsDirectory { rmdir(dir) }
        }
        if canPrune { report.removedTemporaryFiles += removeStaleTemporaries().count }
        return report
    }
}

enum AtomicFileSyncWrite {
    static func write(_ data: Data, to path: String, mtime: Date) throws {
        try AtomicFile.write(data, to: path)
        var times = [timespec(tv_sec: Int(mtime.timeIntervalSince1970), tv_nsec: 0),
                     timespec(tv_sec: Int(mtime.timeIntervalSince1970), tv_nsec: 0)]
        utimensat(AT_FDCWD, path, &times, 0)
    }
}
