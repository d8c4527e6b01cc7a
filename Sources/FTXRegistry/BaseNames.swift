import FTXCore
import FTXStore
import Foundation

/// Managing the names of registered bases: `ftx base rename`, `ftx base rm`, `ftx base default`.
/// A base is its bytes, so a name can go freely while another name keeps the bytes (its stored
/// reports move to that name); the last name of bytes that runs used cannot.
extension BaseRegistry {
    /// Gives base `old` the name `new` (refused when `new` is taken). Reports, bytes and the
    /// default go with it; runs find their base by id, so they are unaffected.
    @discardableResult
    public func rename(_ old: String, to new: String, who: Signature = .current()) throws -> Base {
        let b = try base(named: old)
        do { try RefStore.validate(shortName: new) } catch {
            throw RegistryError.base("'\(new)' is not a valid base name", location: new,
                                     hint: "letters, digits, '-', '_' and '.'; no spaces, slashes or '..'")
        }
        guard new != "base" else {
            throw RegistryError.base("'base' is reserved: it means the default base in revisions", location: new, hint: nil)
        }
        if let taken = try repo.refs.resolve(Self.refPrefix + new).id {
            throw RegistryError.base("a base named '\(new)' already exists (id \(try describe(name: new, commit: taken).id.prefix(12)))",
                                     location: Self.refPrefix + new, hint: "remove it first with `ftx base rm \(new)`, or pick another name")
        }
        try repo.refs.update(Self.refPrefix + new, to: b.commit, expect: .absent, who: who, reason: "base rename \(old) -> \(new)")
        try repo.refs.delete(Self.refPrefix + old, expect: b.commit)
        if defaultName() == old { try writeDefault(new) }
        return try base(named: new)
    }

    /// Removes a name (by name or id). When it is the last name of its bytes, runs that used them
    /// make it refused; otherwise its stored reports move to a remaining name, and so does the default.
    @discardableResult
    public func remove(_ nameOrID: String, who: Signature = .current()) throws -> Base {
        let b = nameOrID == "base" ? try defaultBase() : try find(nameOrID)
        let others = try names(ofID: b.id).filter { $0 != b.name }
        if let heir = others.first {
            let heirBase = try base(named: heir)
            let kept = Set(try reportEntries(heir).map(\.0))
            for (key, entry) in try reportEntries(b.name) where !kept.contains(key) {
                try storeReportBlob(entry.id, for: heirBase, suiteKey: key, who: who)
            }
        } else {
            let runs = try runs(usingID: b.id)
            if !runs.isEmpty {
                throw RegistryError.base("base '\(b.name)' is used by \(runs.count) run\(runs.count == 1 ? "" : "s") (\(runs.prefix(3).map { String($0.prefix(12)) }.joined(separator: ", "))\(runs.count > 3 ? ", …" : ""))",
                                         location: Self.refPrefix + b.name,
                                         hint: "runs need their base to be evaluated, reproduced and exported; rename it instead (`ftx base rename`)")
            }
        }
        try repo.refs.delete(Self.refPrefix + b.name, expect: try repo.refs.resolve(Self.refPrefix + b.name).id)
        if defaultName() == b.name {
            if let heir = others.first { try writeDefault(heir) } else { try? FileManager.default.removeItem(atPath: defaultFile) }
        }
        return b
    }

    /// Makes a base (by name or id) the one `base` means.
    @discardableResult
    public func setDefault(_ nameOrID: String) throws -> Base {
        let b = try find(nameOrID)
        try writeDefault(b.name)
        return b
    }

    func writeDefault(_ name: String) throws {
        try AtomicFile.write(Data((name + "\n").utf8), to: defaultFile)
    }

    /// Run commits (ids) whose header records base id `id`, from the run index (brought up to date first).
    public func runs(usingID id: String) throws -> [String] {
        let index = try registry.openRunIndex()
        try registry.syncRunIndex(index)
        return try index.runs(usingBase: id)
    }
}
