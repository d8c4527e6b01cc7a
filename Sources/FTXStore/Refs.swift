import FTXCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The value of a ref file: an object id, or (HEAD only) a symbolic `ref: refs/heads/<name>`.
public enum RefValue: Equatable, Sendable {
    case direct(ObjectID)
    case symbolic(String)
}

/// One reflog line: `<old> <new> <who> <time> <tz>\t<why>`.
public struct ReflogEntry: Sendable {
    public let old: ObjectID
    public let new: ObjectID
    public let who: Signature
    public let message: String

    public var line: String {
        "\(old.hex) \(new.hex) \(who.text)\t\(message.replacingOccurrences(of: "\n", with: " "))\n"
    }

    static func parse(_ line: Substring) -> ReflogEntry? {
        guard let tab = line.firstIndex(of: "\t") else { return nil }
        let head = line[..<tab]
        let parts = head.split(separator: " ", maxSplits: 2)
        guard parts.count == 3, let old = ObjectID(hex: String(parts[0])), let new = ObjectID(hex: String(parts[1])),
              let who = Signature.parse(parts[2]) else { return nil }
        return ReflogEntry(old: old, new: new, who: who, message: String(line[line.index(after: tab)...]))
    }
}

/// Refs under .ftx/: HEAD, refs/heads/*, refs/tags/*, refs/deploy/<env>. Every update takes
/// `<ref>.lock` (O_EXCL), compares the old value (CAS), appends the reflog, then renames the lock
/// over the ref: concurrent writers serialize on the lock and a stale expectation fails loudly.
public final class RefStore {
    public let root: String

    public init(ftxDirectory: String) { root = ftxDirectory }

    public func path(_ name: String) -> String { "\(root)/\(name)" }
    public func logPath(_ name: String) -> String { "\(root)/logs/\(name)" }

    /// Ref names: HEAD or refs/… with git's rules (no `..`, no component starting with `.` or
    /// ending with `.lock`, no spaces, control characters or any of `~^:?*[\`, no `@{`).
    public static func validate(name: String) throws {
        if name == "HEAD" { return }
        guard name.hasPrefix("refs/") else { throw StoreError.invalidRefName(name, reason: "must be HEAD or start with refs/") }
        try validateComponentPath(String(name.dropFirst(5)), full: name)
    }

    /// Validates a short name such as a branch or tag name: git's rules, and no name that revision
    /// syntax would read as something else — `HEAD`, `@`, a leading `-` (an option), `refs/…` (a
    /// full ref name), or a full object id.
    public static func validate(shortName: String) throws {
        try validateComponentPath(shortName, full: shortName)
        if shortName == "HEAD" { throw StoreError.invalidRefName(shortName, reason: "'HEAD' names the current commit") }
        if shortName.utf8.first == UInt8(ascii: "-") { throw StoreError.invalidRefName(shortName, reason: "starts with '-' (reads as an option)") }
        if shortName.hasPrefix("refs/") { throw StoreError.invalidRefName(shortName, reason: "starts with 'refs/' (reads as a full ref name)") }
        if ObjectID(hex: shortName) != nil { throw StoreError.invalidRefName(shortName, reason: "is a full object id") }
    }

    /// git check-ref-format's rules for the part after `refs/` (or a whole short name).
    private static func validateComponentPath(_ rest: String, full: String) throws {
        let u = rest.utf8
        if u.isEmpty || u.last == UInt8(ascii: "/") || u.first == UInt8(ascii: "/") {
            throw StoreError.invalidRefName(full, reason: "empty, or starts or ends with '/'")
        }
        if rest == "@" { throw StoreError.invalidRefName(full, reason: "'@' alone names HEAD") }
        if rest.contains("..") || rest.contains("@{") {
            throw StoreError.invalidRefName(full, reason: "contains '..' or '@{' (revision syntax)")
        }
        if u.last == UInt8(ascii: ".") { throw StoreError.invalidRefName(full, reason: "ends with '.'") }
        for ch in rest.unicodeScalars where ch.value < 0x21 || ch.value == 0x7f || "~^:?*[\\".unicodeScalars.contains(ch) {
            throw StoreError.invalidRefName(full, reason: "contains a space, control character or one of ~^:?*[\\")
        }
        for comp in SlashPath.components(rest) {
            if comp.isEmpty { throw StoreError.invalidRefName(full, reason: "empty component ('//')") }
            if comp.utf8.first == UInt8(ascii: ".") || comp.utf8.suffix(5).elementsEqual(".lock".utf8) {
                throw StoreError.invalidRefName(full, reason: "a component starts with '.' or ends with '.lock'")
            }
        }
    }

    /// Reads a ref file; nil when it does not exist. Garbage is an error naming the ref.
    public func read(_ name: String) throws -> RefValue? {
        let p = path(name)
        guard let data = FileManager.default.contents(atPath: p) else {
            if FileManager.default.fileExists(atPath: p) { throw StoreError.badRef(name: name, reason: "unreadable") }
            return nil
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw StoreError.badRef(name: name, reason: "not text")
        }
        let t = text.hasSuffix("\n") ? String(text.dropLast()) : text
        if t.hasPrefix("ref: ") {
            let target = String(t.dropFirst(5))
            guard (try? RefStore.validate(name: target)) != nil, target.hasPrefix("refs/") else {
                throw StoreError.badRef(name: name, reason: "symbolic ref names an invalid target '\(target)'")
            }
            return .symbolic(target)
        }
        guard let id = ObjectID(hex: t) else {
            throw StoreError.badRef(name: name, reason: "does not hold a 64-digit object id (\(t.prefix(20).debugDescription))")
        }
        return .direct(id)
    }

    /// Follows symbolic refs: the id a ref names (nil for an unborn branch) and the final ref name.
    public func resolve(_ name: String) throws -> (id: ObjectID?, ref: String) {
        var current = name
        for _ in 0..<5 {
            switch try read(current) {
            case nil: return (nil, current)
            case .direct(let id)?: return (id, current)
            case .symbolic(let target)?: current = target
            }
        }
        throw StoreError.badRef(name: name, reason: "symbolic ref loop")
    }

    /// The branch HEAD points at (refs/heads/x), or nil when HEAD is detached.
    public func currentBranch() throws -> String? {
        if case .symbolic(let t)? = try read("HEAD") { return t }
        return nil
    }

    public enum Expectation: Sendable {
        case any
        case absent
        case value(ObjectID?)   // nil: must be absent; else must equal
    }

    /// Compare-and-swap update. `logAlso` names refs whose reflog also records the change (HEAD
    /// when committing through it).
    public func update(_ name: String, to new: ObjectID, expect: Expectation, who: Signature, reason: String,
                       logAlso: [String] = []) throws {
        try RefStore.validate(name: name)
        let lock = try LockFile.acquire(path(name) + ".lock")
        defer { lock.release() }
        let current: ObjectID?
        switch try read(name) {
        case nil: current = nil
        case .direct(let id)?: current = id
        case .symbolic?: throw StoreError.badRef(name: name, reason: "is symbolic; update its target instead")
        }
        switch expect {
        case .any: break
        case .absent:
            if let current { throw StoreError.casFailed(ref: name, expected: "nothing", actual: current.hex) }
        case .value(let v):
            if v != current {
                throw StoreError.casFailed(ref: name, expected: v?.hex ?? "nothing", actual: current?.hex ?? "nothing")
            }
        }
        let entry = ReflogEntry(old: current ?? .zero, new: new, who: who, message: reason)
        for log in [name] + logAlso { try appendLog(log, entry) }
        try lock.commit(Data((new.hex + "\n").utf8), to: path(name))
    }

    /// Points HEAD at a branch (`ref: refs/heads/x`) or detaches it at an id.
    public func setHEAD(_ value: RefValue, who: Signature, reason: String) throws {
        let lock = try LockFile.acquire(path("HEAD") + ".lock")
        defer { lock.release() }
        let old = (try? resolve("HEAD").id) ?? nil
        let text: String
        var newID: ObjectID? = nil
        switch value {
        case .symbolic(let target):
            try RefStore.validate(name: target)
            text = "ref: \(target)\n"
            newID = try resolve(target).id
        case .direct(let id):
            text = id.hex + "\n"
            newID = id
        }
        if let newID {
            try appendLog("HEAD", ReflogEntry(old: old ?? .zero, new: newID, who: who, message: reason))
        }
        try lock.commit(Data(text.utf8), to: path("HEAD"))
    }

    public func delete(_ name: String, expect: ObjectID?) throws {
        try RefStore.validate(name: name)
        let lock = try LockFile.acquire(path(name) + ".lock")
        defer { lock.release() }
        if let expect, case .direct(let cur)? = try read(name), cur != expect {
            throw StoreError.casFailed(ref: name, expected: expect.hex, actual: cur.hex)
        }
        unlink(path(name))
        unlink(logPath(name))
        AtomicFile.syncDirectory(SlashPath.parent(path(name)))
    }

    func appendLog(_ name: String, _ entry: ReflogEntry) throws {
        let p = logPath(name)
        try? FileManager.default.createDirectory(atPath: SlashPath.parent(p), withIntermediateDirectories: true)
        let fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError.io(path: p, reason: "cannot open reflog") }
        defer { close(fd) }
        let bytes = Array(entry.line.utf8)
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard n == bytes.count, fsync(fd) == 0 else { throw StoreError.io(path: p, reason: "cannot append to reflog") }
    }

    /// Reflog entries, oldest first. A malformed line is an error naming file and line.
    public func reflog(_ name: String) throws -> [ReflogEntry] {
        let p = logPath(name)
        guard let data = FileManager.default.contents(atPath: p) else { return [] }
        let text = String(decoding: data, as: UTF8.self)
        var out: [ReflogEntry] = []
        for (n, line) in text.split(separator: "\n").enumerated() {
            guard let e = ReflogEntry.parse(line) else {
                throw StoreError.badRef(name: "\(p):\(n + 1)", reason: "malformed reflog line")
            }
            out.append(e)
        }
        return out
    }

    /// Every ref under `prefix` (e.g. "refs/heads/"), sorted by name, with its raw value.
    /// With `skipInvalid`, refs holding garbage are left out instead of failing (fsck reports them).
    public func list(prefix: String = "refs/", skipInvalid: Bool = false) throws -> [(String, ObjectID)] {
        var out: [(String, ObjectID)] = []
        let base = path(String(prefix.hasSuffix("/") ? prefix.dropLast() : Substring(prefix)))
        guard let e = FileManager.default.enumerator(atPath: base) else { return [] }
        while let rel = e.nextObject() as? String {
            let full = "\(base)/\(rel)"
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isDir), !isDir.boolValue else { continue }
            let name = (prefix.hasSuffix("/") ? prefix : prefix + "/") + rel
            if rel.hasSuffix(".lock") || SlashPath.lastComponent(rel).hasPrefix(".") { continue }
            let value: RefValue?
            do { value = try read(name) } catch { if skipInvalid { continue }; throw error }
            if case .direct(let id)? = value { out.append((name, id)) }
        }
        return out.sorted { $0.0 < $1.0 }
    }

    /// Names of every reflog file (refs whose history we keep), e.g. HEAD, refs/heads/main.
    public func reflogNames() -> [String] {
        let base = root + "/logs"
        guard let e = FileManager.default.enumerator(atPath: base) else { return [] }
        var out: [String] = []
        while let rel = e.nextObject() as? String {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: "\(base)/\(rel)", isDirectory: &isDir), !isDir.boolValue { out.append(rel) }
        }
        return out.sorted()
    }
}
