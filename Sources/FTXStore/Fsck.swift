import Foundation

public struct FsckReport: Sendable {
    /// Problems, each naming the object path, pack, ref or file.
    public var errors: [String] = []
    /// Harmless leftovers (temporary files, stale locks, unindexed packs) that gc or the user clears.
    public var warnings: [String] = []
    public var objectsChecked = 0
    public var refsChecked = 0
    /// Referenced objects that are absent on purpose (see Promised.swift), each with its reason.
    public var promised: [String] = []
    public var isClean: Bool { errors.isEmpty }
}

/// What an object points at, gathered while verifying it (for the connectivity pass).
struct ObjectLinks {
    var type: ObjectType
    var links: [(ObjectID, ObjectType?)]
}

extension Repository {
    /// Parses a verified object's content and returns what it references.
    func links(of id: ObjectID, type: ObjectType, content: Data) throws -> [(ObjectID, ObjectType?)] {
        switch type {
        case .blob: return []
        case .chunked: return try ChunkList.parse(content, id: id.hex).chunks.map { ($0.id, .blob) }
        case .tree: return try Tree.parse(content, id: id.hex).entries.map { ($0.id, $0.kind.objectType) }
        case .commit:
            let c = try Commit.parse(content, id: id.hex)
            return [(c.tree, .tree)] + c.parents.map { ($0, .commit) }
        case .tag:
            let t = try Tag.parse(content, id: id.hex)
            return [(t.object, t.type)]
        }
    }

    /// Verifies every object (hash and parse), pack, ref, reflog and the staging index, then
    /// checks that everything they reference exists with the right type.
    public func fsck() -> FsckReport {
        var report = FsckReport()
        var known: [ObjectID: ObjectLinks] = [:]
        let fm = FileManager.default

        func check(_ id: ObjectID, frame: UnsafeRawBufferPointer, path: String, base: ObjectID? = nil) {
            report.objectsChecked += 1
            do {
                let (type, content) = try objects.decode(id, frame: frame, path: path, base: base)
                known[id] = ObjectLinks(type: type, links: try links(of: id, type: type, content: content))
            } catch {
                report.errors.append("\(path): \(describe(error))")
            }
        }

        // Loose objects.
        let od = objects.objectsDirectory
        for dir in ((try? fm.contentsOfDirectory(atPath: od)) ?? []).sorted() {
            let dpath = "\(od)/\(dir)"
            guard dir.utf8.count == 2, isHexString(dir) else {
                report.warnings.append("\(dpath): unexpected entry in objects/")
                continue
            }
            for name in ((try? fm.contentsOfDirectory(atPath: dpath)) ?? []).sorted() {
                let path = "\(dpath)/\(name)"
                if name.hasPrefix(".tmp-") { report.warnings.append("\(path): leftover temporary file (gc removes it)"); continue }
                guard let id = ObjectID(hex: dir + name) else {
                    report.errors.append("\(path): file name is not an object id")
                    continue
                }
                do {
                    guard let frame = try objects.readLooseFile(path) else {
                        report.errors.append("\(path): unreadable")
                        continue
                    }
                    frame.withUnsafeBytes { check(id, frame: $0, path: path) }
                } catch {
                    report.objectsChecked += 1
                    report.errors.append("\(path): \(describe(error))")
                }
            }
        }

        // Packs.
        let pd = objects.packsDirectory
        let packNames = ((try? fm.contentsOfDirectory(atPath: pd)) ?? []).sorted()
        for name in packNames {
            let path = "\(pd)/\(name)"
            if name.hasPrefix(".tmp-") { report.warnings.append("\(path): leftover temporary file (gc removes it)"); continue }
            if name.hasSuffix(".pack") {
                if !packNames.contains(String(name.dropLast(5)) + ".idx") {
                    report.warnings.append("\(path): pack without an index (an interrupted write; gc removes it)")
                }
                continue
            }
            guard name.hasSuffix(".idx") else { report.warnings.append("\(path): unexpected file in packs/"); continue }
            do {
                let pack = try PackReader(idxPath: path)
                if !pack.verifyChecksum() { report.errors.append("\(pack.packPath): pack checksum mismatch") }
                for i in 0..<pack.count {
                    do {
                        let (frame, base) = try pack.frame(at: i)
                        check(pack.ids[i], frame: frame, path: "\(pack.packPath) (object \(pack.ids[i].hex))", base: base)
                    } catch {
                        report.errors.append("\(pack.packPath): \(describe(error))")
                    }
                }
            } catch {
                report.errors.append("\(path): \(describe(error))")
            }
        }

        // Refs, lock files, reflogs, staging index: roots of the connectivity pass.
        var roots: [(ObjectID, ObjectType?, String)] = []
        do {
            report.refsChecked += 1
            switch try refs.read("HEAD") {
            case nil:
                report.errors.append("HEAD: missing (\(refs.path("HEAD")) does not exist; restore it, e.g. `ref: refs/heads/main`)")
            case .symbolic(let target)? where !target.hasPrefix("refs/heads/"):
                report.errors.append("HEAD: points at '\(target)', which is not a branch (refs/heads/…)")
            default:
                if let h = try refs.resolve("HEAD").id { roots.append((h, .commit, "HEAD")) }
            }
        } catch { report.errors.append("HEAD: \(describe(error))") }
        if let e = fm.enumerator(atPath: ftxDirectory + "/refs") {
            while let rel = e.nextObject() as? String {
                let name = "refs/" + rel
                var isDir: ObjCBool = false
                guard fm.fileExists(atPath: refs.path(name), isDirectory: &isDir), !isDir.boolValue else { continue }
                if name.hasSuffix(".lock") { report.warnings.append(lockWarning(refs.path(name))); continue }
                report.refsChecked += 1
                for prefix in ["refs/heads/", "refs/tags/"] where name.hasPrefix(prefix) {
                    do { try RefStore.validate(shortName: String(name.dropFirst(prefix.count))) } catch {
                        report.warnings.append("\(name): \(describe(error)); ftx no longer creates such names")
                    }
                }
                do {
                    guard case .direct(let id)? = try refs.read(name) else {
                        report.errors.append("\(name): symbolic refs are only allowed for HEAD")
                        continue
                    }
                    // Branches and deploy refs name commits; tags and other namespaces may name any object.
                    let mustBeCommit = name.hasPrefix("refs/heads/") || name.hasPrefix("refs/deploy/")
                    roots.append((id, mustBeCommit ? .commit : nil, name))
                } catch { report.errors.append("\(name): \(describe(error))") }
            }
        }
        for lock in ["HEAD.lock", "index.lock", "gc.lock"] where fm.fileExists(atPath: "\(ftxDirectory)/\(lock)") {
            report.warnings.append(lockWarning("\(ftxDirectory)/\(lock)"))
        }
        for name in refs.reflogNames() {
            do {
                for (n, entry) in try refs.reflog(name).enumerated() where !entry.new.isZero {
                    roots.append((entry.new, nil, "logs/\(name):\(n + 1)"))
                }
            } catch { report.errors.append("logs/\(name): \(describe(error))") }
        }
        do {
            for (path, e) in try loadIndex().entries { roots.append((e.id, e.kind.objectType, "index entry \(path)")) }
        } catch { report.errors.append("\(indexPath): \(describe(error))") }

        // Connectivity: everything referenced exists (or is promised) and has the expected type.
        var promised: [ObjectID: String] = [:]
        do { promised = try promisedObjects() } catch { report.errors.append(describe(error)) }
        var visited = Set<ObjectID>()
        var stack: [(ObjectID, ObjectType?, String)] = roots
        while let (id, expected, from) = stack.popLast() {
            guard let info = known[id] else {
                if !visited.contains(id) {
                    visited.insert(id)
                    if let why = promised[id], !objects.contains(id) {
                        report.promised.append("\(id.hex): \(why)")
                    } else {
                        report.errors.append("\(objects.loosePath(id)): missing or damaged object \(id.hex) (referenced by \(from))")
                    }
                }
                continue
            }
            if let expected, info.type != expected {
                report.errors.append("\(id.hex): is a \(info.type.rawValue) but \(from) expects a \(expected.rawValue)")
            }
            guard visited.insert(id).inserted else { continue }
            for (child, type) in info.links { stack.append((child, type, "\(info.type.rawValue) \(id.hex)")) }
        }
        return report
    }

    func lockWarning(_ path: String) -> String {
        if let why = LockFile.staleReason(path) { return "\(path): stale lock \(why) (the next command that needs it removes it)" }
        return "\(path): lock file present (an ftx command is running, or one was interrupted)"
    }
}

/// The message of an error without its type name.
func describe(_ error: Error) -> String {
    if let e = error as? StoreError { return e.description }
    return "\(error)"
}
