import FTXCore
import FTXEval
import FTXModel
import FTXStore
import Foundation

/// Registered base models. Each name is a commit on `refs/bases/<name>` (so gc keeps its objects and
/// its reflog shows when it was added) whose tree holds the GGUF file itself (chunked in the object
/// store), or with `--link` only a `link.json` naming the path, size and id; base eval reports are
/// added later under `eval/<suite id>/report.json`. The base id is the store id of the file's bytes,
/// so a linked file that changes no longer matches and runs refuse it. A base *is* its bytes: the
/// same bytes under several names are one base, whose reports are found through any of its names.
public struct BaseRegistry {
    public let registry: Registry
    var repo: Repository { registry.repo }

    public init(registry: Registry) { self.registry = registry }

    public struct Base: Sendable, Equatable {
        public let name: String
        public let id: String
        public let size: Int
        public let path: String
        public let linked: Bool
        public let commit: ObjectID
    }

    static let refPrefix = "refs/bases/"
    var defaultFile: String { repo.ftxDirectory + "/registry/default-base" }
    var cacheDirectory: String { repo.ftxDirectory + "/cache/bases" }

    /// Registers `file` (hashing it; storing it chunked unless `link`). Re-adding the same bytes
    /// under the same name is a no-op; new bytes under an existing name make a new version.
    /// `intoCache` (a file ftx wrote): it is moved to .ftx/cache/bases/ID.gguf and recorded there.
    @discardableResult
    public func add(file: String, name: String? = nil, link: Bool = false, makeDefault: Bool? = nil,
                    who: Signature = .current(), provenance: [(String, String)] = [], intoCache: Bool = false) throws -> Base {
        var abs = URL(fileURLWithPath: file, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
            .standardizedFileURL.path
        let fileName = (abs as NSString).lastPathComponent
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: abs, isDirectory: &isDir), !isDir.boolValue else {
            throw RegistryError.base("base model file not found", location: file, hint: "give the path of a .gguf file")
        }
        try Self.checkGGUFMagic(abs)
        let baseName = name ?? Self.defaultName(forModelAt: abs)
        try RefStore.validate(shortName: baseName)
        guard baseName != "base" || name == nil else {
            throw RegistryError.base("'base' is reserved: it means the default base in revisions", location: file, hint: "pick another --name")
        }
        let importer = FileImporter(store: repo.objects)
        let result: FileImporter.Result
        do {
            result = try importer.importFile(at: abs, write: !link)
            try importer.finish()
        } catch {
            importer.abort()
            throw error
        }
        if intoCache {
            let cached = "\(cacheDirectory)/\(result.id.hex).gguf"
            try? FileManager.default.removeItem(atPath: cached)
            try FileManager.default.moveItem(atPath: abs, toPath: cached)
            abs = cached
        }
        let ref = Self.refPrefix + baseName
        let old = try repo.refs.resolve(ref).id
        // The same bytes again are a no-op, unless a linked record now points elsewhere (a clone on
        // another machine registers its own copy of the file).
        if let old, let existing = try? describe(name: baseName, commit: old), existing.id == result.id.hex,
           existing.linked == link, !link || existing.path == abs {
            try setDefaultIfNeeded(baseName, makeDefault)
            return existing
        }
        // A record fetched without its bytes names the one file that completes it.
        if let old, let existing = try? describe(name: baseName, commit: old), !existing.linked,
           let e = try? modelEntry(existing), !repo.objects.contains(e.id) {
            throw RegistryError.base("\(SlashPath.lastComponent(abs)) is not the base model '\(baseName)' registered here "
                                     + "(its id is \(result.id.hex), the registered one \(existing.id), \(existing.size) bytes)",
                                     location: abs, hint: "find the original file (\(existing.path)), or register this one under another --name")
        }
        // A name the user did not choose never replaces other bytes (a second model of one family).
        if name == nil, let old, let existing = try? describe(name: baseName, commit: old), existing.id != result.id.hex {
            throw RegistryError.base("'\(baseName)' already names other bytes (id \(existing.id.prefix(12)))", location: file,
                                     hint: "give this model its own name with --name NAME, or --name \(baseName) to make it the new version of '\(baseName)'")
        }
        var entries: [TreeEntry] = []
        if link {
            let json: [String: Any] = ["path": abs, "size": result.size, "id": result.id.hex]
            let data = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
            entries.append(try TreeEntry(name: "link.json", kind: .blob, id: repo.objects.write(type: .blob, content: data)))
        } else {
            entries.append(try TreeEntry(name: Self.validFileName(fileName), kind: result.kind, id: result.id))
        }
        let tree = try repo.objects.write(tree: Tree(entries: entries))
        let headers: [(String, String)] = [("base-id", result.id.hex), ("base-size", String(result.size)),
                                           ("base-path", abs), ("base-link", link ? "1" : "0")] + provenance
        let c = Commit(tree: tree, parents: old.map { [$0] } ?? [], author: who, extraHeaders: headers,
                       message: "base \(baseName): \(fileName)\n")
        let id = try repo.objects.write(commit: c)
        try repo.refs.update(ref, to: id, expect: .value(old), who: who,
                             reason: "base add \(link ? "--link " : "")\(fileName) (\(result.id.short))")
        try setDefaultIfNeeded(baseName, makeDefault)
        return Base(name: baseName, id: result.id.hex, size: result.size, path: abs, linked: link, commit: id)
    }

    /// Registers a Hugging Face checkpoint folder: ftx writes it as a GGUF (projections in their
    /// own dtype, or `quantize`d to Q8_0/Q4_1/Q4_K) and stores that file as the base, so the base id is
    /// the content id of what is stored. The commit records the folder and each of its files'
    /// SHA-256 (`base-source`, `base-source-files`) for provenance.
    @discardableResult
    public func add(checkpoint dir: String, name: String? = nil, quantize: GGUFModelExport.Quantization? = nil, makeDefault: Bool? = nil,
                    who: Signature = .current()) throws -> Base {
        let abs = URL(fileURLWithPath: dir, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
            .standardizedFileURL.path
        let model = try HFCheckpoint.load(directory: abs)
        let folder = SlashPath.lastComponent(abs)
        var files: [String] = []
        for n in try FileManager.default.contentsOfDirectory(atPath: abs).sorted() {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: abs + "/" + n, isDirectory: &isDir), !isDir.boolValue else { continue }
            files.append("\(n) \(try LlamaEvalModel.fileSHA256(abs + "/" + n))")
        }
        try FileManager.default.createDirectory(atPath: cacheDirectory, withIntermediateDirectories: true)
        let fileName = Self.defaultName(for: folder) + (quantize.map { "." + $0.rawValue.uppercased() } ?? "") + ".gguf"
        // Staged under its own name (the name the record's tree keeps), then kept as the cache's copy.
        let stage = "\(cacheDirectory)/import-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: stage, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: stage) }
        try GGUFModelExport.write(model, name: folder, quantize: quantize, to: stage + "/" + fileName)
        return try add(file: stage + "/" + fileName, name: name ?? Self.defaultName(for: folder), makeDefault: makeDefault, who: who,
                       provenance: [("base-source", abs), ("base-source-files", files.joined(separator: ", "))], intoCache: true)
    }

    private func setDefaultIfNeeded(_ name: String, _ makeDefault: Bool?) throws {
        let current = defaultName()
        if makeDefault == true || (makeDefault == nil && (current == nil || (try? base(named: current!)) == nil)) {
            try writeDefault(name)
        }
    }

    public func list() throws -> [Base] {
        try repo.refs.list(prefix: Self.refPrefix).map { ref, id in
            try describe(name: String(ref.dropFirst(Self.refPrefix.count)), commit: id)
        }
    }

    public func defaultName() -> String? {
        (try? String(contentsOfFile: defaultFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public func base(named name: String) throws -> Base {
        guard (try? RefStore.validate(shortName: name)) != nil, let id = try repo.refs.resolve(Self.refPrefix + name).id else {
            throw unknown(name)
        }
        return try describe(name: name, commit: id)
    }

    /// The error for a name nothing is registered under: a did-you-mean and every registered name.
    func unknown(_ name: String) -> RegistryError {
        let names = ((try? list().map(\.name)) ?? []).sorted()
        var hint = names.isEmpty ? "no base model is registered; `ftx base add FILE.gguf --name \(name)`"
                                 : "registered base models: " + names.joined(separator: ", ")
        if let s = DidYouMean.suggest(name, names) { hint = "did you mean '\(s)'? " + hint }
        return RegistryError.base("no registered base model named '\(name)'", location: Self.refPrefix + name, hint: hint)
    }

    /// Every name registered for the bytes with this id, sorted.
    public func names(ofID id: String) throws -> [String] {
        try list().filter { $0.id == id }.map(\.name)
    }

    /// The base with this id, under its default name when that is one of its names, else its first.
    public func base(withID id: String) throws -> Base? {
        let all = try list().filter { $0.id == id }
        return all.first { $0.name == defaultName() } ?? all.first
    }

    /// The default base (`base` in revisions): the one named in registry/default-base, else the only one.
    public func defaultBase() throws -> Base {
        if let n = defaultName(), let b = try? base(named: n) { return b }
        let all = try list()
        if all.count == 1 { return all[0] }
        throw RegistryError.base(all.isEmpty ? "no base model is registered" : "several base models are registered and none is the default",
                                 location: repo.ftxDirectory + "/registry/default-base",
                                 hint: all.isEmpty ? "run `ftx base add FILE.gguf`" : "run `ftx base add FILE.gguf --name NAME --default`")
    }

    /// A base by name, by id (or unique id prefix of ≥ 6 digits) or as `base`.
    public func find(_ nameOrID: String) throws -> Base {
        if nameOrID == "base" { return try defaultBase() }
        if let b = try? base(named: nameOrID) { return b }
        if let id = try uniqueID(prefix: nameOrID), let b = try base(withID: id) { return b }
        return try base(named: nameOrID)  // throws with a suggestion and the registered names
    }

    /// The one registered base id starting with `prefix` (≥ 6 hex digits), or nil.
    func uniqueID(prefix: String) throws -> String? {
        guard prefix.count >= 6, prefix.count <= 64, prefix.allSatisfy(\.isHexDigit) else { return nil }
        let ids = Set(try list().map(\.id).filter { $0.hasPrefix(prefix.lowercased()) })
        return ids.count == 1 ? ids.first : nil
    }

    func describe(name: String, commit id: ObjectID) throws -> Base {
        let c = try repo.objects.readCommit(id)
        guard let bid = c.header("base-id"), let size = c.header("base-size").flatMap(Int.init), let path = c.header("base-path") else {
            throw RegistryError.base("registered base '\(name)' has a malformed record", location: id.hex, hint: nil)
        }
        return Base(name: name, id: bid, size: size, path: path, linked: c.header("base-link") == "1", commit: id)
    }

    /// A path to a GGUF file whose bytes are exactly the base `b`: its original path when that still
    /// matches, else (stored bases) a copy restored from the object store into .ftx/cache/bases/.
    /// A linked base whose file changed or vanished is refused.
    public func verifiedPath(_ b: Base) throws -> String {
        if try fileID(b.path) == b.id { return b.path }
        if b.linked {
            throw RegistryError.base("base model '\(b.name)' no longer matches its registered bytes (id \(b.id.prefix(12)))",
                                     location: b.path, hint: "restore the file, or register the new one with `ftx base add`")
        }
        let cached = "\(cacheDirectory)/\(b.id).gguf"
        if try fileID(cached) == b.id { return cached }
        let e = try modelEntry(b)
        do {
            try AtomicFile.write(to: cached) { fd in
                try repo.objects.streamFile(kind: e.kind, id: e.id) { d in
                    try d.withUnsafeBytes { try AtomicFile.writeAll(fd: fd, $0, path: cached) }
                }
            }
        } catch StoreError.objectNotFound {
            throw absentBytes(b, fileName: e.name)
        }
        return cached
    }

    /// The model file entry of a stored base's record.
    func modelEntry(_ b: Base) throws -> TreeEntry {
        let c = try repo.objects.readCommit(b.commit)
        guard let e = try repo.objects.readTree(c.tree).entries.first(where: { $0.kind.isFile && $0.name != "link.json" }) else {
            throw RegistryError.base("stored base '\(b.name)' has no model file", location: b.commit.hex, hint: nil)
        }
        return e
    }

    /// A base whose record came from a remote without its bytes (pushed without --with-bases).
    func absentBytes(_ b: Base, fileName: String) -> RegistryError {
        RegistryError.base("base model '\(b.name)' is registered here but its bytes are not: it came from a remote without them "
                           + "(id \(b.id), file \(fileName), \(b.size) bytes, originally \(b.path))",
                           location: Self.refPrefix + b.name,
                           hint: "add that file with `ftx base add FILE --name \(b.name)` (its id is checked), "
                               + "or ask whoever pushed it for `ftx push --with-bases`")
    }

    /// The path `serve` or a run would load for a base id, without rehashing (nil when unknown).
    public func localPath(forID id: String) throws -> String? {
        guard let b = try list().first(where: { $0.id == id }) else { return nil }
        return b.linked ? b.path : (FileManager.default.fileExists(atPath: b.path) ? b.path : "\(cacheDirectory)/\(b.id).gguf")
    }

    /// The store id of a file's bytes (hash only, nothing written); nil when the file is missing.
    public func fileID(_ path: String) throws -> String? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return try FileImporter(store: repo.objects).importFile(at: path, write: false).id.hex
    }

    /// Whether a `base_model` value names a file (it has a `/` or ends in `.gguf`) rather than a
    /// registered base (a name or an id prefix).
    public static func looksLikePath(_ ref: String) -> Bool {
        ref.contains("/") || ref.lowercased().hasSuffix(".gguf")
    }

    /// The name `base add` gives when none is given: the model's own family name from its GGUF
    /// metadata (`general.basename`, e.g. `smollm2`, the name sample configs use), else the file
    /// name without `.gguf`.
    static func defaultName(forModelAt path: String) -> String {
        if let g = try? GGUFFile(path: path), let family = g.string("general.basename") {
            let n = defaultName(for: family)
            if n != "base", (try? RefStore.validate(shortName: n)) != nil { return n }
        }
        return defaultName(for: SlashPath.lastComponent(path))
    }

    static func defaultName(for fileName: String) -> String {
        var n = fileName
        if n.lowercased().hasSuffix(".gguf") { n = String(n.dropLast(5)) }
        let cleaned = String(n.map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? $0 : "-" })
        let trimmed = cleaned.trimmingCharacters(in: CharacterSet(charactersIn: "."))
        return trimmed.replacingOccurrences(of: "..", with: ".").isEmpty ? "base" : trimmed.replacingOccurrences(of: "..", with: ".")
    }

    static func validFileName(_ n: String) -> String {
        (try? TreeEntry.validate(name: n)) != nil ? n : "model.gguf"
    }

    static func checkGGUFMagic(_ path: String) throws {
        guard let h = FileHandle(forReadingAtPath: path) else {
            throw RegistryError.base("cannot read base model file", location: path, hint: nil)
        }
        defer { try? h.close() }
        let magic = (try? h.read(upToCount: 4)) ?? Data()
        guard magic == Data("GGUF".utf8) else {
            throw RegistryError.base("not a GGUF file (bad magic at byte 0)", location: path,
                                     hint: "base models are GGUF files, e.g. SmolLM2-135M-Instruct.Q4_1.gguf")
        }
    }

    // MARK: Base eval reports (one per base and suite, kept in the base's tree)

    /// The stored report of base `b` (its bytes, under any of its names: `b`'s own name first) on
    /// the suite with key `suiteKey`, or nil.
    public func storedReport(_ b: Base, suiteKey: String) throws -> EvalReport? {
        for name in try namesFirst(b) {
            guard let id = try repo.refs.resolve(Self.refPrefix + name).id else { continue }
            let c = try repo.objects.readCommit(id)
            if let data = try registry.file("eval/\(suiteKey)/report.json", in: c) {
                return try EvalReport.decode(data, file: "\(Self.refPrefix)\(name):eval/\(suiteKey)/report.json")
            }
        }
        return nil
    }

    /// `b.name`, then the other names of the same bytes.
    private func namesFirst(_ b: Base) throws -> [String] {
        [b.name] + (try names(ofID: b.id)).filter { $0 != b.name }
    }

    /// The report.json entries kept under one name (suite key → entry).
    func reportEntries(_ name: String) throws -> [(String, TreeEntry)] {
        guard let id = try repo.refs.resolve(Self.refPrefix + name).id,
              let e = try registry.entry("eval", in: repo.objects.readCommit(id)), e.kind == .tree else { return [] }
        return try repo.objects.readTree(e.id).entries.filter { $0.kind == .tree }.compactMap { sub in
            try repo.objects.readTree(sub.id)["report.json"].map { (sub.name, $0) }
        }
    }

    /// Adds `report` under eval/<suiteKey>/report.json of the base's record (a new commit on its ref).
    public func storeReport(_ report: EvalReport, for b: Base, suiteKey: String, who: Signature = .current()) throws {
        try storeReportBlob(try repo.objects.write(type: .blob, content: try report.jsonData()), for: b, suiteKey: suiteKey, who: who)
    }

    func storeReportBlob(_ reportID: ObjectID, for b: Base, suiteKey: String, who: Signature) throws {
        let ref = Self.refPrefix + b.name
        for _ in 0..<10 {
            guard let old = try repo.refs.resolve(ref).id else { throw RegistryError.base("base '\(b.name)' vanished", location: ref, hint: nil) }
            let c = try repo.objects.readCommit(old)
            var top = try repo.objects.readTree(c.tree).entries.filter { $0.name != "eval" }
            var evalEntries = try registry.entry("eval", in: c).map { try repo.objects.readTree($0.id).entries } ?? []
            let sub = try repo.objects.write(tree: Tree(entries: [TreeEntry(name: "report.json", kind: .blob, id: reportID)]))
            evalEntries.removeAll { $0.name == suiteKey }
            evalEntries.append(try TreeEntry(name: suiteKey, kind: .tree, id: sub))
            top.append(try TreeEntry(name: "eval", kind: .tree, id: repo.objects.write(tree: Tree(entries: evalEntries))))
            let tree = try repo.objects.write(tree: Tree(entries: top))
            let nc = Commit(tree: tree, parents: [old], author: who, extraHeaders: c.extraHeaders,
                            message: "base \(b.name): eval report for suite \(suiteKey)\n")
            let id = try repo.objects.write(commit: nc)
            do {
                try repo.refs.update(ref, to: id, expect: .value(old), who: who, reason: "base eval \(suiteKey)")
                return
            } catch StoreError.casFailed { continue }
        }
        throw RegistryError.base("could not record the base report (concurrent updates)", location: ref, hint: "retry")
    }

    /// Key of a suite + its cases (from their hashes), naming where a base report is kept.
    public static func suiteKey(suiteSHA256: String, casesSHA256: String) -> String {
        String(ObjectID.hash(type: .blob, content: Data("\(suiteSHA256):\(casesSHA256)".utf8)).hex.prefix(16))
    }

    /// Base revisions (external targets; a base has no history): `base`, the default registered
    /// base, ahead of any ref; then a registered base name, when no branch, tag or deploy env has
    /// that name; then a unique base id prefix (≥ 6 hex digits) that names no other stored object.
    static func revisionTarget(_ name: String, _ repo: Repository) throws -> RevisionTarget? {
        let bases = BaseRegistry(registry: Registry(repo: repo))
        if name == "base" { return .external(name: "base", value: try bases.defaultBase().id) }
        if try repo.refName(for: name) != nil { return nil }
        if (try? RefStore.validate(shortName: name)) != nil, let commit = try repo.refs.resolve(refPrefix + name).id {
            return .external(name: name, value: try bases.describe(name: name, commit: commit).id)
        }
        if let id = try bases.uniqueID(prefix: name) {
            if let object = try? repo.objects.resolvePrefix(name), object.hex != id { return nil }
            return .external(name: name, value: id)
        }
        return nil
    }
}
